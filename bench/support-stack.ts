/**
 * The whole Watchkeeper stack for benchmarks — real PostgreSQL database, the Kubernetes API fake,
 * the telegram-test-api emulator, an Ollama stub as the model, and `startWatchkeeper` — wired like
 * production where it matters for latency:
 *
 * - the job worker keeps main.ts's default poll interval (no `workerPollMs` override; the nudge
 *   after a commit wakes it), unlike test/support/stack.ts which polls every 50 ms;
 * - the model comes from `OLLAMA_HOST`/`OLLAMA_MODEL` in the configuration, so main.ts builds the
 *   real router and Ollama backend (HTTP to the stub), with its audit of every model call;
 * - the update pump of the emulator runs every `pumpIntervalMs` (default 2 ms) so that the
 *   harness adds as little as possible to "button pressed → bot sees it" (real Telegram delivers
 *   a long-polled update at once).
 *
 * It also timestamps what the fakes receive (`Date.now()`, the clock the emulator's call log
 * uses), so benchmarks measure from logs instead of from polling granularity.
 */
import pino from 'pino';
import type { Update } from 'grammy/types';
import { loadConfig } from '../config.ts';
import { startWatchkeeper, type WatchkeeperHandle } from '../main.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/db.ts';
import { startK8sFake, type K8sFake, type RecordedRequest as K8sRequest } from '../test/support/k8s-fake/index.ts';
import { startOllamaStub, type OllamaStub, type RecordedRequest as ModelRequest, type StubReply } from '../stubs/ollama.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../test/support/telegram-emulator.ts';
import { OPERATORS, WEBHOOK_TOKEN } from '../test/support/stack.ts';

/** A request a fake received, with its arrival time (`Date.now()`). */
export interface Timed<T> {
  at: number;
  req: T;
}

/** One traced call of Watchkeeper's store, cluster, notifier or model (epoch ms, fractional). */
export interface Span {
  name: string;
  start: number;
  end: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Wraps every method of `target` (own and prototype, not the constructor) so that each call is
 * recorded as a {@link Span} named `label.method`. For profiling runs only: it adds a little
 * overhead to every call.
 */
export function traceCalls(target: object, label: string, spans: Span[]): void {
  const names = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const n of Object.getOwnPropertyNames(o)) if (n !== 'constructor') names.add(n);
  }
  const t = target as Record<string, unknown>;
  for (const n of names) {
    const fn = t[n];
    if (typeof fn !== 'function') continue;
    t[n] = function (this: unknown, ...args: unknown[]) {
      const span = { name: `${label}.${n}`, start: epochNow(), end: Number.NaN };
      spans.push(span);
      const done = () => void (span.end = epochNow());
      try {
        const out = (fn as (...a: unknown[]) => unknown).apply(this, args);
        if (out instanceof Promise) return out.finally(done);
        done();
        return out;
      } catch (err) {
        done();
        throw err;
      }
    };
  }
}

/** Options of {@link startBenchStack}. */
export interface BenchStackOptions {
  /** Extra or overriding configuration variables. */
  env?: Record<string, string>;
  /** Controller period of the Kubernetes fake, ms (default 15). */
  rolloutStepMs?: number;
  /**
   * Run the fake's controller on its timer (default true). With false it moves only when the
   * benchmark calls `fake.tick()`/`fake.waitForRollout()`: its CPU time (a full pass over every
   * object per step) then stays out of the measured windows, as a real cluster's controllers do.
   */
  autoTick?: boolean;
  /** Poll interval of the emulator's update pump, ms (default 2). */
  pumpIntervalMs?: number;
  /** Telegram API throttling as in production (default false, like the e2e stack). */
  throttle?: boolean;
  /**
   * Record every call Watchkeeper makes to its store, cluster, notifier and model as
   * {@link BenchStack.spans} (profiling; default false).
   */
  trace?: boolean;
  /** Model name scripted on the Ollama stub and configured as OLLAMA_MODEL. */
  model: string;
  /** The stub's reply to every diagnosis call. */
  reply: StubReply;
}

