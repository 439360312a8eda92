/**
 * Card buttons (callback queries `wk:<verb>:<token>`): Approve · Reject · Later · Silence (with a
 * second keyboard of durations) · Undo, and Publish · Discard on runbook review cards. The callback
 * is answered as soon as the decision is stored; cards are edited after. Who may decide is checked
 * by the agent against `callback_query.from.id`, never the chat.
 */
import { Composer, InlineKeyboard, type Context } from 'grammy';
import type { User } from 'grammy/types';
import { type ConversationFlavor } from '@grammyjs/conversations';
import type { Logger } from 'pino';
import { parseCallbackData, silenceButtons, SILENCE_HOURS, type Agent, type DecisionReply } from '../agent/index.ts';
import { REJECT_REASON_CONVERSATION } from './conversations.ts';
import { can } from '../domain/authz.ts';

/** Context with the conversations plugin installed. */
export type BotContext = ConversationFlavor<Context>;

/**
 * Composer for card buttons.
 * @param agent the agent's public entry.
 * @param log logger for failed card edits (the decision itself is already stored).
 */
export function approvalsComposer(agent: Agent, log: Logger): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.callbackQuery(/^wk:/, async (ctx) => {
    const parsed = parseCallbackData(ctx.callbackQuery.data);
    if (!parsed) {
      await ctx.answerCallbackQuery({ text: 'This button is not recognised; the card may be from an older version.' });
      return;
    }
    const actor = { id: ctx.callbackQuery.from.id, name: displayName(ctx.callbackQuery.from) };
    const { verb, token } = parsed;
    let reply: DecisionReply;
    switch (verb) {
      case 'approve':
      case 'reject':
      case 'later':
        reply = await agent.decide(token, verb, actor);
        break;
      case 'silence_1h':
      case 'silence_4h':
      case 'silence_24h':
        reply = await agent.silence(token, SILENCE_HOURS[verb], actor);
        break;
      case 'undo':
        reply = await agent.undo(token, actor);
        break;
      case 'publish':
      case 'discard':
        reply = await agent.decideKnowledge(token, verb, actor);
        break;
      case 'silence_menu': {
        if (can(agent.roleOf(actor.id), 'remediation.silence').kind === 'deny') {
          await ctx.answerCallbackQuery({ text: '⛔ You are not on the approver list; nothing was changed.', show_alert: true });
          return;
        }
        await ctx.answerCallbackQuery({ text: 'Silence this alert group for how long?' });
        const kb = new InlineKeyboard();
        for (const b of silenceButtons(token)) kb.text(b.label, b.data);
        await ctx.editMessageReplyMarkup({ reply_markup: kb }).catch((err) => log.warn({ err }, 'could not show silence durations'));
        return;
      }
      case 'back':
        await ctx.answerCallbackQuery();
        await agent.refreshCardOf(token).catch((err) => log.warn({ err }, 'could not restore card'));
        return;
    }
    await ctx.answerCallbackQuery({ text: reply.text, show_alert: reply.kind === 'forbidden' });
    if (reply.kind === 'stale') {
      await ctx.editMessageReplyMarkup().catch((err) => log.warn({ err }, 'could not remove buttons of a stale card'));
      return;
    }
    await reply.afterAnswer().catch((err) => log.warn({ err }, 'card edit after decision failed'));
    if (reply.askReason) {
      await ctx.conversation
        .enter(REJECT_REASON_CONVERSATION, reply.askReason.token, actor.id, actor.name)
        .catch((err) => log.warn({ err }, 'could not ask for a rejection reason'));
    }
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
