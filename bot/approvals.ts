/**
 * Approval card buttons (callback queries `wk:<verb>:<token>`). The callback is answered as soon
 * as the decision is stored; the card is edited after. Who may decide is checked by the agent
 * against `callback_query.from.id`, never the chat.
 */
import { Composer, type Context } from 'grammy';
import type { User } from 'grammy/types';
import type { Logger } from 'pino';
import { parseCallbackData, type Agent } from '../agent/index.ts';

/**
 * Composer for card buttons.
 * @param agent the agent's public entry.
 * @param log logger for failed card edits (the decision itself is already stored).
 */
export function approvalsComposer(agent: Agent, log: Logger): Composer<Context> {
  const c = new Composer<Context>();
  c.callbackQuery(/^wk:/, async (ctx) => {
    const parsed = parseCallbackData(ctx.callbackQuery.data);
    if (!parsed) {
      await ctx.answerCallbackQuery({ text: 'This button is not recognised; the card may be from an older version.' });
      return;
    }
    const from = ctx.callbackQuery.from;
    const name = displayName(from);
    const reply = await agent.decide(parsed.token, parsed.verb, { id: from.id, name });
    await ctx.answerCallbackQuery({ text: reply.text, show_alert: reply.kind === 'forbidden' });
    if (reply.kind === 'stale') {
      await ctx.editMessageReplyMarkup().catch((err) => log.warn({ err }, 'could not remove buttons of a stale card'));
      return;
    }
    await reply.afterAnswer().catch((err) => log.warn({ err }, 'card edit after decision failed'));
  });
  // Any other callback data: answer so the client stops spinning.
  c.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: 'Unknown button.' }));
  return c;
}

/** `Alice Smith (@alice)`: the name shown on cards and in the audit log. */
export function displayName(user: Pick<User, 'first_name' | 'last_name' | 'username'>): string {
  const full = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return user.username ? `${full} (@${user.username})` : full;
}
