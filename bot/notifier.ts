/**
 * The chat ports the core posts through, over a grammY `Api` (the one given to `createBot`, so the
 * auto-retry and throttling transformers apply): the {@link Notifier} for incident and knowledge
 * cards, the drift service's {@link DriftChatPort} and the coverage digest's {@link CoverageNotifier}.
 * They render with bot/render/ and bot/cards.ts; the core hands over views only.
 */
import { GrammyError, InputFile, type Api } from 'grammy';
import type { Logger } from 'pino';
import type { CardRef, IncidentCardView, KnowledgeCardView, Notifier } from '../agent/ports.ts';
import type { DriftCardView, DriftChatPort } from '../agent/drift/index.ts';
import type { CoverageDigestView, CoverageNotifier, DigestPicture, DigestPostResult } from '../agent/coverage/index.ts';
import { cardKeyboard, incidentKeyboard, knowledgeKeyboard, renderIncidentCard, renderKnowledgeCard } from './cards.ts';
import { renderDriftCard } from './render/drift.ts';
import { renderCoverageDigest } from './render/coverage.ts';

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

/** The {@link DriftChatPort} over a grammY `Api` (usually `bot.api`, so retries and throttling apply). */
export function createDriftNotifier(api: Api): DriftChatPort {
  return {
    async postDriftCard(chatId: number, view: DriftCardView): Promise<CardRef> {
      const msg = await api.sendMessage(chatId, renderDriftCard(view), {
        parse_mode: 'HTML',
        reply_markup: cardKeyboard(view),
        link_preview_options: { is_disabled: true },
      });
      return { chatId, messageId: msg.message_id };
    },
    async editDriftCard(ref: CardRef, view: DriftCardView): Promise<void> {
      try {
        await api.editMessageText(ref.chatId, ref.messageId, renderDriftCard(view), {
          parse_mode: 'HTML',
          reply_markup: cardKeyboard(view),
          link_preview_options: { is_disabled: true },
        });
      } catch (err) {
        if (isNotModified(err)) return;
        throw err;
      }
    },
  };
}

/** Options of {@link createCoverageNotifier}. */
export interface CoverageNotifierOptions {
  /**
   * Longest wait for the picture, retries included, ms (default 60 000): the API transformers retry
   * 5xx answers with backoff; past this the picture is given up and the text stands alone.
   */
  photoTimeoutMs?: number;
  log?: Logger;
}

function describe(err: unknown): string {
  const e = err as { error_code?: number; description?: string; message?: string };
  if (e?.description) return `${e.error_code ?? ''} ${e.description}`.trim();
  return err instanceof Error ? err.message : String(err);
}

/**
 * The digest poster over a grammY `Api` (usually `bot.api`, so auto-retry applies): the text first,
 * then the picture as a reply to it. A failing `sendPhoto` (e.g. an emulator without it, a 5xx, a
 * timeout) is logged and reported as `photo.kind === 'failed'`; the text stays.
 */
export function createCoverageNotifier(api: Api, options: CoverageNotifierOptions = {}): CoverageNotifier {
  const log = options.log?.child({ component: 'bot.coverage' });
  return {
    async postDigest(chatId: number, digest: CoverageDigestView, picture?: DigestPicture): Promise<DigestPostResult> {
      const msg = await api.sendMessage(chatId, renderCoverageDigest(digest), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
      if (!picture) return { textMessageId: msg.message_id, photo: { kind: 'skipped' } };
      try {
        const photo = await api.sendPhoto(
          chatId,
          new InputFile(Buffer.from(picture.png), 'coverage.png'),
          { caption: picture.caption.slice(0, 1024), reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } },
          // grammY types its signal with the abort-controller shim; the platform one is what it uses at run time.
          AbortSignal.timeout(options.photoTimeoutMs ?? 60_000) as unknown as Parameters<Api['sendPhoto']>[3],
        );
        return { textMessageId: msg.message_id, photo: { kind: 'sent', messageId: photo.message_id } };
      } catch (err) {
        const error = describe(err);
        log?.warn({ err, chatId }, 'sendPhoto of the coverage heatmap failed; the digest went out as text only');
        return { textMessageId: msg.message_id, photo: { kind: 'failed', error } };
      }
    },
  };
}
