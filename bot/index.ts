/**
 * The Telegram bot: assembles the feature composers, installs the API transformers (auto-retry,
 * throttling), the error funnel, and publishes the command menu.
 */
import { Bot, type ErrorHandler } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import type { Logger } from 'pino';
import type { Agent } from '../agent/index.ts';
import { approvalsComposer, type BotContext } from './approvals.ts';
import { conversationsComposer } from './conversations.ts';
import { driftComposer } from './drift.ts';
import { coverageComposer, type CoverageCommands } from './coverage.ts';
import type { DriftService } from '../agent/drift/index.ts';
import { chatAllowlist } from './auth.ts';
import { COMMANDS, commandsComposer } from './commands.ts';
import { redactionGate } from './redaction-gate.ts';

/** Options for {@link createBotApi}. */
export interface BotOptions {
  token: string;
  /** Bot API root for a self-hosted Bot API server or the test emulator (default api.telegram.org). */
  apiRoot?: string;
  /** Throttle outgoing calls to Telegram's rate limits (default true; tests against an emulator turn it off). */
  throttle?: boolean;
  /** Retry 429 and 5xx answers (default true). */
  retry?: boolean;
}

/**
 * Creates the bot with its API transformers but no handlers yet, so the notifier can be built from
 * `bot.api` before the agent exists.
 */
export function createBotApi(opts: BotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(opts.token, opts.apiRoot ? { client: { apiRoot: opts.apiRoot } } : undefined);
  bot.api.config.use(redactionGate()); // first: closest to the wire, every retry passes it again
  if (opts.retry !== false) bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: false }));
  if (opts.throttle !== false) bot.api.config.use(apiThrottler());
  return bot;
}

/**
 * Installs the handlers behind one error funnel, in this order: `bot.errorBoundary` (first, so it
 * protects everything after it), chat allowlist, per-chat sequentializing, conversations, drift,
 * coverage, commands, approval buttons.
 *
 * The funnel is `bot.errorBoundary`, not `bot.catch`: grammY calls `bot.catch` only when it polls
 * (bot.start / @grammyjs/runner); in webhook mode an error escaping the middleware rejects the
 * webhook request, Telegram sees an HTTP 500 and delivers the same update again. Inside the
 * boundary a failing update is logged, the user gets a short apology, and the update is answered.
 */
export function installHandlers(
  bot: Bot<BotContext>,
  deps: { agent: Agent; drift?: DriftService; coverage?: CoverageCommands; chatIds: readonly number[]; log: Logger },
): void {
  const log = deps.log.child({ component: 'bot' });
  const guarded = bot.errorBoundary(updateFailed(log));
  guarded.use(chatAllowlist(deps.chatIds, log));
  // Updates of one chat run one at a time (the runner runs updates concurrently); conversation
  // state is per chat and would race otherwise.
  guarded.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  guarded.use(conversationsComposer(deps.agent));
  // After the conversations plugin (Adopt asks for confirmation), before the approvals' catch-all.
  if (deps.drift) guarded.use(driftComposer(deps.drift, log));
  else guarded.command('drift', (ctx) => ctx.reply('Drift detection is not configured: set DRIFT_REPO (and DRIFT_BRANCH, DRIFT_FOLDERS) or DRIFT_SOURCES, then restart.'));
  if (deps.coverage) guarded.use(coverageComposer(deps.coverage, deps.agent, log));
  guarded.use(commandsComposer(deps.agent));
  guarded.use(approvalsComposer(deps.agent, log));
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

/** Publishes the command menu; a failure (e.g. an emulator without setMyCommands) is logged, not fatal. */
export async function publishCommands(bot: Bot<BotContext>, log: Logger): Promise<void> {
  try {
    await bot.api.setMyCommands(COMMANDS.map(({ command, description }) => ({ command, description })));
  } catch (err) {
    log.warn({ err }, 'setMyCommands failed; the command menu is not set');
  }
}
