/**
 * End-to-end Telegram harness around the `telegram-test-api` emulator (v4.2.1).
 *
 * Topology (everything in-process, bound to 127.0.0.1 on ephemeral ports):
 *
 * ```
 *   grammY Bot ──HTTP──▶ recording proxy (apiRoot) ──HTTP──▶ telegram-test-api express app
 *        ▲                    │ records every call,                   ▲
 *        │                    │ keeps the "chat as the user sees it"  │ in-process:
 *        │                    │ model, patches response shapes        │ addUserMessage / addUserCommand /
 *        └── pump (20 ms) ◀───┴──────── getUpdates(token) ◀───────────┘ addUserCallback / getUpdates
 * ```
 *
 * Why a proxy: the emulator does not record the bot's API calls (only a `DEBUG=TelegramServer:request`
 * log line), it stores only `sendMessage`s, it answers `editMessageText`/`answerCallbackQuery` with
 * `result: null`, and its edit semantics differ from Telegram's (see "Quirks" below). The proxy sees
 * every request and response, so the harness can keep an accurate model of each chat and a full call log.
 *
 * Why a pump instead of `bot.start()` or the emulator's webhook mode:
 * - The emulator's `getUpdates` ignores `offset`/`timeout`/`limit` and returns immediately, so
 *   `bot.start()` / `@grammyjs/runner` would busy-loop HTTP requests. The pump polls the emulator
 *   in-process every `intervalMs` instead.
 * - Exactly-once: the emulator marks an update read when `getUpdates` returns it; the pump is the only
 *   reader and additionally de-duplicates by `update_id`. Order: storage order == `update_id` order.
 * - Webhook mode is worse: the emulator POSTs (axios) the update while the user-side request is still in
 *   progress and only increments its message-id counter after the webhook returns, so the bot's reply
 *   gets the SAME `message_id` as the user's message; a failing webhook for a callback query becomes an
 *   unhandled promise rejection (the `/sendCallback` route does not await). If the bot itself calls
 *   `setWebhook`, the emulator starts pushing to that URL and the pump sees nothing (documented, not
 *   prevented).
 * - By default each update is handed to the handler without awaiting it (like `@grammyjs/runner`), so a
 *   slow callback-query handler does not delay the next update. Handlers START in `update_id` order (the
 *   synchronous prefix of `bot.handleUpdate` runs in order) but may FINISH out of order. Pass
 *   `{ dispatch: 'sequential' }` to await each update before the next (like `bot.start()`).
 *
 * Quirks of telegram-test-api 4.2.1 discovered by reading `lib/` (and pinned by the test file):
 * - Unknown methods (setMyCommands, sendDocument, getChat, ...) answer HTTP 500 with
 *   `{ message: "API method 'x' is not supported. ..." }` (not the Bot API `{ ok: false, ... }` shape).
 *   grammY turns that into a `GrammyError` with `error_code`/`description` `undefined`; with
 *   `telegramSemantics` (default) the proxy rewrites it to `{ ok: false, error_code: 500, description }`.
 * - `getMe` → `{ id: 666, username: 'TestNameBot', first_name: 'Test First name' }` (no `is_bot`).
 *   Any token is accepted; nothing is authenticated.
 * - `sendMessage` result: the request body spread (incl. `chat_id`, `parse_mode`, ...) plus
 *   `message_id`, `date` in MILLISECONDS, `chat: { id, first_name: 'Bot', type: 'private' }` whatever the
 *   chat really is, NO `from`; `reply_markup` kept only if it is an inline keyboard. Text is not parsed
 *   for `parse_mode`, no entities.
 * - One global message-id counter shared by user messages and bot messages across all chats (ids per
 *   chat increase but have gaps). Update ids are another global counter. Callback query ids are
 *   `"1"`, `"2"`, ... (a third counter).
 * - The message counter is incremented only after an `await`, so two user messages injected in the same
 *   tick get the same `message_id` — the harness serialises user injections to avoid that.
 * - User updates are the client request verbatim: `update.message` carries an extra `botToken` field
 *   (the pump strips it). `callback_query` is `{ id, from, message, data }` — `message` is whatever the
 *   client sent (the emulator's own client sends only `{ from, chat }`, no `message_id`, so
 *   `ctx.editMessageText` would fail) and there is no `chat_instance`. The harness sends the bot's
 *   message as currently seen (message_id, from = bot, chat, date, text, reply_markup) and the pump adds
 *   `chat_instance`.
 * - `editMessageText` / `editMessageReplyMarkup` DO update the stored message (shallow merge of the
 *   request body) but answer `result: null`; they succeed silently for unknown messages and never report
 *   "message is not modified"; `editMessageText` without `reply_markup` KEEPS the old keyboard (Telegram
 *   removes it); `editMessageReplyMarkup` without an inline keyboard (= "remove keyboard") is ignored.
 *   The harness therefore does not read the emulator's storage: it applies edits to its own model with
 *   Telegram's semantics.
 * - `answerCallbackQuery` accepts anything and stores nothing (result `null`).
 * - `deleteMessage` removes the stored message (bot or user) and answers `ok: false` (HTTP 200) when not
 *   found.
 * - `TelegramServer.start()` treats port 0 as "use 9000" and `stop()` throws unless `start()` ran, so the
 *   harness mounts the emulator's express app on its own `http.Server` (port 0). A side effect: the
 *   emulator's 60 s storage clean-up daemon never runs, so long tests do not lose pending updates.
 *
 * With `telegramSemantics: true` (default) the proxy makes responses look like Telegram's:
 * `sendMessage`/`edit*` return a proper `Message` (seconds `date`, `from` = bot, real chat type),
 * `answerCallbackQuery`/`deleteMessage`/`setWebhook` return `true`, `getMe` gets `is_bot: true`, editing
 * an unknown/deleted message → 400 "message to edit not found", an identical edit → 400 "message is not
 * modified", answering an unknown callback query id → 400 "query is too old ...". The raw emulator
 * answer is always kept in {@link ApiCall.emulatorResponse}.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js';
import type {
  Chat,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  MessageEntity,
  Update,
  User,
} from 'grammy/types';

// ---------------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------------

/** Options for {@link startTelegramEmulator}. */
export interface TelegramEmulatorOptions {
  /** Bot token the emulator stores updates under. Default `'123456:watchkeeper-test-token'`. */
  token?: string;
  /** Interface to bind. Default `'127.0.0.1'`. */
  host?: string;
  /**
   * Make the proxy answer like the real Bot API (see module docs). Default `true`. When `false` the bot
   * receives the emulator's raw responses; the harness model still applies Telegram edit semantics.
   */
  telegramSemantics?: boolean;
  /** Default timeout of the `waitFor*` helpers, ms. Default 3000. */
  defaultTimeoutMs?: number;
}

