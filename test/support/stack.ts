/**
 * The whole Watchkeeper stack for end-to-end tests: a real PostgreSQL database, the Kubernetes
 * API fake, the telegram-test-api emulator and `startWatchkeeper` wired to them, with helpers to
 * post Alertmanager payloads and read the alert chat.
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../../config.ts';
import { startWatchkeeper, type WatchkeeperHandle } from '../../main.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { startK8sFake, type K8sFake } from './k8s-fake/index.ts';
import { startTelegramEmulator, type BotMessageView, type TelegramEmulator } from './telegram-emulator.ts';

/** Telegram user ids of the test operators. */
export const USERS = { alice: 1001, bob: 1002, vic: 1003, carol: 1004, mallory: 666_001 } as const;
/** alice: approver, bob and carol: admins, vic: viewer; mallory is nobody. */
export const OPERATORS = `${USERS.alice}:approver,${USERS.bob}:admin,${USERS.vic}:viewer,${USERS.carol}:admin`;
export const WEBHOOK_TOKEN = 'e2e-bearer-token';

const FIXTURES = new URL('../../../shared/fixtures/alertmanager/', import.meta.url);

/** Fixture 02: a real kube-state-metrics alert for Deployment eric-eo-cm-ci406/eric-log-transformer (resolved). */
export function fixture02(): Record<string, any> {
  return JSON.parse(readFileSync(new URL('02-pythonwebhook_testcurl7_resolved_kube-state-metrics.json', FIXTURES), 'utf8'));
}

/** A payload turned into its firing delivery, optionally for another namespace/deployment/group. */
export function firing(
  payload: Record<string, any>,
  o: { namespace?: string; deployment?: string; fingerprint?: string; groupKey?: string; startsAt?: string } = {},
): Record<string, any> {
  const p = structuredClone(payload);
  p.status = 'firing';
  for (const a of p.alerts) {
    a.status = 'firing';
    a.endsAt = '0001-01-01T00:00:00Z';
    if (o.namespace) a.labels.namespace = o.namespace;
    if (o.deployment) a.labels.deployment = o.deployment;
    if (o.fingerprint) a.fingerprint = o.fingerprint;
    if (o.startsAt) a.startsAt = o.startsAt;
  }
  if (o.namespace) p.commonLabels.namespace = o.namespace;
  if (o.groupKey) p.groupKey = o.groupKey;
  return p;
}

/** A running stack. */
export interface Stack {
  db: TestDatabase;
  fake: K8sFake;
  emu: TelegramEmulator;
  wk: WatchkeeperHandle;
  chatId: number;
  /**
   * POSTs a body to the Alertmanager webhook (a string is sent as is). `auth` replaces the
   * Authorization header (`null`: none); default the configured bearer token.
   */
  post(body: unknown, auth?: string | null): Promise<Response>;
  /** The card that offers a button labelled `label` (first match), waiting up to 8 s. */
  cardOffering(label: string, exclude?: number[]): Promise<BotMessageView>;
  /** Waits for message `id` to satisfy `pred`. */
  until(id: number, pred: (m: BotMessageView) => boolean, timeoutMs?: number): Promise<BotMessageView>;
  /** The `State:` line of a card. */
  stateOf(text: string): string;
  /** Presses `label` on message `id` as `user` and returns the callback answer text. */
  press(user: keyof typeof USERS, id: number, label: string): Promise<string>;
  stop(): Promise<void>;
}

let chatCounter = -1002000000000;

/**
 * Starts a stack. `env` adds or overrides configuration variables.
 * Each stack uses its own chat id and database.
 */
export async function startStack(env: Record<string, string> = {}, options: { fake?: K8sFake } = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const fake = options.fake ?? (await startK8sFake({ rolloutStepMs: 15 }));
  const emu = await startTelegramEmulator();
  const chatId = --chatCounter;
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: emu.token,
    TELEGRAM_API_ROOT: emu.apiRoot,
    TELEGRAM_CHAT_IDS: String(chatId),
    TELEGRAM_OPERATORS: OPERATORS,
    WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    VERIFY_TIMEOUT_S: '5',
    VERIFY_POLL_MS: '30',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const wk = await startWatchkeeper(config, {
    databaseUrl: db.url,
    kubeConfig: fake.kubeConfig(),
    telegramDelivery: 'none',
    throttle: false,
    schedules: false,
    workerPollMs: 50,
    logger: pino({ level: process.env.E2E_LOG ?? 'silent' }),
  });
  emu.pumpInto(wk.bot);
  const chat = () => emu.chat(chatId);
  const stateOf = (text: string) => /State: <b>([^<]*)<\/b>/.exec(text)?.[1] ?? '';
  return {
    db,
    fake,
    emu,
    wk,
    chatId,
    post: (body, auth = `Bearer ${WEBHOOK_TOKEN}`) =>
      fetch(`${wk.url}/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    cardOffering: (label, exclude = []) =>
      chat().waitForMessage((m) => !exclude.includes(m.message_id) && m.buttons.some((b) => b.text === label), 8000),
    until: (id, pred, timeoutMs = 10_000) => chat().waitForMessage((m) => m.message_id === id && pred(m), timeoutMs),
    stateOf,
    async press(user, id, label) {
      const press = await emu.user(USERS[user], chatId, user).pressButtonByText(label, { messageId: id });
      return (await press.answer()).text ?? '';
    },
    async stop() {
      await emu.stopPump();
      await wk.stop();
      await emu.close();
      if (!options.fake) await fake.close();
      await db.drop();
    },
  };
}
