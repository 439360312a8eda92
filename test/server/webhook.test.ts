import { DEFAULT_PLAN_POLICY } from '../../agent/plan.ts';
/**
 * The HTTP server over a real Agent and a real PostgreSQL database (the job worker is not
 * started: only intake is exercised). Alertmanager's contract: 2xx stored, 4xx permanent
 * (bad credentials, bad body), 5xx retry (database down).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../agent/index.ts';
import { createAgentMetrics } from '../../agent/metrics.ts';
import type { ClusterPort, Notifier } from '../../agent/ports.ts';
import { createServer } from '../../server/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const FIXTURES = new URL('../../../shared/fixtures/alertmanager/', import.meta.url);
const fixtureText = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

const TOKEN = 'webhook-test-token';
const BASIC = { user: 'alertmanager', password: 'p@ss:word' };
const LIMIT = 16 * 1024; // above fixture 05 (7 KiB), so it reaches validation

/** The cluster and chat are never reached by intake; any call is a test failure. */
const unreachable = () => Promise.reject(new Error('not expected in webhook tests'));
const rejectEverything = <T extends object>(): T => new Proxy({}, { get: () => unreachable }) as T;
const cluster = rejectEverything<ClusterPort>();
const notifier = rejectEverything<Notifier>();

interface Running {
  url: string;
  server: Server;
  registry: Registry;
}

async function serve(db: TestDatabase, auth: { bearerToken?: string; basicAuth?: { user: string; password: string } }): Promise<Running> {
  const log = pino({ level: 'silent' });
  const registry = new Registry();
  const metrics = createAgentMetrics(registry);
  const agent = createAgent(
    { repos: db.store, cluster, notifier, clock: { now: () => new Date() }, log, metrics },
    {
      alertChatId: -100,
      operators: [],
      dedupWindowS: 1800,
      approvalTtlS: 3600,
      logTailLines: 50,
      policy: DEFAULT_PLAN_POLICY,
    },
  );
  const app = createServer({ agent, log, registry, metrics, auth, bodyLimitBytes: LIMIT });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, registry };
}

const close = (s: Server | undefined) => new Promise<void>((r) => (s ? s.close(() => r()) : r()));

/** The JSON body of a response (every answer of this server is JSON). */
async function json(res: Response): Promise<Record<string, any>> {
  return (await res.json()) as Record<string, any>;
}