/** Anything with grammY's `handleUpdate` signature (a `Bot` instance). */
export interface UpdateSink {
  /** Handle one update (grammY: `Bot.handleUpdate`). */
  handleUpdate(update: Update): Promise<unknown>;
  /** grammY's `Bot.isInited()`; checked when present so a forgotten `bot.init()` fails loudly. */
  isInited?(): boolean;
}

/** Options for {@link TelegramEmulator.pumpInto} / {@link TelegramEmulator.deliverTo}. */
export interface PumpOptions {
  /** Poll interval, ms. Default 20. */
  intervalMs?: number;
  /**
   * `'concurrent'` (default): start each update's handler in order without awaiting it, so a slow
   * handler never delays the next update (like `@grammyjs/runner`). `'sequential'`: await each handler
   * before delivering the next update (like `bot.start()`).
   */
  dispatch?: 'concurrent' | 'sequential';
  /** Called for every handler rejection (also collected in {@link TelegramEmulator.handlerErrors}). */
  onError?: (error: unknown, update: Update) => void;
}

/** One Bot API request the bot made through {@link TelegramEmulator.apiRoot}. */
export interface ApiCall {
  /** 1-based order of arrival at the proxy. */
  seq: number;
  /** Bot API method, e.g. `'sendMessage'`. */
  method: string;
  /** Token from the URL. */
  token: string;
  /** HTTP method (grammY uses POST). */
  httpMethod: string;
  /** Parsed JSON / urlencoded / query parameters; `undefined` for multipart (file upload) bodies. */
  params: Record<string, unknown> | undefined;
  /** HTTP status the bot received (undefined while in flight). */
  status?: number;
  /** JSON body the bot received (undefined while in flight). */
  response?: unknown;
  /** HTTP status the emulator answered (undefined when the proxy answered by itself). */
  emulatorStatus?: number;
  /** Raw JSON the emulator answered (undefined when the proxy answered by itself). */
  emulatorResponse?: unknown;
  /** True when the proxy answered without asking the emulator (telegramSemantics pre-checks). */
  synthetic: boolean;
  /** `Date.now()` at arrival. */
  startedAt: number;
  /** Round-trip time in ms (undefined while in flight). */
  durationMs?: number;
}

/** A bot message as the users of a chat currently see it (edits applied). Snapshot: never mutated. */
export interface BotMessageView {
  /** Id assigned by the emulator (global counter). */
  message_id: number;
  /** Chat the message is in. */
  chat_id: number;
  /** Current text, exactly as the bot sent it (the emulator does not render `parse_mode`). */
  text: string;
  /** Current `parse_mode`, if any. */
  parse_mode?: string;
  /** Current `entities` as sent by the bot, if any. */
  entities?: MessageEntity[];
  /** Current inline keyboard; undefined once removed (or never present). */
  reply_markup?: InlineKeyboardMarkup;
  /** All current inline buttons, rows flattened (empty when there is no keyboard). */
  buttons: InlineKeyboardButton[];
  /** Unix seconds when sent. */
  date: number;
  /** Unix seconds of the last edit. */
  edit_date?: number;
  /** Number of edits applied (editMessageText + editMessageReplyMarkup). */
  editCount: number;
  /** Earlier versions, oldest first (one entry per edit). */
  history: Array<{ text: string; reply_markup?: InlineKeyboardMarkup }>;
  /** True once the bot deleted it (deleted messages are hidden from `messages()` by default). */
  deleted: boolean;
}

/** An `answerCallbackQuery` call the bot made for a button press. */
export interface CallbackAnswer {
  /** The callback query id (emulator: `"1"`, `"2"`, ...). */
  callbackQueryId: string;
  /** Id of the user who pressed. */
  userId: number;
  /** The pressed button's callback data. */
  data: string;
  /** Message the button belonged to. */
  messageId: number;
  /** Toast / alert text, if any. */
  text?: string;
  /** True when shown as an alert instead of a toast. */
  show_alert?: boolean;
  /** URL to open, if any. */
  url?: string;
  /** Client cache time, if any. */
  cache_time?: number;
  /** `Date.now()` when the bot answered. */
  at: number;
}

/** A user message injected into the emulator. */
export interface SentUserMessage {
  /** Message id the emulator assigned. */
  message_id: number;
  /** Update id the emulator assigned. */
  update_id: number;
  /** The text sent. */
  text: string;
  /**
   * Wait for the first bot message in this chat sent after this user message (race-free: the emulator's
   * message ids are a global monotonic counter).
   */
  reply(predicate?: (m: BotMessageView) => boolean, timeoutMs?: number): Promise<BotMessageView>;
}

/** A button press injected into the emulator. */
export interface ButtonPress {
  /** Callback query id the emulator assigned. */
  callbackQueryId: string;
  /** Update id the emulator assigned. */
  update_id: number;
  /** Callback data sent. */
  data: string;
  /** Message the button belongs to. */
  messageId: number;
  /** `answerCallbackQuery` calls the bot made for this press so far (Telegram allows exactly one). */
  answers(): CallbackAnswer[];
  /** Wait for the bot's `answerCallbackQuery` for this press. */
  answer(timeoutMs?: number): Promise<CallbackAnswer>;
}

/** Options for {@link TelegramChat.messages}. */
export interface MessagesOptions {
  /** Include messages the bot deleted. Default false. */
  includeDeleted?: boolean;
}

/** Options for {@link TelegramUser.pressButton}. */
export interface PressOptions {
  /**
   * Send the callback even if the message/button is not (or no longer) visible — e.g. to simulate a
   * stale client or a forged callback. Default false: pressing a button that is not on screen throws.
   */
  force?: boolean;
}

