/**
 * Bot API capture for bot unit tests: a grammY transformer that records every call (method and
 * payload) and answers it with a canned result, so no request leaves the process. Installed last,
 * it runs before auto-retry and the throttler and never calls them.
 */
import type { Api, Bot, Transformer } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import pino from 'pino';
import { createBot, createTelegramApi, type BotContext, type BotDeps } from '../../bot/index.ts';

/** One Bot API call the bot made. */
export interface CapturedCall {
  /** Bot API method, e.g. `'sendMessage'`. */
  method: string;
  /** The payload grammY sent (chat_id, text, reply_markup, …). */
  payload: Record<string, any>;
}

/** The bot the canned `getMe` answers with. */
export const BOT_INFO: UserFromGetMe = {
  id: 4242,
  is_bot: true,
  first_name: 'Watchkeeper',
  username: 'watchkeeper_test_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
} as UserFromGetMe;

/** Canned answers by method; a function receives the payload. Unlisted methods answer `true`. */
export type CannedResults = Record<string, (payload: Record<string, any>) => unknown>;

/**
 * Installs the capture transformer on `api` (usually the Api given to `createBot`, or `bot.api`).
 * `sendMessage` and the `edit*` methods answer a message with increasing ids; `getMe` answers
 * {@link BOT_INFO}; `canned` overrides per method (throw inside to simulate a failing call).
 * @returns the live list of calls, in order.
 */
export function captureApi(api: Api, canned: CannedResults = {}): CapturedCall[] {
  const calls: CapturedCall[] = [];
  let nextMessageId = 1000;
  const message = (payload: Record<string, any>) => ({
    message_id: payload.message_id ?? nextMessageId++,
    date: 1_764_670_000,
    chat: { id: payload.chat_id, type: 'supergroup', title: 'oncall' },
    text: payload.text,
  });
  const defaults: CannedResults = {
    getMe: () => BOT_INFO,
    sendMessage: message,
    editMessageText: message,
    editMessageReplyMarkup: message,
  };
  const transformer: Transformer = async (_prev, method, payload) => {
    const p = (payload ?? {}) as Record<string, any>;
    calls.push({ method, payload: p });
    const answer = canned[method] ?? defaults[method];
    return { ok: true, result: answer ? answer(p) : true } as any;
  };
  api.config.use(transformer);
  return calls;
}

/** Calls of one method, in order. */
export function callsOf(calls: readonly CapturedCall[], method: string): CapturedCall[] {
  return calls.filter((c) => c.method === method);
}

let updateId = 500;

/** A group chat message update (a command when `text` starts with `/`). */
export function messageUpdate(chatId: number, from: { id: number; first_name?: string; username?: string }, text: string): Update {
  const command = /^\/\w+/.exec(text);
  return {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      date: 1_764_670_000,
      chat: { id: chatId, type: 'supergroup', title: 'oncall' },
      from: { is_bot: false, first_name: from.first_name ?? 'Alice', id: from.id, username: from.username },
      text,
      ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
    },
  } as Update;
}

/** A callback query update: a button with `data` pressed on message `messageId` of `chatId`. */
export function callbackUpdate(chatId: number, from: { id: number; first_name?: string; username?: string }, data: string, messageId = 77): Update {
  return {
    update_id: ++updateId,
    callback_query: {
      id: `cq-${updateId}`,
      chat_instance: 'ci-1',
      from: { is_bot: false, first_name: from.first_name ?? 'Alice', id: from.id, username: from.username },
      data,
      message: { message_id: messageId, date: 1_764_670_000, chat: { id: chatId, type: 'supergroup', title: 'oncall' }, text: 'card' },
    },
  } as Update;
}

/** A bot built by `createBot` over captured API calls, with its log lines. */
export interface BotUnderTest {
  bot: Bot<BotContext>;
  /** Every Bot API call, in order (getMe of `init` included). */
  calls: CapturedCall[];
  /** Parsed pino lines (level ≥ info). */
  logs: Array<Record<string, any>>;
  /** Hands one update to `bot.handleUpdate` and returns the API calls it made. */
  send(update: Update): Promise<CapturedCall[]>;
}

/**
 * Builds the production bot (`createBot`) with the given features over a captured API and a
 * capturing logger, initialised (`getMe` answered by {@link BOT_INFO}).
 */
export async function startTestBot(deps: Omit<BotDeps, 'api' | 'log'>, canned: CannedResults = {}): Promise<BotUnderTest> {
  const logs: Array<Record<string, any>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const api = createTelegramApi({ token: '4242:test-token', throttle: false, retry: false });
  const calls = captureApi(api, canned);
  const bot = createBot({ ...deps, api, log });
  await bot.init();
  return {
    bot,
    calls,
    logs,
    async send(update) {
      const before = calls.length;
      await bot.handleUpdate(update);
      return calls.slice(before);
    },
  };
}