/** A running benchmark stack. */
export interface BenchStack {
  db: TestDatabase;
  fake: K8sFake;
  emu: TelegramEmulator;
  ollama: OllamaStub;
  wk: WatchkeeperHandle;
  chatId: number;
  /** Kubernetes API requests with arrival times, oldest first. */
  k8s: Array<Timed<K8sRequest>>;
  /** Model requests with arrival times, oldest first. */
  model: Array<Timed<ModelRequest>>;
  /** Traced calls when `trace` is on, in start order. */
  spans: Span[];
  /** Updates handed to the bot, with the time the pump handed them over. */
  delivered: Array<Timed<Update>>;
  /** POSTs a body to the Alertmanager webhook with the bearer token. */
  post(body: unknown): Promise<Response>;
  /** Watchkeeper's log lines at level error and above (JSON), oldest first, when BENCH_LOG is unset. */
  errors: string[];
  stop(): Promise<void>;
}

/** Records arrival times of everything pushed onto `list` from now on (the fakes push on arrival). */
function timestampPushes<T>(list: T[], into: Array<Timed<T>>): void {
  const push = list.push;
  Object.defineProperty(list, 'push', {
    configurable: true,
    writable: true,
    value(this: T[], ...items: T[]): number {
      const at = Date.now();
      for (const req of items) into.push({ at, req });
      return push.apply(this, items);
    },
  });
}

let chatCounter = -1003000000000;

/**
 * Starts a stack for benchmarks; see the module comment for how it differs from
 * test/support/stack.ts. Always `stop()` it.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {});
  };
  try {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const fake = await startK8sFake({ rolloutStepMs: options.rolloutStepMs ?? 15, autoTick: options.autoTick });
    cleanups.push(() => fake.close());
    const k8s: Array<Timed<K8sRequest>> = [];
    timestampPushes(fake.requests, k8s);
    const ollama = await startOllamaStub();
    cleanups.push(() => ollama.close());
    const model: Array<Timed<ModelRequest>> = [];
    timestampPushes(ollama.requests, model);
    ollama.script(options.model, options.reply);
    const emu = await startTelegramEmulator({ defaultTimeoutMs: 10_000 });
    cleanups.push(() => emu.close());
    const chatId = --chatCounter;
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      TELEGRAM_CHAT_IDS: String(chatId),
      TELEGRAM_OPERATORS: OPERATORS,
      WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      OLLAMA_HOST: ollama.url,
      OLLAMA_MODEL: options.model,
      LOG_LEVEL: 'silent',
      ...options.env,
    });
    const errors: string[] = [];
    const logger = process.env.BENCH_LOG
      ? pino({ level: process.env.BENCH_LOG })
      : pino({ level: 'error' }, { write: (line: string) => void errors.push(line.trimEnd()) });
    const wk = await startWatchkeeper(config, {
      databaseUrl: db.url,
      kubeConfig: fake.kubeConfig(),
      telegramDelivery: 'none',
      throttle: options.throttle ?? false,
      schedules: false,
      logger,
    });
    cleanups.push(() => wk.stop());
    const spans: Span[] = [];
    if (options.trace) {
      // The agent's ports are private fields; reaching them at run time is fine for profiling.
      const deps = (wk.agent as unknown as { deps: { cluster: object; notifier: object; model?: object } }).deps;
      traceCalls(wk.store, 'store', spans);
      traceCalls(deps.cluster, 'k8s', spans);
      traceCalls(deps.notifier, 'telegram', spans);
      if (deps.model) traceCalls(deps.model, 'model', spans);
    }
    const delivered: Array<Timed<Update>> = [];
    emu.deliverTo(
      (update) => {
        delivered.push({ at: Date.now(), req: update });
        return wk.bot.handleUpdate(update);
      },
      { intervalMs: options.pumpIntervalMs ?? 2 },
    );
    cleanups.push(() => emu.stopPump());
    return {
      db,
      fake,
      emu,
      ollama,
      wk,
      chatId,
      k8s,
      model,
      delivered,
      spans,
      errors,
      post: (body) =>
        fetch(`${wk.url}/webhooks/alertmanager`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
          body: JSON.stringify(body),
        }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