function post(url: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  return fetch(`${url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

describe('Alertmanager webhook', () => {
  let db: TestDatabase;
  let app: Running;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await serve(db, { bearerToken: TOKEN, basicAuth: BASIC });
  });
  afterAll(async () => {
    await close(app?.server);
    await db?.drop();
  });

  const body04 = fixtureText('04-alertmanager-bot_firing.json');
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it.each<[string, Record<string, string>]>([
    ['no credentials', {}],
    ['wrong bearer token', { authorization: 'Bearer nope' }],
    ['bearer token with a different length', { authorization: `Bearer ${TOKEN}x` }],
    ['wrong basic password', { authorization: basic(BASIC.user, 'wrong') }],
    ['wrong basic user', { authorization: basic('mallory', BASIC.password) }],
    ['unknown scheme', { authorization: `Token ${TOKEN}` }],
    ['the right bearer token followed by junk', { authorization: `Bearer ${TOKEN} junk` }],
    ['the right bearer token after a tab', { authorization: `Bearer\t${TOKEN}` }],
    ['the right bearer token without a scheme', { authorization: TOKEN }],
    ['right basic credentials followed by junk', { authorization: `${basic(BASIC.user, BASIC.password)} junk` }],
    ['right basic credentials, not canonical base64', { authorization: basic(BASIC.user, BASIC.password).replace(/=+$/, '') + '!' }],
  ])('401 with %s, and nothing stored', async (_name, headers) => {
    const before = await db.query('select count(*)::int as n from alert');
    const res = await post(app.url, body04, headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await json(res)).error).toMatch(/credentials/);
    expect(await db.query('select count(*)::int as n from alert')).toEqual(before);
  });

  it('202 with the ingest result for a real payload (fixture 04), then 202 stored 0 on redelivery', async () => {
    const first = await post(app.url, body04);
    expect(first.status).toBe(202);
    const r1 = await json(first);
    expect(r1).toMatchObject({ received: 1, stored: 1, incidentChange: 'created' });
    expect(r1.incidentId).toBeTypeOf('number');
    const again = await post(app.url, body04);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ received: 1, stored: 0, incidentChange: 'none' });
    const rows = await db.query<{ status: string; starts_at: Date }>("select status, starts_at from alert where alertname = 'Fire'");
    expect(rows).toHaveLength(1);
    expect(rows[0].starts_at.toISOString()).toBe('2018-11-04T21:43:58.283Z');
  });

  it('accepts basic auth when configured', async () => {
    const res = await post(app.url, fixtureText('06-alertmanager-webhook-types_sample-v4-payload.json'), {
      authorization: basic(BASIC.user, BASIC.password),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ received: 1, stored: 1 });
  });

  it('resolves the incident when the resolved payload arrives', async () => {
    const res = await post(app.url, fixtureText('04-alertmanager-bot_resolved.json'));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ stored: 1, incidentChange: 'resolved' });
  });

  it('400 for a body that is not JSON, saying so', async () => {
    const res = await post(app.url, '{"version": "4", ');
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/not valid JSON/);
  });

  it.each([
    ['the LEGACY fixture 05', fixtureText('05-prometheus_bot_production_example_LEGACY.json'), [/version/, /groupKey/]],
    ['the single alert of fixture 07', fixtureText('07-grafana-oncall_alertmanager-test-alert_KubeJobCompletion.single-alert.json'), [/single alert/]],
    ['a JSON string', '"hello"', [/Alertmanager v4/]],
    ['an empty object', '{}', [/version/, /alerts/]],
  ])('400 for %s with the reason in `error`', async (_name, body, patterns) => {
    const res = await post(app.url, body);
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error).toMatch(/^Not an Alertmanager v4 webhook payload/);
    for (const p of patterns) expect(error).toMatch(p);
  });

  it('413 above the body limit', async () => {
    const payload = JSON.parse(body04);
    payload.alerts[0].annotations.description = 'x'.repeat(LIMIT * 2);
    const res = await post(app.url, JSON.stringify(payload));
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(new RegExp(`larger than ${LIMIT} bytes`));
  });

  it('unknown paths answer 404 JSON', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not found' });
  });

  it('/healthz 200, /readyz 200 while the database answers', async () => {
    const health = await fetch(`${app.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('/metrics exposes the intake counters', async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    // fixture 04 firing, 06 and 04 resolved were stored; the 04 redelivery was a duplicate
    expect(text).toMatch(/^watchkeeper_alerts_stored_total 3$/m);
    expect(text).toMatch(/^watchkeeper_alerts_duplicate_total 1$/m);
    expect(text).toMatch(/^watchkeeper_incidents_opened_total 2$/m);
    expect(text).toMatch(/watchkeeper_webhook_duration_seconds_count\{status="202"\} \d+/);
    expect(text).toMatch(/watchkeeper_webhook_duration_seconds_count\{status="400"\} \d+/);
  });
});

describe('webhook with bearer auth only', () => {
  let db: TestDatabase;
  let app: Running;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await serve(db, { bearerToken: TOKEN });
  });
  afterAll(async () => {
    await close(app?.server);
    await db?.drop();
  });

  it('refuses basic credentials when basic auth is not configured', async () => {
    const res = await post(app.url, fixtureText('04-alertmanager-bot_firing.json'), {
      authorization: `Basic ${Buffer.from(`alertmanager:${TOKEN}`).toString('base64')}`,
    });
    expect(res.status).toBe(401);
  });
});

describe('webhook without any configured credentials', () => {
  let db: TestDatabase;
  let app: Running;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await serve(db, {});
  });
  afterAll(async () => {
    await close(app?.server);
    await db?.drop();
  });

  it.each([['Bearer '], ['Bearer undefined'], ['Basic Og==']])('refuses %j (defence in depth)', async (authorization) => {
    const res = await post(app.url, fixtureText('04-alertmanager-bot_firing.json'), { authorization });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
  });
});

describe('webhook when the database is unreachable', () => {
  let db: TestDatabase;
  let app: Running;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await serve(db, { bearerToken: TOKEN });
    // Closes the ORM's pool and drops the database: every query now fails.
    await db.drop();
  });
  afterAll(async () => {
    await close(app?.server);
  });

  it('answers 503 so Alertmanager retries', async () => {
    const res = await post(app.url, fixtureText('04-alertmanager-bot_firing.json'));
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatch(/retry/);
  });

  it('still answers 400 for a malformed body (no database needed to refuse it)', async () => {
    const res = await post(app.url, fixtureText('05-prometheus_bot_production_example_LEGACY.json'));
    expect(res.status).toBe(400);
  });

  it('/readyz says 503, /healthz stays 200', async () => {
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'database unreachable' });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});

/**
 * Hostile and odd bodies (issue 11): every body is stored (2xx) or refused with a 4xx naming the
 * field; none may become a 5xx, which Alertmanager would retry forever.
 */
