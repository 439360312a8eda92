/**
 * The Telegram bot, assembled: the API with its transformers, then one middleware chain —
 * error funnel, chat allowlist, per-chat ordering, the feature composers. Nothing here handles an
 * update itself; each feature lives in bot/features/, its words in bot/render/, how updates arrive
 * in bot/delivery.ts.
 */
import { Api, Bot, type ErrorHandler } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import type { Logger } from 'pino';
import type { Agent } from '../agent/index.ts';
import { approvalsComposer, type BotContext } from './approvals.ts';
import { conversationsComposer } from './conversations.ts';
import { driftComposer, driftUnconfiguredComposer, type DriftChat } from './features/drift.ts';
import { coverageComposer, type CoverageCommands } from './features/coverage.ts';
import { chatAllowlist } from './auth.ts';
import { commandsComposer } from './features/commands.ts';
import { redactionGate } from './redaction-gate.ts';

export type { BotContext } from './approvals.ts';

/** Options for {@link createTelegramApi}. */
export interface TelegramApiOptions {
  /** Bot token from @BotFather. */
  token: string;
  /** Bot API root for a self-hosted Bot API server or the test emulator (default https://api.telegram.org). */
  apiRoot?: string;
  /** Throttle outgoing calls to Telegram's rate limits (default true; tests against an emulator turn it off). */
  throttle?: boolean;
  /** Retry 429 (after `retry_after`) and 5xx answers, up to 3 times and 30 s apart (default true). */
  retry?: boolean;
}

/**
 * Creates the Bot API client with its transformers: the redaction gate (first, so it is closest to
 * the wire and every retry passes it again; bot/redaction-gate.ts), auto-retry, the throttler. Build it first:
 * the chat ports of bot/notifier.ts post through it before the core exists, and {@link createBot}
 * reuses its token, API root and the very same transformers (one throttle for all calls).
 * Source: https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this
 */
export function createTelegramApi(options: TelegramApiOptions): Api {
  const api = new Api(options.token, options.apiRoot ? { apiRoot: options.apiRoot } : undefined);
  api.config.use(redactionGate());
  if (options.retry !== false) api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: false }));
  if (options.throttle !== false) api.config.use(apiThrottler());
  return api;
}

/** What {@link createBot} assembles. */
export interface BotDeps {
  /** The API from {@link createTelegramApi}: token, API root and transformers are taken from it. */
  api: Api;
  /** The core's public entry (commands, cards, decisions, the rejection-reason conversation). */
  agent: Agent;
  /** Drift commands and buttons; without it `/drift` says how to configure a source. */
  drift?: DriftChat;
  /** `/coverage`; without it the command is not handled. */
  coverage?: CoverageCommands;
  /** Chats the bot talks in (groups are negative); updates from any other chat are dropped. */
  chatIds: readonly number[];
  log: Logger;
}

/**
 * Creates the bot and its middleware chain, in this order:
 * 1. `bot.errorBoundary` — the one error funnel, first so it protects everything after it;
 * 2. chat allowlist (bot/auth.ts);
 * 3. `sequentialize` by chat: updates of one chat run one at a time (the runner runs updates
 *    concurrently; conversation state is per chat and would race otherwise);
 * 4. features: conversations (reject reason), drift (after conversations: Adopt asks for
 *    confirmation), coverage, commands, and the card buttons (last: their catch-all answers any
 *    unknown button).
 *
 * The funnel is `bot.errorBoundary`, not `bot.catch`: grammY calls `bot.catch` only when it polls
 * (bot.start / @grammyjs/runner); in webhook mode an error escaping the middleware rejects the
 * webhook request, Telegram sees an HTTP 500 and delivers the same update again. Inside the
 * boundary a failing update is logged, the user gets a short apology, and the update is answered.
 *
 * The bot is not initialised (`getMe`) here; see `connectBot` in bot/delivery.ts.
 * @example
 * const api = createTelegramApi({ token })
 * const agent = …createNotifier(api)…
 * const bot = createBot({ api, agent, chatIds: [-100123], log })
 */
export function createBot(deps: BotDeps): Bot<BotContext> {
  const bot = bareBot(deps.api);
  const log = deps.log.child({ component: 'bot' });
  const features = bot.errorBoundary(updateFailed(log));
  features.use(chatAllowlist(deps.chatIds, log));
  features.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  features.use(conversationsComposer(deps.agent));
  features.use(deps.drift ? driftComposer(deps.drift, log) : driftUnconfiguredComposer());
  if (deps.coverage) features.use(coverageComposer(deps.coverage, deps.agent, log));
  features.use(commandsComposer(deps.agent));
  features.use(approvalsComposer(deps.agent, log));
  return bot;
}

/**
 * A bot over `api` (its token, API root and the same transformer instances, which grammY copies
 * to every update's `ctx.api`) with no middleware yet. {@link createBot} builds on it; tests that
 * need the production API wiring around their own handlers use it directly.
 */
export function bareBot(api: Api): Bot<BotContext> {
  const bot = new Bot<BotContext>(api.token, { client: api.options });
  bot.api.config.use(...api.config.installedTransformers());
  return bot;
}

/**
 * The bot's error funnel (handler of `bot.errorBoundary`): logs the error with the update id at
 * level `error`, then tells the user nothing was changed (a callback query is answered, a message
 * replied to). A failure to tell the user is logged at `warn` and swallowed, so the update is
 * always answered normally.
 */
function updateFailed(log: Logger): ErrorHandler<BotContext> {
  return async (err) => {
    const ctx = err.ctx;
    log.error({ err: err.error, update: ctx.update.update_id, chatId: ctx.chat?.id, from: ctx.from?.id }, 'update handling failed');
    try {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: 'Something went wrong; nothing was changed. Try again.' });
      else if (ctx.chat) await ctx.reply('Something went wrong handling that; it has been logged. Try again in a moment.');
    } catch (replyErr) {
      log.warn({ err: replyErr, update: ctx.update.update_id }, 'could not tell the user that the update failed');
    }
  };
}