/** Error thrown by the `waitFor*` helpers on timeout; the message includes a dump of the chat. */
export class EmulatorTimeoutError extends Error {
  override name = 'EmulatorTimeoutError';
}

// ---------------------------------------------------------------------------------------------------
// Internals of telegram-test-api 4.2.1 the harness relies on (TS-private, runtime-public)
// ---------------------------------------------------------------------------------------------------

interface StoredUserUpdate {
  botToken: string;
  isRead: boolean;
  updateId: number;
}

interface EmulatorInternals {
  webServer: http.RequestListener;
  updateId: number;
  messageId: number;
  callbackId: number;
  config: { apiURL: string };
  storage: { userMessages: StoredUserUpdate[]; botMessages: unknown[] };
  getUpdates(token: string): unknown[];
  addUserMessage(message: object): Promise<void>;
  addUserCommand(message: object): Promise<void>;
  addUserCallback(callbackQuery: object): Promise<void>;
}

function internalsOf(server: TelegramServer): EmulatorInternals {
  const internals = server as unknown as EmulatorInternals;
  for (const key of ['updateId', 'messageId', 'callbackId'] as const) {
    if (typeof internals[key] !== 'number') {
      throw new Error(`telegram-test-api internals changed (${key}); the harness targets v4.2.1`);
    }
  }
  if (typeof internals.webServer !== 'function') {
    throw new Error('telegram-test-api internals changed (webServer); the harness targets v4.2.1');
  }
  return internals;
}

// ---------------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------------

interface StoredBotMessage {
  message_id: number;
  chat_id: number;
  text: string;
  parse_mode?: string;
  entities?: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  date: number;
  edit_date?: number;
  editCount: number;
  history: Array<{ text: string; reply_markup?: InlineKeyboardMarkup }>;
  deleted: boolean;
}

interface PressRecord {
  callbackQueryId: string;
  userId: number;
  chatId: number;
  messageId: number;
  data: string;
  answers: CallbackAnswer[];
}

interface PumpState {
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
  ticking: Promise<void> | undefined;
}

const NOT_MODIFIED =
  'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const EDIT_NOT_FOUND = 'Bad Request: message to edit not found';
const QUERY_INVALID = 'Bad Request: query is too old and response timeout expired or query ID is invalid';

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function asInlineKeyboard(value: unknown): InlineKeyboardMarkup | undefined {
  const parsed = parseMaybeJson(value);
  if (parsed && typeof parsed === 'object' && 'inline_keyboard' in parsed) {
    const markup = parsed as InlineKeyboardMarkup;
    return Array.isArray(markup.inline_keyboard) && markup.inline_keyboard.length > 0 ? clone(markup) : undefined;
  }
  return undefined;
}

