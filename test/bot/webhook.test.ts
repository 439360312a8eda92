/**
 * Webhook mode end to end through the HTTP server: an update POSTed the way Telegram does it
 * (JSON body, secret-token header) reaches the bot through the handler main.ts mounts. A handler
 * that throws is caught by the bot's error boundary: the update is answered 200 (so Telegram does
 * not deliver it again), the error is logged, and the user is told. Bot API calls are captured, no
 * network.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import type { Agent } from '../../agent/index.ts';
import { telegramWebhook } from '../../bot/delivery.ts';
import { createBot, createTelegramApi } from '../../bot/index.ts';
import { createServer } from '../../server/index.ts';
import { callsOf, captureApi, messageUpdate, type CapturedCall } from '../support/bot-api.ts';

const CHAT = -1001;
const SECRET = 'webhook-secret-1';
const ALICE = { id: 11, first_name: 'Alice' };

/** The core with its database down: every call rejects. */
const unreachableAgent = new Proxy(
  {},
  { get: (_t, name) => (name === 'then' ? undefined : () => Promise.reject(new Error(`database unreachable (${String(name)})`))) },
) as Agent;

describe('Telegram webhook mode', () => {
  const logLines: Array<Record<string, any>> = [];
  let server: Server;
  let url: string;
  let calls: CapturedCall[];

  beforeAll(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
    const api = createTelegramApi({ token: '4242:test-token', throttle: false, retry: false });
    calls = captureApi(api);
    const bot = createBot({ api, agent: unreachableAgent, chatIds: [CHAT], log });
    const app = createServer({
      agent: unreachableAgent,
      log,
      registry: new Registry(),
      auth: { bearerToken: 'am-token' },
      bodyLimitBytes: 1024 * 1024,
      telegramWebhook: telegramWebhook(bot, { secretToken: SECRET }),
    });
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const deliver = (update: Update, secret = SECRET) =>
    fetch(`${url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
    });

  it('answers 200 to an update whose handler throws, logs the error and tells the user', async () => {
    const update = messageUpdate(CHAT, ALICE, '/incidents');
    const res = await deliver(update);
    expect(res.status).toBe(200);

    const errors = logLines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'update handling failed', update: update.update_id, chatId: CHAT, from: ALICE.id });
    expect(errors[0]!.err.message).toBe('database unreachable (openIncidents)');

    const replies = callsOf(calls, 'sendMessage');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.payload).toMatchObject({ chat_id: CHAT, text: expect.stringMatching(/^Something went wrong/) });
  });

  it('refuses a request without the secret token (401) and never runs a handler', async () => {
    const before = calls.length;
    const res = await deliver(messageUpdate(CHAT, ALICE, '/incidents'), 'wrong-secret');
    expect(res.status).toBe(401);
    expect(calls.slice(before).filter((c) => c.method !== 'getMe')).toEqual([]);
  });
});
