/**
 * How updates reach the bot: long polling through @grammyjs/runner, or Telegram's webhook (an
 * express handler the HTTP server mounts at `POST /telegram/webhook`).
 * Source: https://core.telegram.org/bots/api#getting-updates
 */
import { webhookCallback, type Bot, type Context } from 'grammy';
import { run, type RunnerHandle } from '@grammyjs/runner';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { COMMANDS } from './features/commands.ts';

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

/** Options for {@link connectBot}. */
export interface ConnectOptions {
  /** Checked before every attempt; once true, connecting gives up (the process is stopping). */
  stopped: () => boolean;
  /** First wait after a failed `getMe`, ms (default 1000); it doubles up to {@link ConnectOptions.maxDelayMs}. */
  firstDelayMs?: number;
  /** Longest wait between attempts, ms (default 60 000). */
  maxDelayMs?: number;
}

/**
 * Initialises the bot (`getMe`) until Telegram answers, backing off 1 s doubling to 60 s, then
 * publishes the command menu (in the background: cosmetic, and auto-retry may back off a while).
 * Telegram being unreachable must not stop alert intake, so the caller need not await this.
 * @returns true once the bot is initialised; false if stopped first.
 */
export async function connectBot<C extends Context>(bot: Bot<C>, log: Logger, options: ConnectOptions): Promise<boolean> {
  const maxDelay = options.maxDelayMs ?? 60_000;
  for (let delay = options.firstDelayMs ?? 1000; !options.stopped(); delay = Math.min(delay * 2, maxDelay)) {
    try {
      await bot.init();
      log.info({ bot: bot.botInfo.username }, 'connected to Telegram');
      void publishCommands(bot, log);
      return true;
    } catch (err) {
      log.error({ err, retryInMs: delay }, 'Telegram unreachable (getMe failed); alerts are still accepted, cards wait');
      await new Promise((r) => setTimeout(r, delay).unref());
    }
  }
  return false;
}

/**
 * Publishes the command menu (`setMyCommands`) from the `COMMANDS` table of bot/features/commands.ts.
 * A failure (e.g. an emulator without setMyCommands) is logged, not thrown.
 */
export async function publishCommands<C extends Context>(bot: Bot<C>, log: Logger): Promise<void> {
  try {
    await bot.api.setMyCommands(COMMANDS.map(({ command, description }) => ({ command, description })));
  } catch (err) {
    log.warn({ err }, 'setMyCommands failed; the command menu is not set');
  }
}

/**
 * Starts long polling with @grammyjs/runner (updates of different chats concurrently; the bot's
 * `sequentialize` keeps one chat in order). A webhook left from webhook mode makes `getUpdates`
 * answer 409, so it is deleted first.
 * @param options.stopped checked after deleting the webhook: true means do not start.
 * @returns the runner, to `stop()` on shutdown; undefined when stopped first.
 */
export async function startPolling<C extends Context>(bot: Bot<C>, log: Logger, options: { stopped: () => boolean }): Promise<RunnerHandle | undefined> {
  await bot.api.deleteWebhook().catch((err) => log.warn({ err }, 'deleteWebhook failed'));
  return options.stopped() ? undefined : run(bot);
}

/**
 * Tells Telegram where to POST updates (`setWebhook` with the secret token). A failure is logged
 * at `error`: Telegram cannot deliver updates until it succeeds.
 * @param url public HTTPS URL of `POST /telegram/webhook`.
 */
export async function registerWebhook<C extends Context>(bot: Bot<C>, url: string, options: TelegramWebhookOptions, log: Logger): Promise<void> {
  await bot.api
    .setWebhook(url, { secret_token: options.secretToken })
    .catch((err) => log.error({ err }, 'setWebhook failed; Telegram cannot deliver updates'));
}
