/**
 * Conversations (@grammyjs/conversations): after a rejection, ask the person who rejected for an
 * optional reason, stored for learning.
 */
import { createConversation, conversations, type Conversation } from '@grammyjs/conversations';
import { autoRetry } from '@grammyjs/auto-retry';
import { Composer, type Context } from 'grammy';
import type { Agent } from '../agent/index.ts';
import type { BotContext } from './approvals.ts';

/** Conversation id of the rejection-reason question. */
export const REJECT_REASON_CONVERSATION = 'reject-reason';

/** How long the question waits for an answer, ms. */
export const REASON_WAIT_MS = 10 * 60_000;

/**
 * Installs the conversations plugin and the rejection-reason conversation. The API inside a
 * conversation does not inherit `bot.api`'s transformers, so auto-retry is installed there again.
 */
export function conversationsComposer(agent: Agent): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.use(
    conversations<BotContext, Context>({
      plugins: [
        async (ctx, next) => {
          ctx.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
          await next();
        },
      ],
    }),
  );
  c.use(
    createConversation<BotContext, Context>(
      async (conversation: Conversation<BotContext, Context>, ctx: Context, token: string, userId: number, userName: string) => {
        await ctx.reply(`${userName}: why reject? Send a short reason (optional, it teaches the playbooks), or /skip.`);
        const answer = await conversation.waitFrom(userId, { maxMilliseconds: REASON_WAIT_MS }).andFor('message:text');
        const text = answer.message.text.trim();
        if (/^\/skip\b/.test(text)) {
          await answer.reply('OK, no reason recorded.');
          return;
        }
        const saved = await conversation.external(() => agent.setRejectReason(token, { id: userId, name: userName }, text));
        await answer.reply(saved ? '📝 Reason recorded on the card.' : 'That card is gone; the reason was not recorded.');
      },
      { id: REJECT_REASON_CONVERSATION },
    ),
  );
  return c;
}