function sameMarkup(a: InlineKeyboardMarkup | undefined, b: InlineKeyboardMarkup | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function chatKey(chatId: unknown): string {
  return String(chatId);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseParams(contentType: string | undefined, body: Buffer, query: URLSearchParams): Record<string, unknown> | undefined {
  const params: Record<string, unknown> = Object.fromEntries(query.entries());
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/')) return undefined;
  if (body.length === 0) return params;
  const text = body.toString('utf8');
  if (type.includes('json')) {
    const parsed = parseMaybeJson(text);
    return isRecord(parsed) ? { ...params, ...parsed } : params;
  }
  if (type.includes('x-www-form-urlencoded')) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(text).entries()) };
  }
  return params;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function listen(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Emulator
// ---------------------------------------------------------------------------------------------------

/**
 * A running telegram-test-api emulator plus recording proxy, update pump and per-chat model.
 * Create with {@link startTelegramEmulator}; always {@link TelegramEmulator.close} it (afterEach).
 */
export class TelegramEmulator {
  /** Pass to grammY: `new Bot(emulator.token, { client: { apiRoot: emulator.apiRoot } })`. No trailing slash. */
  readonly apiRoot: string;
  /** The bot token updates are stored under. */
  readonly token: string;
  /** Base URL of the raw emulator (bypasses the proxy: calls are neither recorded nor modelled). */
  readonly emulatorUrl: string;
  /** The underlying telegram-test-api server (escape hatch; its `start()`/`stop()` are not used). */
  readonly server: TelegramServer;
  /** The bot identity the emulator's `getMe` reports (constant in telegram-test-api). */
  readonly botUser: User = { id: 666, is_bot: true, first_name: 'Test First name', username: 'TestNameBot' };

  private readonly internals: EmulatorInternals;
  private readonly proxy: http.Server;
  private readonly backend: http.Server;
  private readonly semantics: boolean;
  readonly #defaultTimeoutMs: number;
  private readonly calls: ApiCall[] = [];
  private readonly chats = new Map<string, Map<number, StoredBotMessage>>();
  private readonly chatObjects = new Map<string, Chat>();
  private readonly presses = new Map<string, PressRecord>();
  private readonly delivered: Update[] = [];
  private readonly deliveredIds = new Set<number>();
  private readonly errors: Array<{ error: unknown; update: Update }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private proxyInFlight = 0;
  private injectChain: Promise<unknown> = Promise.resolve();
  private pump: PumpState | undefined;
  private lastDeliveredUpdateId = 0;
  private closed = false;

  /** @internal use {@link startTelegramEmulator}. */
  constructor(init: {
    server: TelegramServer;
    proxy: http.Server;
    backend: http.Server;
    apiRoot: string;
    emulatorUrl: string;
    token: string;
    semantics: boolean;
    defaultTimeoutMs: number;
  }) {
    this.server = init.server;
    this.internals = internalsOf(init.server);
    this.proxy = init.proxy;
    this.backend = init.backend;
    this.apiRoot = init.apiRoot;
    this.emulatorUrl = init.emulatorUrl;
    this.token = init.token;
    this.semantics = init.semantics;
    this.#defaultTimeoutMs = init.defaultTimeoutMs;
  }

  /** Default timeout of the `waitFor*` helpers, ms. */
  get defaultTimeoutMs(): number {
    return this.#defaultTimeoutMs;
  }

  // ----- users & chats ---------------------------------------------------------------------------

  /**
   * A user who talks to the bot in `chatId`. For a private chat pass `chatId === userId`; a negative
   * `chatId` is a group (≤ -10^12: supergroup). Several users may share one group chat.
   * @param userId Telegram user id (`from.id` of everything this user sends).
   * @param chatId Chat the user writes in.
   * @param name `first_name`; default `User<userId>`. `username` is `user<userId>`.
   */
  user(userId: number, chatId: number, name?: string): TelegramUser {
    const from: User = { id: userId, is_bot: false, first_name: name ?? `User${userId}`, username: `user${userId}` };
    const key = chatKey(chatId);
    if (!this.chatObjects.has(key)) {
      this.chatObjects.set(
        key,
        chatId < 0
          ? {
              id: chatId,
              type: chatId <= -1_000_000_000_000 ? 'supergroup' : 'group',
              title: `Chat ${chatId}`,
            } as Chat
          : ({ id: chatId, type: 'private', first_name: from.first_name, username: from.username } as Chat),
      );
    }
    return new TelegramUser(this, from, this.chat(chatId));
  }

  /** A view of one chat (e.g. an alert channel no test user writes in). */
  chat(chatId: number): TelegramChat {
    return new TelegramChat(this, chatId);
  }

  /** The `Chat` object used in updates for `chatId`. */
  chatObject(chatId: number): Chat {
    const known = this.chatObjects.get(chatKey(chatId));
    if (known) return clone(known);
    return chatId < 0
      ? ({ id: chatId, type: chatId <= -1_000_000_000_000 ? 'supergroup' : 'group', title: `Chat ${chatId}` } as Chat)
      : ({ id: chatId, type: 'private', first_name: `User${chatId}` } as Chat);
  }

  // ----- observation -----------------------------------------------------------------------------

  /** Every Bot API call the bot made through {@link apiRoot}, in arrival order (copies). */
  apiCalls(method?: string): ApiCall[] {
    return this.calls.filter((c) => method === undefined || c.method === method).map((c) => clone(c));
  }

  /** Updates the pump delivered, in delivery order (copies). */
  deliveredUpdates(): Update[] {
    return this.delivered.map((u) => clone(u));
  }

  /** Rejections of the update handler (e.g. grammY `BotError` when no `bot.catch` is installed). */
  handlerErrors(): Array<{ error: unknown; update: Update }> {
    return [...this.errors];
  }

  /** Number of user updates stored in the emulator and not yet fetched by the pump. */
  pendingUpdateCount(): number {
    return this.internals.storage.userMessages.filter((u) => u.botToken === this.token && !u.isRead).length;
  }

  /** All `answerCallbackQuery` calls, in order. */
  callbackAnswers(): CallbackAnswer[] {
    return [...this.presses.values()].flatMap((p) => p.answers).sort((a, b) => a.at - b.at).map((a) => ({ ...a }));
  }

  /**
   * Poll `probe` every 10 ms until it returns something other than `undefined`/`null`/`false`.
   * @param probe Returns the awaited value, or a falsy "not yet".
   * @param timeoutMs Default {@link defaultTimeoutMs}.
   * @param describe Extra text for the timeout error.
   */
  async waitFor<T>(
    probe: () => T | undefined | null | false,
    timeoutMs = this.#defaultTimeoutMs,
    describe?: () => string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value !== undefined && value !== null && value !== false) return value;
      if (Date.now() >= deadline) {
        throw new EmulatorTimeoutError(`waitFor timed out after ${timeoutMs} ms${describe ? `\n${describe()}` : ''}`);
      }
      await sleep(10);
    }
  }

  /** Wait for an API call matching `predicate` that has completed (has a response). */
  waitForApiCall(predicate: (call: ApiCall) => boolean, timeoutMs = this.#defaultTimeoutMs): Promise<ApiCall> {
    return this.waitFor(
      () => {
        const call = this.calls.find((c) => c.status !== undefined && predicate(c));
        return call ? clone(call) : undefined;
      },
      timeoutMs,
      () => `API calls so far: ${this.calls.map((c) => `${c.seq}:${c.method}`).join(', ') || '(none)'}`,
    );
  }

  /**
   * Wait until nothing is pending: no undelivered update, no running handler, no bot API request in
   * flight — stable over two pump intervals. Useful before asserting that something did NOT happen.
   * (Timers the bot started on its own are invisible to this.)
   */
  async settled(timeoutMs = this.#defaultTimeoutMs): Promise<void> {
    let quietSince: number | undefined;
    await this.waitFor(
      () => {
        const busy = this.pendingUpdateCount() > 0 || this.inFlight.size > 0 || this.proxyInFlight > 0;
        if (busy) {
          quietSince = undefined;
          return false;
        }
        quietSince ??= Date.now();
        return Date.now() - quietSince >= 50;
      },
      timeoutMs,
      () =>
        `pending=${this.pendingUpdateCount()} handlers=${this.inFlight.size} apiRequests=${this.proxyInFlight}`,
    );
  }

  // ----- delivery --------------------------------------------------------------------------------

  /**
   * Deliver updates to a grammY bot: `bot.handleUpdate(update)` for each pending update, every
   * `intervalMs`, until {@link stopPump} or {@link close}. The bot must be initialised (`await bot.init()`).
   * Handler rejections are collected in {@link handlerErrors}. Do not also call `bot.start()` / `run(bot)`:
   * the emulator hands each update to whichever poller asks first, and its `getUpdates` does not block.
   */
  pumpInto(bot: UpdateSink, options?: PumpOptions): void {
    if (bot.isInited && !bot.isInited()) {
      throw new Error('pumpInto: call `await bot.init()` first (grammY handleUpdate needs botInfo)');
    }
    this.deliverTo((update) => bot.handleUpdate(update), options);
  }

  /**
   * Deliver updates to an arbitrary handler (see {@link pumpInto}). Only one pump per emulator.
   * Each update is delivered exactly once, in `update_id` order.
   */
  deliverTo(handler: (update: Update) => Promise<unknown> | unknown, options: PumpOptions = {}): void {
    if (this.closed) throw new Error('emulator is closed');
    if (this.pump && !this.pump.stopped) throw new Error('a pump is already running on this emulator');
    const intervalMs = options.intervalMs ?? 20;
    const sequential = options.dispatch === 'sequential';
    const state: PumpState = { stopped: false, timer: undefined, ticking: undefined };
    this.pump = state;

    const dispatch = (update: Update): Promise<void> => {
      const run = (async () => {
        await handler(update);
      })().catch((error: unknown) => {
        this.errors.push({ error, update });
        options.onError?.(error, update);
      });
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
      return run;
    };

    const tick = async (): Promise<void> => {
      if (state.stopped) return;
      const batch = this.internals.getUpdates(this.token);
      for (const raw of batch) {
        const update = this.normaliseUpdate(raw);
        if (this.deliveredIds.has(update.update_id)) {
          this.errors.push({ error: new Error(`duplicate update ${update.update_id} skipped`), update });
          continue;
        }
        if (update.update_id < this.lastDeliveredUpdateId) {
          this.errors.push({ error: new Error(`update ${update.update_id} arrived out of order`), update });
        }
        this.lastDeliveredUpdateId = Math.max(this.lastDeliveredUpdateId, update.update_id);
        this.deliveredIds.add(update.update_id);
        this.delivered.push(clone(update));
        const run = dispatch(update);
        if (sequential) await run;
        if (state.stopped) break;
      }
    };

    const loop = (): void => {
      if (state.stopped) return;
      state.ticking = tick().finally(() => {
        state.ticking = undefined;
        if (!state.stopped) state.timer = setTimeout(loop, intervalMs);
      });
    };
    loop();
  }

  /** Stop the pump (updates stay queued in the emulator); waits for the current poll to finish. */
  async stopPump(): Promise<void> {
    const state = this.pump;
    if (!state) return;
    state.stopped = true;
    if (state.timer) clearTimeout(state.timer);
    await state.ticking;
  }

  /**
   * Stop the pump, wait (up to `drainTimeoutMs`, default 5000) for running handlers, then shut down the
   * proxy and the emulator. Idempotent.
   */
  async close(drainTimeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopPump();
    if (this.inFlight.size > 0) {
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(drainTimeoutMs)]);
    }
    await Promise.all([closeServer(this.proxy), closeServer(this.backend)]);
    this.internals.storage.userMessages = [];
    this.internals.storage.botMessages = [];
  }

  // ----- user-side injection (used by TelegramUser) ------------------------------------------------

  /** @internal Serialise injections: the emulator bumps its message counter only after an await. */
  inject<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('emulator is closed'));
    const run = this.injectChain.then(fn, fn);
    this.injectChain = run.catch(() => undefined);
    return run;
  }

  /** @internal */
  async injectMessage(from: User, chatId: number, text: string, entities?: MessageEntity[]): Promise<{ message_id: number; update_id: number }> {
    return this.inject(async () => {
      const message_id = this.internals.messageId;
      const update_id = this.internals.updateId;
      const body = {
        botToken: this.token,
        from: clone(from),
        chat: this.chatObject(chatId),
        date: nowSeconds(),
        text,
        ...(entities ? { entities } : {}),
      };
      if (entities) await this.internals.addUserCommand(body);
      else await this.internals.addUserMessage(body);
      return { message_id, update_id };
    });
  }

  /** @internal */
  async injectCallback(from: User, chatId: number, messageId: number, data: string): Promise<ButtonPress> {
    const { callbackQueryId, update_id } = await this.inject(async () => {
      const callbackQueryId = String(this.internals.callbackId);
      const update_id = this.internals.updateId;
      this.presses.set(callbackQueryId, { callbackQueryId, userId: from.id, chatId, messageId, data, answers: [] });
      const stored = this.chats.get(chatKey(chatId))?.get(messageId);
      const message = stored
        ? this.toTelegramMessage(stored)
        : { message_id: messageId, from: clone(this.botUser), chat: this.chatObject(chatId), date: nowSeconds(), text: '' };
      await this.internals.addUserCallback({ botToken: this.token, date: nowSeconds(), from: clone(from), message, data });
      return { callbackQueryId, update_id };
    });
    const record = this.presses.get(callbackQueryId) as PressRecord;
    return {
      callbackQueryId,
      update_id,
      data,
      messageId,
      answers: () => record.answers.map((a) => ({ ...a })),
      answer: (timeoutMs = this.#defaultTimeoutMs) =>
        this.waitFor(
          () => (record.answers[0] ? { ...record.answers[0] } : undefined),
          timeoutMs,
          () => `no answerCallbackQuery for callback ${callbackQueryId} (data=${data})`,
        ),
    };
  }

  /** @internal */
  answersFor(userId: number): CallbackAnswer[] {
    return [...this.presses.values()]
      .filter((p) => p.userId === userId)
      .flatMap((p) => p.answers)
      .sort((a, b) => a.at - b.at)
      .map((a) => ({ ...a }));
  }

  /** @internal */
  storedMessages(chatId: number): StoredBotMessage[] {
    return [...(this.chats.get(chatKey(chatId))?.values() ?? [])].sort((a, b) => a.message_id - b.message_id);
  }

  /** @internal */
  toView(m: StoredBotMessage): BotMessageView {
    return {
      message_id: m.message_id,
      chat_id: m.chat_id,
      text: m.text,
      ...(m.parse_mode !== undefined ? { parse_mode: m.parse_mode } : {}),
      ...(m.entities !== undefined ? { entities: clone(m.entities) } : {}),
      ...(m.reply_markup !== undefined ? { reply_markup: clone(m.reply_markup) } : {}),
      buttons: clone(m.reply_markup?.inline_keyboard.flat() ?? []),
      date: m.date,
      ...(m.edit_date !== undefined ? { edit_date: m.edit_date } : {}),
      editCount: m.editCount,
      history: clone(m.history),
      deleted: m.deleted,
    };
  }

  /** @internal Human-readable dump of a chat for timeout errors. */
  describeChat(chatId: number): string {
    const lines = this.storedMessages(chatId).map((m) => {
      const buttons = m.reply_markup?.inline_keyboard
        .map((row) => row.map((b) => `[${b.text}${'callback_data' in b ? `→${b.callback_data}` : ''}]`).join(''))
        .join(' / ');
      return `  #${m.message_id}${m.deleted ? ' (deleted)' : ''}${m.editCount ? ` (edited ×${m.editCount})` : ''}: ${JSON.stringify(m.text)}${buttons ? ` ${buttons}` : ''}`;
    });
    return `bot messages in chat ${chatId}:\n${lines.join('\n') || '  (none)'}`;
  }

  // ----- update normalisation ----------------------------------------------------------------------

  private normaliseUpdate(raw: unknown): Update {
    const update = clone(raw) as Record<string, unknown> & { update_id: number };
    const message = update['message'];
    if (isRecord(message)) delete message['botToken'];
    const query = update['callback_query'];
    if (isRecord(query)) {
      const msg = query['message'];
      if (query['chat_instance'] === undefined) {
        query['chat_instance'] = isRecord(msg) && isRecord(msg['chat']) ? String(msg['chat']['id']) : '0';
      }
    }
    return update as unknown as Update;
  }

  // ----- proxy ---------------------------------------------------------------------------------------

  /** @internal HTTP handler of the recording proxy. */
  async handleProxyRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.proxyInFlight++;
    try {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://proxy.invalid');
      const match = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!match) {
        const forwarded = await this.forward(req, body);
        res.writeHead(forwarded.status, { 'content-type': 'application/json' });
        res.end(forwarded.text);
        return;
      }
      const [, token = '', method = ''] = match;
      const call: ApiCall = {
        seq: this.calls.length + 1,
        method,
        token: decodeURIComponent(token),
        httpMethod: req.method ?? 'POST',
        params: parseParams(req.headers['content-type'], body, url.searchParams),
        synthetic: false,
        startedAt: Date.now(),
      };
      this.calls.push(call);

      let status: number;
      let payload: unknown;
      const early = this.semantics ? this.precheck(method, call.params) : undefined;
      if (early) {
        call.synthetic = true;
        ({ status, payload } = early);
      } else {
        const forwarded = await this.forward(req, body);
        call.emulatorStatus = forwarded.status;
        call.emulatorResponse = forwarded.json ?? forwarded.text;
        ({ status, payload } = this.afterEmulator(method, call.params, forwarded.status, forwarded.json, forwarded.text));
      }
      call.status = status;
      call.response = clone(payload);
      call.durationMs = Date.now() - call.startedAt;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    } catch (error) {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 502, description: `emulator proxy: ${String(error)}` }));
    } finally {
      this.proxyInFlight--;
    }
  }

  private async forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; text: string; json: unknown }> {
    const headers: Record<string, string> = {};
    const contentType = req.headers['content-type'];
    if (contentType) headers['content-type'] = contentType;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const response = await fetch(`${this.emulatorUrl}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      ...(hasBody ? { body: new Uint8Array(body) } : {}),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  }

  /** Telegram-semantics checks answered by the proxy without asking the emulator. */
  private precheck(method: string, params: Record<string, unknown> | undefined): { status: number; payload: unknown } | undefined {
    if (!params) return undefined;
    const badRequest = (description: string) => ({ status: 400, payload: { ok: false, error_code: 400, description } });
    if ((method === 'editMessageText' || method === 'editMessageReplyMarkup') && params['inline_message_id'] === undefined) {
      const stored = this.chats.get(chatKey(params['chat_id']))?.get(Number(params['message_id']));
      if (!stored || stored.deleted) return badRequest(EDIT_NOT_FOUND);
      const markup = asInlineKeyboard(params['reply_markup']);
      const text = method === 'editMessageText' ? String(params['text'] ?? '') : stored.text;
      if (text === stored.text && sameMarkup(markup, stored.reply_markup)) return badRequest(NOT_MODIFIED);
    }
    if (method === 'answerCallbackQuery' && !this.presses.has(String(params['callback_query_id']))) {
      return badRequest(QUERY_INVALID);
    }
    return undefined;
  }

  /** Update the model from a forwarded call and build the response the bot receives. */
  private afterEmulator(
    method: string,
    params: Record<string, unknown> | undefined,
    status: number,
    json: unknown,
    text: string,
  ): { status: number; payload: unknown } {
    const ok = isRecord(json) && json['ok'] === true;
    if (!ok) {
      if (this.semantics && !(isRecord(json) && json['ok'] === false)) {
        const description = isRecord(json) && typeof json['message'] === 'string' ? json['message'] : text;
        return { status, payload: { ok: false, error_code: status, description } };
      }
      return { status, payload: json ?? text };
    }
    const raw = json as { ok: true; result: unknown };
    const p = params ?? {};
    switch (method) {
      case 'sendMessage': {
        const result = raw.result as Record<string, unknown>;
        const stored = this.recordSent(p, result);
        return { status, payload: this.semantics ? { ok: true, result: this.toTelegramMessage(stored) } : raw };
      }
      case 'editMessageText':
      case 'editMessageReplyMarkup': {
        const stored = this.applyEdit(method, p);
        if (!this.semantics) return { status, payload: raw };
        return { status, payload: { ok: true, result: stored ? this.toTelegramMessage(stored) : true } };
      }
      case 'deleteMessage': {
        const stored = this.chats.get(chatKey(p['chat_id']))?.get(Number(p['message_id']));
        if (stored) stored.deleted = true;
        return { status, payload: this.semantics ? { ok: true, result: true } : raw };
      }
      case 'answerCallbackQuery': {
        const press = this.presses.get(String(p['callback_query_id']));
        if (press) {
          press.answers.push({
            callbackQueryId: press.callbackQueryId,
            userId: press.userId,
            data: press.data,
            messageId: press.messageId,
            ...(p['text'] !== undefined ? { text: String(p['text']) } : {}),
            ...(p['show_alert'] !== undefined ? { show_alert: p['show_alert'] === true || p['show_alert'] === 'true' } : {}),
            ...(p['url'] !== undefined ? { url: String(p['url']) } : {}),
            ...(p['cache_time'] !== undefined ? { cache_time: Number(p['cache_time']) } : {}),
            at: Date.now(),
          });
        }
        return { status, payload: this.semantics ? { ok: true, result: true } : raw };
      }
      case 'setWebhook':
      case 'deleteWebhook':
        return { status, payload: this.semantics ? { ok: true, result: true } : raw };
      case 'getMe':
        return {
          status,
          payload: this.semantics && isRecord(raw.result) ? { ok: true, result: { is_bot: true, ...raw.result } } : raw,
        };
      default:
        return { status, payload: raw };
    }
  }

  private recordSent(params: Record<string, unknown>, result: Record<string, unknown>): StoredBotMessage {
    const chatId = Number(params['chat_id']);
    const markup = asInlineKeyboard(params['reply_markup']);
    const entities = parseMaybeJson(params['entities']);
    const stored: StoredBotMessage = {
      message_id: Number(result['message_id']),
      chat_id: chatId,
      text: String(params['text'] ?? ''),
      ...(typeof params['parse_mode'] === 'string' ? { parse_mode: params['parse_mode'] } : {}),
      ...(Array.isArray(entities) ? { entities: entities as MessageEntity[] } : {}),
      ...(markup ? { reply_markup: markup } : {}),
      date: nowSeconds(),
      editCount: 0,
      history: [],
      deleted: false,
    };
    const key = chatKey(params['chat_id']);
    let chat = this.chats.get(key);
    if (!chat) {
      chat = new Map();
      this.chats.set(key, chat);
    }
    chat.set(stored.message_id, stored);
    return stored;
  }

  /** Telegram semantics: editMessageText replaces text AND keyboard (omitted = removed). */
  private applyEdit(method: string, params: Record<string, unknown>): StoredBotMessage | undefined {
    if (params['inline_message_id'] !== undefined) return undefined;
    const stored = this.chats.get(chatKey(params['chat_id']))?.get(Number(params['message_id']));
    if (!stored || stored.deleted) return undefined;
    stored.history.push({ text: stored.text, ...(stored.reply_markup ? { reply_markup: clone(stored.reply_markup) } : {}) });
    const markup = asInlineKeyboard(params['reply_markup']);
    if (method === 'editMessageText') {
      stored.text = String(params['text'] ?? '');
      if (typeof params['parse_mode'] === 'string') stored.parse_mode = params['parse_mode'];
      else delete stored.parse_mode;
      const entities = parseMaybeJson(params['entities']);
      if (Array.isArray(entities)) stored.entities = entities as MessageEntity[];
      else delete stored.entities;
    }
    if (markup) stored.reply_markup = markup;
    else delete stored.reply_markup;
    stored.editCount++;
    stored.edit_date = nowSeconds();
    return stored;
  }

  /** @internal The message as the Bot API would return it / put it in `callback_query.message`. */
  toTelegramMessage(m: StoredBotMessage): Record<string, unknown> {
    return {
      message_id: m.message_id,
      from: clone(this.botUser),
      chat: this.chatObject(m.chat_id),
      date: m.date,
      ...(m.edit_date !== undefined ? { edit_date: m.edit_date } : {}),
      text: m.text,
      ...(m.entities ? { entities: clone(m.entities) } : {}),
      ...(m.reply_markup ? { reply_markup: clone(m.reply_markup) } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Chat & user handles
// ---------------------------------------------------------------------------------------------------

/** Read-only view of one chat's bot messages, with polling helpers. */
export class TelegramChat {
  /** @internal use {@link TelegramEmulator.chat}. */
  constructor(
    private readonly emulator: TelegramEmulator,
    /** The chat id. */
    readonly chatId: number,
  ) {}

  /** The bot's messages in this chat as currently seen (edits applied, deleted hidden), by message_id. */
  messages(options: MessagesOptions = {}): BotMessageView[] {
    return this.emulator
      .storedMessages(this.chatId)
      .filter((m) => options.includeDeleted || !m.deleted)
      .map((m) => this.emulator.toView(m));
  }

  /** One bot message by id (including deleted ones; check `.deleted`). */
  message(messageId: number): BotMessageView | undefined {
    const m = this.emulator.storedMessages(this.chatId).find((s) => s.message_id === messageId);
    return m ? this.emulator.toView(m) : undefined;
  }

  /** The newest visible bot message, if any. */
  lastMessage(): BotMessageView | undefined {
    return this.messages().at(-1);
  }

  /** Human-readable dump of the chat (used in timeout errors). */
  describe(): string {
    return this.emulator.describeChat(this.chatId);
  }

  /** Wait until a visible bot message satisfies `predicate`; resolves with the first (oldest) match. */
  waitForMessage(predicate: (m: BotMessageView) => boolean, timeoutMs = this.emulator.defaultTimeoutMs): Promise<BotMessageView> {
    return this.emulator.waitFor(() => this.messages().find(predicate), timeoutMs, () => this.describe());
  }

  /**
   * Wait until a message has been edited and satisfies `predicate`. Pass the snapshot you hold to wait
   * for an edit AFTER that snapshot (its `editCount`); pass an id to accept any edit (editCount > 0).
   * Race-free: an edit that already happened is found.
   */
  waitForEdit(
    message: number | Pick<BotMessageView, 'message_id' | 'editCount'>,
    predicate: (m: BotMessageView) => boolean = () => true,
    timeoutMs = this.emulator.defaultTimeoutMs,
  ): Promise<BotMessageView> {
    const id = typeof message === 'number' ? message : message.message_id;
    const seen = typeof message === 'number' ? 0 : message.editCount;
    return this.emulator.waitFor(
      () => {
        const m = this.message(id);
        return m && m.editCount > seen && predicate(m) ? m : undefined;
      },
      timeoutMs,
      () => this.describe(),
    );
  }

  /** Wait until `predicate(messages)` returns a value (not undefined/null/false); resolves with it. */
  waitFor<T>(predicate: (messages: BotMessageView[]) => T | undefined | null | false, timeoutMs = this.emulator.defaultTimeoutMs): Promise<T> {
    return this.emulator.waitFor(() => predicate(this.messages()), timeoutMs, () => this.describe());
  }
}

/** A simulated Telegram user writing in one chat. Create with {@link TelegramEmulator.user}. */
export class TelegramUser {
  /** @internal */
  constructor(
    private readonly emulator: TelegramEmulator,
    /** The `from` object of everything this user sends. */
    readonly from: User,
    /** The chat this user writes in. */
    readonly chat: TelegramChat,
  ) {}

  /** The user's id. */
  get id(): number {
    return this.from.id;
  }

  /** The chat id. */
  get chatId(): number {
    return this.chat.chatId;
  }

  /** Send a plain text message (no entities: `'/x'` sent this way does NOT match `bot.command`). */
  async sendText(text: string): Promise<SentUserMessage> {
    const ids = await this.emulator.injectMessage(this.from, this.chatId, text);
    return this.sent(text, ids);
  }

  /**
   * Send a command, e.g. `'/incidents 3'` or `'/ack@TestNameBot 42'`, with a `bot_command` entity
   * covering the command word (as Telegram clients do), so grammY's `bot.command()` matches.
   */
  async sendCommand(text: string): Promise<SentUserMessage> {
    if (!text.startsWith('/')) throw new Error(`sendCommand: ${JSON.stringify(text)} does not start with '/'`);
    const end = text.search(/\s/);
    const length = end === -1 ? text.length : end;
    const entities: MessageEntity[] = [{ type: 'bot_command', offset: 0, length }];
    const ids = await this.emulator.injectMessage(this.from, this.chatId, text, entities);
    return this.sent(text, ids);
  }

  /**
   * Press an inline button: sends a `callback_query` update with `from` = this user and `message` = the
   * bot's message as currently seen. Throws if the message or a button with that `callback_data` is not
   * visible in this chat (unless `force`).
   */
  async pressButton(message: number | Pick<BotMessageView, 'message_id'>, callbackData: string, options: PressOptions = {}): Promise<ButtonPress> {
    const messageId = typeof message === 'number' ? message : message.message_id;
    if (!options.force) {
      const current = this.chat.message(messageId);
      if (!current || current.deleted) {
        throw new Error(`pressButton: message ${messageId} is not visible in chat ${this.chatId}\n${this.chat.describe()}`);
      }
      const button = current.buttons.find((b) => 'callback_data' in b && b.callback_data === callbackData);
      if (!button) {
        throw new Error(`pressButton: message ${messageId} has no button with callback_data ${JSON.stringify(callbackData)}\n${this.chat.describe()}`);
      }
    }
    return this.emulator.injectCallback(this.from, this.chatId, messageId, callbackData);
  }

  /**
   * Press the callback button whose text equals `text` (or matches the RegExp), searching the newest
   * visible message first (or only `options.messageId`).
   */
  async pressButtonByText(text: string | RegExp, options: { messageId?: number } = {}): Promise<ButtonPress> {
    const matches = (label: string) => (typeof text === 'string' ? label === text : text.test(label));
    const candidates = this.chat.messages().filter((m) => options.messageId === undefined || m.message_id === options.messageId).reverse();
    for (const m of candidates) {
      const button = m.buttons.find((b) => matches(b.text));
      if (!button) continue;
      if (!('callback_data' in button) || typeof button.callback_data !== 'string') {
        throw new Error(`pressButtonByText: button ${JSON.stringify(button.text)} on message ${m.message_id} is not a callback button`);
      }
      return this.emulator.injectCallback(this.from, this.chatId, m.message_id, button.callback_data);
    }
    throw new Error(`pressButtonByText: no visible button ${String(text)} in chat ${this.chatId}\n${this.chat.describe()}`);
  }

  /** The bot's messages in this user's chat as the user currently sees them. See {@link TelegramChat.messages}. */
  messages(options?: MessagesOptions): BotMessageView[] {
    return this.chat.messages(options);
  }

  /** See {@link TelegramChat.lastMessage}. */
  lastMessage(): BotMessageView | undefined {
    return this.chat.lastMessage();
  }

  /** See {@link TelegramChat.waitForMessage}. */
  waitForMessage(predicate: (m: BotMessageView) => boolean, timeoutMs?: number): Promise<BotMessageView> {
    return this.chat.waitForMessage(predicate, timeoutMs);
  }

  /** See {@link TelegramChat.waitForEdit}. */
  waitForEdit(
    message: number | Pick<BotMessageView, 'message_id' | 'editCount'>,
    predicate?: (m: BotMessageView) => boolean,
    timeoutMs?: number,
  ): Promise<BotMessageView> {
    return this.chat.waitForEdit(message, predicate, timeoutMs);
  }

  /** See {@link TelegramChat.waitFor}. */
  waitFor<T>(predicate: (messages: BotMessageView[]) => T | undefined | null | false, timeoutMs?: number): Promise<T> {
    return this.chat.waitFor(predicate, timeoutMs);
  }

  /** The `answerCallbackQuery` calls the bot made for this user's presses, in order. */
  callbackAnswers(): CallbackAnswer[] {
    return this.emulator.answersFor(this.id);
  }

  private sent(text: string, ids: { message_id: number; update_id: number }): SentUserMessage {
    return {
      ...ids,
      text,
      reply: (predicate = () => true, timeoutMs?: number) =>
        this.chat.waitForMessage((m) => m.message_id > ids.message_id && predicate(m), timeoutMs),
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------------------------------

/**
 * Start telegram-test-api on 127.0.0.1 (ephemeral port) behind a recording proxy (another ephemeral
 * port). Point grammY at {@link TelegramEmulator.apiRoot}, `await bot.init()`, then
 * `emulator.pumpInto(bot)`.
 */
export async function startTelegramEmulator(options: TelegramEmulatorOptions = {}): Promise<TelegramEmulator> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? '123456:watchkeeper-test-token';
  const server = new TelegramServer({ host, storage: 'RAM' });
  const internals = internalsOf(server);

  const backend = http.createServer(internals.webServer);
  const backendPort = await listen(backend, host);
  const emulatorUrl = `http://${host}:${backendPort}`;
  internals.config.apiURL = emulatorUrl;

  let emulator: TelegramEmulator | undefined;
  const proxy = http.createServer((req, res) => {
    if (!emulator) {
      res.writeHead(503).end();
      return;
    }
    void emulator.handleProxyRequest(req, res);
  });
  let proxyPort: number;
  try {
    proxyPort = await listen(proxy, host);
  } catch (error) {
    await closeServer(backend);
    throw error;
  }
  emulator = new TelegramEmulator({
    server,
    proxy,
    backend,
    apiRoot: `http://${host}:${proxyPort}`,
    emulatorUrl,
    token,
    semantics: options.telegramSemantics ?? true,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 3000,
  });
  return emulator;
}
