/**
 * The {@link Notifier} the agent talks to: posts and edits incident cards through the bot's API
 * (so the auto-retry and throttling transformers apply).
 */
import { GrammyError, type Api } from 'grammy';
import type { CardRef, IncidentCardView, KnowledgeCardView, Notifier } from '../agent/ports.ts';
import { incidentKeyboard, knowledgeKeyboard, renderIncidentCard, renderKnowledgeCard } from './cards.ts';

/** Creates the notifier over a grammY `Api` (usually `bot.api`). */
export function createNotifier(api: Api): Notifier {
  return {
    async postIncidentCard(chatId: number, card: IncidentCardView): Promise<CardRef> {
      const msg = await api.sendMessage(chatId, renderIncidentCard(card), {
        parse_mode: 'HTML',
        reply_markup: incidentKeyboard(card),
        link_preview_options: { is_disabled: true },
      });
      return { chatId, messageId: msg.message_id };
    },
    async editIncidentCard(ref: CardRef, card: IncidentCardView): Promise<void> {
      try {
        await api.editMessageText(ref.chatId, ref.messageId, renderIncidentCard(card), {
          parse_mode: 'HTML',
          reply_markup: incidentKeyboard(card),
          link_preview_options: { is_disabled: true },
        });
      } catch (err) {
        if (isNotModified(err)) return;
        throw err;
      }
    },
    async postKnowledgeCard(chatId: number, card: KnowledgeCardView): Promise<CardRef> {
      const msg = await api.sendMessage(chatId, renderKnowledgeCard(card), { parse_mode: 'HTML', reply_markup: knowledgeKeyboard(card) });
      return { chatId, messageId: msg.message_id };
    },
    async editKnowledgeCard(ref: CardRef, card: KnowledgeCardView): Promise<void> {
      try {
        await api.editMessageText(ref.chatId, ref.messageId, renderKnowledgeCard(card), { parse_mode: 'HTML', reply_markup: knowledgeKeyboard(card) });
      } catch (err) {
        if (isNotModified(err)) return;
        throw err;
      }
    },
  };
}

/** Telegram answers 400 "message is not modified" when an edit changes nothing; that is success. */
export function isNotModified(err: unknown): boolean {
  return err instanceof GrammyError && /message is not modified/i.test(err.description ?? '');
}
