/**
 * How updates reach the bot: long polling through @grammyjs/runner, or Telegram's webhook (an
 * express handler the HTTP server mounts at `POST /telegram/webhook`).
 * Source: https://core.telegram.org/bots/api#getting-updates
 */
import { webhookCallback, type Bot, type Context } from 'grammy';
import type { RequestHandler } from 'express';

/** Options for {@link telegramWebhook}. */
export interface TelegramWebhookOptions {
  /**
   * Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (set with `setWebhook`); a request
   * without it is answered 401. Undefined accepts every request (serve refuses to start that way).
   */
  secretToken?: string;
}

/**
 * The express handler for webhook mode, to mount after `express.json()`. It answers 200 once the
 * update is handled; a failing handler is caught by the bot's `errorBoundary` (see bot/index.ts),
 * so it is not answered 500 and Telegram does not deliver it again.
 * @example app.post('/telegram/webhook', express.json(), telegramWebhook(bot, { secretToken }))
 */
export function telegramWebhook<C extends Context>(bot: Bot<C>, options: TelegramWebhookOptions = {}): RequestHandler {
  return webhookCallback(bot, 'express', { secretToken: options.secretToken }) as RequestHandler;
}