describe('webhook with hostile bodies', () => {
  let db: TestDatabase;
  let app: Running;
  beforeAll(async () => {
    db = await createTestDatabase();
    app = await serve(db, { bearerToken: TOKEN });
  });
  afterAll(async () => {
    await close(app?.server);
    await db?.drop();
  });

  let n = 0;
  /** A valid body with a fresh groupKey and alertname; `alert` and `group` override fields. */
  const hostile = (alert: Record<string, unknown> = {}, group: Record<string, unknown> = {}) => {
    n++;
    const labels = { alertname: `Hostile${n}`, namespace: 'shop', ...((alert.labels as object | undefined) ?? {}) };
    return {
      version: '4',
      groupKey: `{}:{alertname="Hostile${n}"}`,
      status: 'firing',
      receiver: 'watchkeeper',
      ...group,
      alerts: [{ startsAt: '2024-05-01T12:00:00Z', ...alert, labels }],
    };
  };
  const long = (c: string, length: number) => c.repeat(length);

  it.each<[string, () => Record<string, unknown>, number, RegExp | undefined]>([
    ['alertname of 255 characters', () => hostile({ labels: { alertname: long('a', 255) } }), 202, undefined],
    ['alertname of 256 characters', () => hostile({ labels: { alertname: long('a', 256) } }), 400, /alerts\.0\.labels\.alertname: "alertname" must be at most 255/],
    ['receiver of 256 characters', () => hostile({}, { receiver: long('r', 256) }), 400, /receiver: must be at most 255/],
    ['fingerprint of 64 characters', () => hostile({ fingerprint: long('f', 64) }), 202, undefined],
    ['fingerprint of 65 characters', () => hostile({ fingerprint: long('f', 65) }), 400, /alerts\.0\.fingerprint: must be at most 64/],
    ['U+0000 in a label value', () => hostile({ labels: { pod: 'api\u0000x' } }), 400, /alerts\.0\.labels\.pod: must not contain U\+0000/],
    ['U+0000 in a label name', () => hostile({ labels: { 'po\u0000d': 'api' } }), 400, /alerts\.0\.labels/],
    ['lone high surrogate in an annotation', () => hostile({ annotations: { summary: 'cut emoji \ud83d' } }), 400, /alerts\.0\.annotations\.summary: must not contain .* unpaired UTF-16 surrogate/],
    ['lone low surrogate in the groupKey', () => hostile({}, { groupKey: '{}:{x="\udc00"}' }), 400, /groupKey: must not contain/],
    ['U+0000 in groupLabels', () => hostile({}, { groupLabels: { alertname: 'a\u0000' } }), 400, /groupLabels\.alertname/],
    ['U+0000 in generatorURL', () => hostile({ generatorURL: 'http://prom/\u0000' }), 400, /alerts\.0\.generatorURL/],
    ['U+0000 in externalURL', () => hostile({}, { externalURL: 'http://am/\u0000' }), 400, /externalURL/],
    ['an emoji (a whole surrogate pair) is fine', () => hostile({ annotations: { summary: 'disk full 💥' } }), 202, undefined],
    ['startsAt in year 0000', () => hostile({ startsAt: '0000-06-01T00:00:00Z' }), 400, /alerts\.0\.startsAt: must be an RFC 3339 timestamp of a real date/],
    ['startsAt in year 10000', () => hostile({ startsAt: '10000-01-01T00:00:00Z' }), 400, /alerts\.0\.startsAt/],
    ['startsAt past 9999 once in UTC', () => hostile({ startsAt: '9999-12-31T23:00:00-05:00' }), 400, /alerts\.0\.startsAt/],
    ['startsAt 2023-02-29 (not a leap year)', () => hostile({ startsAt: '2023-02-29T10:00:00Z' }), 400, /alerts\.0\.startsAt/],
    ['startsAt 2024-02-29 (a leap year)', () => hostile({ startsAt: '2024-02-29T10:00:00Z' }), 202, undefined],
    ['startsAt T24:00:00', () => hostile({ startsAt: '2024-05-01T24:00:00Z' }), 400, /alerts\.0\.startsAt/],
    ['startsAt with second 60', () => hostile({ startsAt: '2024-05-01T23:59:60Z' }), 400, /alerts\.0\.startsAt/],
    ['startsAt on April 31st', () => hostile({ startsAt: '2024-04-31T10:00:00Z' }), 400, /alerts\.0\.startsAt/],
    ['startsAt in month 13', () => hostile({ startsAt: '2024-13-01T10:00:00Z' }), 400, /alerts\.0\.startsAt/],
    ['offset +24:00', () => hostile({ startsAt: '2024-05-01T10:00:00+24:00' }), 400, /alerts\.0\.startsAt/],
    ['endsAt 2023-02-29', () => hostile({ endsAt: '2023-02-29T10:00:00Z' }), 400, /alerts\.0\.endsAt/],
    ["endsAt at Alertmanager's zero time", () => hostile({ endsAt: '0001-01-01T00:00:00Z' }), 202, undefined],
    ['startsAt in year 0001', () => hostile({ startsAt: '0001-01-01T00:00:00Z' }), 202, undefined],
    ['startsAt on 9999-12-31', () => hostile({ startsAt: '9999-12-31T23:59:59.999999999Z' }), 202, undefined],
    ['a very long annotation', () => hostile({ annotations: { description: long('d', 12_000) } }), 202, undefined],
    ['the same alert twice in one delivery', () => {
      const b = hostile();
      return { ...b, alerts: [b.alerts[0], b.alerts[0]] };
    }, 202, undefined],
  ])('%s', async (_name, make, status, field) => {
    const res = await post(app.url, JSON.stringify(make()));
    const answer = await json(res);
    expect(res.status, JSON.stringify(answer)).toBe(status);
    if (field) expect(answer.error).toMatch(field);
    else expect(answer.stored).toBeGreaterThanOrEqual(1);
  });

  it.each([['a lower-case scheme', `bearer ${TOKEN}`], ['several spaces', `Bearer   ${TOKEN}`]])('accepts the bearer token with %s', async (_name, authorization) => {
    const res = await post(app.url, JSON.stringify(hostile()), { authorization });
    expect(res.status).toBe(202);
  });

  it('stores a groupKey of 73 labels (5.5 KB) under its hash, and its redelivery joins the same incident', async () => {
    // Hex digests as values: little to compress, as with real label values (a compressible key fits the index).
    const groupLabels = Object.fromEntries(Array.from({ length: 73 }, (_, i) => [`label_number_${i}`, createHash('sha256').update(String(i)).digest('hex')]));
    const groupKey = `{}/{severity="critical"}:{${Object.entries(groupLabels).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
    expect(groupKey.length).toBeGreaterThan(5_500);
    const first = hostile({}, { groupKey, groupLabels });
    const res = await post(app.url, JSON.stringify(first));
    expect(res.status).toBe(202);
    const r1 = await json(res);
    expect(r1).toMatchObject({ stored: 1, incidentChange: 'created' });
    const again = await post(app.url, JSON.stringify({ ...first, alerts: [{ ...first.alerts[0], labels: { ...first.alerts[0]!.labels, pod: 'api-2' } }] }));
    expect(await json(again)).toMatchObject({ stored: 1, incidentId: r1.incidentId });
    const [row] = await db.query<{ group_key: string }>('select group_key from incident where id = $1', [r1.incidentId]);
    expect(row!.group_key).toMatch(/^\{\}\/\{severity="critical"\}:\{label_number_0=.*…sha256:[0-9a-f]{64}$/);
    expect(Buffer.byteLength(row!.group_key)).toBeLessThan(1024);
  });

  it('stores the good alerts of a delivery and names the bad ones in the 202 answer', async () => {
    const b = hostile();
    const good = b.alerts[0]!;
    const bad1 = { ...good, labels: { ...good.labels, pod: 'b' }, startsAt: '2023-02-29T00:00:00Z' };
    const bad2 = { ...good, labels: { ...good.labels, pod: 'c', alertname: long('x', 300) } };
    const good2 = { ...good, labels: { ...good.labels, pod: 'd' } };
    const res = await post(app.url, JSON.stringify({ ...b, alerts: [good, bad1, bad2, good2] }));
    expect(res.status).toBe(202);
    const answer = await json(res);
    expect(answer).toMatchObject({ received: 2, stored: 2, incidentChange: 'created' });
    expect(answer.rejected).toEqual([
      { index: 1, message: expect.stringMatching(/^alerts\.1\.startsAt: must be/) },
      { index: 2, message: expect.stringMatching(/^alerts\.2\.labels\.alertname: "alertname" must be at most 255/) },
    ]);
    const rows = await db.query<{ pod: string }>("select labels->>'pod' as pod from alert where alertname = $1 order by pod", [good.labels.alertname]);
    expect(rows.map((r) => r.pod)).toEqual(['d', null]); // the first alert has no pod label
  });

  it('refuses a delivery whose alerts are all bad with 400, naming each', async () => {
    const b = hostile({ startsAt: '2024-02-30T00:00:00Z' });
    const res = await post(app.url, JSON.stringify({ ...b, alerts: [b.alerts[0], { ...b.alerts[0], fingerprint: long('f', 99) }] }));
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error).toMatch(/alerts\.0\.startsAt: must be/);
    expect(error).toMatch(/alerts\.1\.startsAt: must be.*alerts\.1\.fingerprint: must be at most 64/);
  });
});
