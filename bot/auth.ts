/**
 * Chat allowlist: the bot only talks in configured chats. Updates from anywhere else are dropped
 * (callback queries are answered so the client stops spinning) and logged.
 */
import { Composer, type Context } from 'grammy';
import type { Logger } from 'pino';

/**
 * Middleware passing only updates whose chat is in `chatIds`.
 * @param chatIds allowed chat ids (groups are negative).
 */
export function chatAllowlist<C extends Context>(chatIds: readonly number[], log: Logger): Composer<C> {
  const allowed = new Set(chatIds);
  const c = new Composer<C>();
  c.use(async (ctx, next) => {
    const chatId = ctx.chat?.id;
    if (chatId !== undefined && allowed.has(chatId)) return next();
    log.warn({ chatId, from: ctx.from?.id, update: ctx.update.update_id }, 'update from a chat that is not configured; ignored');
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: 'This chat is not configured for Watchkeeper.' }).catch(() => {});
  });
  return c;
}
