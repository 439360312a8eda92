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
import type { Agent } from '../agent/index.ts';
import { knowledgeIdOf, parseCallbackData, silenceButtons, SILENCE_HOURS } from './callbacks.ts';
import { REJECT_REASON_CONVERSATION } from './conversations.ts';
import { decisionAnswer, knowledgeAnswer, refusalText, silenceAnswer, undoAnswer, type CallbackAnswer } from './render/decisions.ts';
import { can } from '../domain/authz.ts';

/** Context with the conversations plugin installed. */
export type BotContext = ConversationFlavor<Context>;

/**
 * Composer for card buttons: parses the callback data, asks the agent, answers the callback
 * query with the outcome's words, then asks the agent to refresh the card(s).
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
    const answer = (a: CallbackAnswer) => ctx.answerCallbackQuery({ text: a.text, show_alert: a.alert });
    const stale = () => ctx.editMessageReplyMarkup().catch((err) => log.warn({ err }, 'could not remove buttons of a stale card'));
    const after = (work: () => Promise<void>) => work().catch((err) => log.warn({ err }, 'card edit after decision failed'));
    switch (verb) {
      case 'approve':
      case 'reject':
      case 'later': {
        const outcome = await agent.decide(token, verb, actor);
        await answer(decisionAnswer(outcome));
        if (outcome.kind === 'stale') return stale();
        if (outcome.kind === 'forbidden' || outcome.kind === 'already_voted') return;
        await after(() => agent.refreshCards(outcome.incidentId));
        if (outcome.kind === 'rejected' && outcome.askReason) {
          await ctx.conversation
            .enter(REJECT_REASON_CONVERSATION, outcome.token, actor.id, actor.name)
            .catch((err) => log.warn({ err }, 'could not ask for a rejection reason'));
        }
        return;
      }
      case 'silence_1h':
      case 'silence_4h':
      case 'silence_24h': {
        const outcome = await agent.silence(token, SILENCE_HOURS[verb], actor);
        await answer(silenceAnswer(outcome));
        if (outcome.kind === 'stale') return stale();
        if (outcome.kind === 'silenced') await after(() => agent.refreshCards(outcome.incidentId));
        return;
      }
      case 'undo': {
        const outcome = await agent.undo(token, actor);
        await answer(undoAnswer(outcome));
        if (outcome.kind === 'stale') return stale();
        if (outcome.kind === 'proposed') await after(() => agent.showProposal(outcome.incidentId, outcome.remediationId));
        return;
      }
      case 'publish':
      case 'discard': {
        const id = knowledgeIdOf(token);
        const outcome = id === undefined ? ({ kind: 'stale' } as const) : await agent.decideKnowledge(id, verb, actor);
        await answer(knowledgeAnswer(outcome));
        if (outcome.kind === 'stale') return stale();
        if (outcome.kind !== 'forbidden') await after(() => agent.refreshKnowledgeCards(outcome.knowledgeId));
        return;
      }
      case 'silence_menu': {
        if (can(agent.roleOf(actor.id), 'remediation.silence').kind === 'deny') {
          await ctx.answerCallbackQuery({ text: refusalText('not_an_approver'), show_alert: true });
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
