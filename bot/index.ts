/**
 * The Telegram bot: assembles the feature composers, installs the API transformers (auto-retry,
 * throttling), the error funnel, and publishes the command menu.
 */
import { Bot } from 'grammy';
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
  if (opts.retry !== false) bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: false }));
  if (opts.throttle !== false) bot.api.config.use(apiThrottler());
  return bot;
}

/**
 * Installs the handlers: chat allowlist, commands, approval buttons, and `bot.catch` (one error
 * funnel: a failing update is logged and never crashes the process).
 */
export function installHandlers(
  bot: Bot<BotContext>,
  deps: { agent: Agent; drift?: DriftService; coverage?: CoverageCommands; chatIds: readonly number[]; log: Logger },
): void {
  const log = deps.log.child({ component: 'bot' });
  bot.use(chatAllowlist(deps.chatIds, log));
  // Updates of one chat run one at a time (the runner runs updates concurrently); conversation
  // state is per chat and would race otherwise.
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString()));
  bot.use(conversationsComposer(deps.agent));
  // After the conversations plugin (Adopt asks for confirmation), before the approvals' catch-all.
  if (deps.drift) bot.use(driftComposer(deps.drift, log));
  else bot.command('drift', (ctx) => ctx.reply('Drift detection is not configured: set DRIFT_REPO (and DRIFT_BRANCH, DRIFT_FOLDERS) or DRIFT_SOURCES, then restart.'));
  if (deps.coverage) bot.use(coverageComposer(deps.coverage, deps.agent, log));
  bot.use(commandsComposer(deps.agent));
  bot.use(approvalsComposer(deps.agent, log));
  bot.catch(async (err) => {
    log.error({ err: err.error, update: err.ctx.update.update_id }, 'update handling failed');
    const ctx = err.ctx;
    try {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: 'Something went wrong; nothing was changed. Try again.' });
      else if (ctx.chat) await ctx.reply('Something went wrong handling that; it has been logged. Try again in a moment.');
    } catch {
      // Telegram itself failing: already logged above.
    }
  });
}

/** Publishes the command menu; a failure (e.g. an emulator without setMyCommands) is logged, not fatal. */
export async function publishCommands(bot: Bot<BotContext>, log: Logger): Promise<void> {
  try {
    await bot.api.setMyCommands(COMMANDS.map(({ command, description }) => ({ command, description })));
  } catch (err) {
    log.warn({ err }, 'setMyCommands failed; the command menu is not set');
  }
}
