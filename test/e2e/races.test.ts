/**
 * The remediation state machine under pressure, end to end (emulator + Kubernetes API fake +
 * PostgreSQL): dual approval (an approver refused, the same admin twice, two admins at once),
 * approval racing the expiry sweep, an approval after the expiry time, and recovery after the
 * Watchkeeper dies while a remediation is verifying (reconciled from live state, never applied
 * twice).
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { startWatchkeeper, type WatchkeeperHandle } from '../../main.ts';
import { createTestDatabase } from '../support/db.ts';
import { startK8sFake, type K8sFake, type RecordedRequest } from '../support/k8s-fake/index.ts';
import { fixture02, firing, OPERATORS, startStack, USERS, WEBHOOK_TOKEN, type Stack } from '../support/stack.ts';
import { startTelegramEmulator, type BotMessageView } from '../support/telegram-emulator.ts';
import { seedDeployment } from '../support/workloads.ts';

const finished = (s: Pick<Stack, 'stateOf'>) => (m: BotMessageView) => /succeeded|failed/.test(s.stateOf(m.text));

/** Requests that changed something in the cluster (anything but reads and server-side dry-runs). */
function writes(fake: K8sFake): RecordedRequest[] {
  return fake.requests.filter((r) => r.method !== 'GET' && r.query.dryRun !== 'All');
}

/** Fixture 02 firing for `deployment` in `namespace`, its own alert group. */
function alertAbout(namespace: string, deployment: string, fingerprint: string): Record<string, any> {
  const groupKey = `{}:{alertname="Deployment", deployment="${deployment}", namespace="${namespace}"}`;
  const p = firing(fixture02(), { namespace, deployment, fingerprint, groupKey, startsAt: new Date(Date.now() - 5 * 60_000).toISOString() });
  for (const a of p.alerts) a.labels.kubernetes_namespace = namespace;
  Object.assign(p.commonLabels, { deployment, kubernetes_namespace: namespace });
  p.groupLabels = { alertname: 'Deployment', deployment, namespace };
  return p;
}

function seedCrashLoop(fake: K8sFake, namespace: string, name: string): void {
  fake.seed(
    seedDeployment({
      namespace,
      name,
      revisions: [{ image: `registry.example.com/${name}:2.1.0`, hash: '7d9f8c6b5' }],
      state: { kind: 'crashloop', exitCode: 1 },
    }),
  );
}

/** The callback data of a card's button. */
function dataOf(card: BotMessageView, label: string): string {
  const b = card.buttons.find((x) => x.text === label);
  if (!b || !('callback_data' in b)) throw new Error(`no button ${label} on message ${card.message_id}`);
  return b.callback_data as string;
}

// ── Dual approval: a StatefulSet with volume claims in a critical namespace ───────────────────

const PROD_NS = 'streaming-prod';
const STS = 'kafka-connect';
const SCENARIO_04 = new URL('../scenarios/04-statefulset-crashloop-exit143/', import.meta.url);

/** The kube-prometheus KubeStatefulSetReplicasMismatch alert of scenario 04, for `namespace`. */
function statefulSetAlert(namespace: string): Record<string, any> {
  const p = JSON.parse(readFileSync(new URL('alert.json', SCENARIO_04), 'utf8'));
  for (const a of p.alerts) {
    a.labels.namespace = namespace;
    a.annotations.description = a.annotations.description.replace('streaming/', `${namespace}/`);
    a.startsAt = new Date(Date.now() - 20 * 60_000).toISOString();
  }
  p.commonLabels.namespace = namespace;
  p.groupLabels.namespace = namespace;
  p.groupKey = p.groupKey.replace('namespace="streaming"', `namespace="${namespace}"`);
  return p;
}

/**
 * Scenario 04's Kafka Connect StatefulSet (two workers, the second terminated with exit 143 and
 * crash-looping), with a data volume claim per pod and Parallel pod management.
 */
function kafkaConnect(namespace: string): KObject[] {
  const image = 'quay.io/strimzi/kafka:0.45.0-kafka-3.9.0';
  const revision = `${STS}-6c8f9b7d5`;
  const container = {
    name: 'connect',
    image,
    resources: { limits: { memory: '2Gi' }, requests: { cpu: '1', memory: '2Gi' } },
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/kafka' }],
  };
  const labels = { app: STS };
  const pod = (ordinal: number, ready: boolean): KObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${STS}-${ordinal}`,
      namespace,
      uid: `uid-pod-${STS}-${ordinal}`,
      labels: { ...labels, 'controller-revision-hash': revision, 'statefulset.kubernetes.io/pod-name': `${STS}-${ordinal}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: STS, uid: `uid-sts-${STS}`, controller: true }],
    },
    spec: {
      nodeName: `worker-${ordinal + 1}`,
      containers: [container],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${STS}-${ordinal}` } }],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [
        ready
          ? { name: 'connect', image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-01-20T09:00:00Z' } } }
          : {
              name: 'connect',
              image,
              ready: false,
              started: false,
              restartCount: 5,
              state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 2m40s restarting failed container=connect pod=${STS}-${ordinal}_${namespace}` } },
              lastState: { terminated: { exitCode: 143, reason: 'Error', startedAt: '2026-01-27T06:01:30Z', finishedAt: '2026-01-27T06:05:44Z' } },
            },
      ],
    },
  });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: STS, namespace, uid: `uid-sts-${STS}`, generation: 3, labels },
      spec: {
        replicas: 2,
        serviceName: STS,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [container] } },
        volumeClaimTemplates: [
          { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } } },
        ],
      },
      status: {
        observedGeneration: 3,
        replicas: 2,
        readyReplicas: 1,
        currentReplicas: 2,
        updatedReplicas: 2,
        availableReplicas: 1,
        currentRevision: revision,
        updateRevision: revision,
      },
    } as KObject,
    pod(0, true),
    pod(1, false),
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${STS}-1.17e8c2d4a9b1f5e3`, namespace },
      involvedObject: { kind: 'Pod', name: `${STS}-1`, namespace, fieldPath: 'spec.containers{connect}' },
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container connect in pod ${STS}-1_${namespace}`,
      count: 12,
      firstTimestamp: '2026-01-27T05:30:12Z',
      lastTimestamp: '2026-01-27T06:08:01Z',
    } as KObject,
  ];
}

/** PATCHes that really changed the StatefulSet. */
const statefulSetApplies = (fake: K8sFake) => writes(fake).filter((r) => r.method === 'PATCH' && r.path === `/apis/apps/v1/namespaces/${PROD_NS}/statefulsets/${STS}`);

// ── Tests ──────────────────────────────────────────────────────────────────────────────────

describe('remediation races end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const stack = async (env: Record<string, string> = {}, options: { fake?: K8sFake } = {}) => {
    const s = await startStack(env, options);
    cleanups.push(() => s.stop());
    return s;
  };

  it('dual approval: an approver is refused, the same admin twice counts once, a second admin executes it exactly once', async () => {
    const s = await stack();
    s.fake.seed(kafkaConnect(PROD_NS));
    expect((await s.post(statefulSetAlert(PROD_NS))).status).toBe(202);

    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toContain(`${PROD_NS}/StatefulSet/${STS}`);
    expect(card.text).toContain(`rollout restart statefulset/${STS}`);
    const score = Number(/Blast radius (\d+)\/100 → <b>dual<\/b> \(2 approvers\)/.exec(card.text)?.[1]);
    expect(score).toBeGreaterThanOrEqual(51);
    expect(score).toBeLessThanOrEqual(99);
    expect(card.text).toMatch(/namespace streaming-prod is critical \(matches \*-prod\)/);
    expect(card.text).toMatch(/StatefulSet: pods have stable identities/);
    expect(card.text).toMatch(/pods mount 1 PersistentVolumeClaim/);
    expect(card.text).toContain('Approvals: 0 of 2');
    const [planned] = await s.db.query<{ approvals_required: number; plan: any }>(`select approvals_required, plan from remediation`);
    expect(planned.approvals_required).toBe(2);
    expect(planned.plan.tier).toBe('dual');

    // An approver may decide human cards, not dual ones.
    expect(await s.press('alice', card.message_id, '✅ Approve')).toMatch(/needs two admins/);
    expect(await s.db.query(`select * from approval_decision`)).toHaveLength(0);

    // The first admin: recorded, the card says so and still waits.
    expect(await s.press('bob', card.message_id, '✅ Approve')).toMatch(/Approval 1 of 2 recorded/);
    const half = await s.until(card.message_id, (m) => m.text.includes('Approvals: 1 of 2'));
    expect(s.stateOf(half.text)).toBe('⏳ awaiting approval');
    expect(half.buttons.map((b) => b.text)).toContain('✅ Approve');

    // The same admin again is not a second approval.
    expect(await s.press('bob', card.message_id, '✅ Approve')).toMatch(/already decided on this card; a second approver must be someone else/);
    const afterTwice = await s.db.query<{ user_id: string; decision: string }>(`select user_id::text, decision from approval_decision order by id`);
    expect(afterTwice).toEqual([{ user_id: String(USERS.bob), decision: 'approve' }]);
    expect((await s.db.query<{ state: string }>(`select state from remediation`))[0].state).toBe('pending');
    expect(statefulSetApplies(s.fake)).toHaveLength(0);

    // A second admin completes it.
    expect(await s.press('carol', card.message_id, '✅ Approve')).toMatch(/Approved — executing/);
    const done = await s.until(card.message_id, finished(s), 15_000);
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(done.text).toMatch(/Approved by bob \(@user1002\) and carol \(@user1004\)/);
    expect(statefulSetApplies(s.fake)).toHaveLength(1);
    expect(writes(s.fake)).toHaveLength(1);
    const sts = s.fake.get<any>('StatefulSet', PROD_NS, STS)!;
    expect(sts.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const [{ n }] = await s.db.query<{ n: number }>(`select count(*)::int as n from job where kind = 'execute'`);
    expect(n).toBe(1);
  });

  it('dual approval: two admins pressing at once approve it once, and it runs once', async () => {
    const s = await stack();
    s.fake.seed(kafkaConnect(PROD_NS));
    await s.post(statefulSetAlert(PROD_NS));
    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toContain('Approvals: 0 of 2');
    const data = dataOf(card, '✅ Approve');
    const bob = s.emu.user(USERS.bob, s.chatId, 'bob');
    const carol = s.emu.user(USERS.carol, s.chatId, 'carol');
    const presses = await Promise.all([bob.pressButton(card, data), carol.pressButton(card, data), bob.pressButton(card, data, { force: true })]);
    const answers = (await Promise.all(presses.map((p) => p.answer()))).map((a) => a.text ?? '');
    expect(answers.filter((a) => /Approved — executing/.test(a))).toHaveLength(1);
    expect(answers.filter((a) => /Approval 1 of 2 recorded/.test(a))).toHaveLength(1);
    // Bob's second press is either a repeated vote or too late; never a second approval.
    expect(answers.filter((a) => /already/i.test(a))).toHaveLength(1);
    const done = await s.until(card.message_id, finished(s), 15_000);
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(statefulSetApplies(s.fake)).toHaveLength(1);
    const decisions = await s.db.query<{ user_id: string }>(`select user_id::text from approval_decision where decision = 'approve' order by user_id`);
    expect(decisions.map((d) => d.user_id)).toEqual([String(USERS.bob), String(USERS.carol)]);
  });

  it('approve racing the expiry sweep after the card expired: never executed, expired exactly once, card, database and cluster agree', async () => {
    const s = await stack();
    // The sweep starts with the press, or a little after it, so that either may reach the row first.
    const rounds = [
      { name: 'billing-worker', sweepAfterMs: 0 },
      { name: 'invoice-worker', sweepAfterMs: 10 },
      { name: 'ledger-worker', sweepAfterMs: 25 },
      { name: 'payout-worker', sweepAfterMs: 50 },
    ];
    for (const [i, { name, sweepAfterMs }] of rounds.entries()) {
      seedCrashLoop(s.fake, 'billing', name);
      await s.post(alertAbout('billing', name, `b1b2c3d4e5f6000${i}`));
      const card = await s.emu.chat(s.chatId).waitForMessage((m) => m.text.includes(`deployment/${name}`) && m.buttons.some((b) => b.text === '✅ Approve'), 8000);
      const [{ id }] = await s.db.query<{ id: number }>(`select r.id from remediation r where r.target->>'name' = $1`, [name]);
      await s.db.query(`update remediation set expires_at = now() - interval '1 second' where id = $1`, [id]);

      const sweep = () => new Promise((r) => setTimeout(r, sweepAfterMs)).then(() => s.wk.agent.expireApprovals());
      const [answer, expired] = await Promise.all([s.press('alice', card.message_id, '✅ Approve'), sweep()]);
      // Past its expiry, the card is expired by whichever reaches the row first (the decision
      // itself checks expires_at under the row lock, or the sweep): the press never wins.
      expect(answer, `press: "${answer}", swept: ${expired}`).toMatch(/expired/);
      expect(expired).toBeLessThanOrEqual(1);
      const applies = () => writes(s.fake).filter((r) => r.path.endsWith(`/deployments/${name}`));
      const shown = await s.until(card.message_id, (m) => /expired/.test(s.stateOf(m.text)));
      expect(shown.buttons).toHaveLength(0);
      expect(await s.db.query(`select * from approval_decision where remediation_id = $1`, [id])).toHaveLength(0);
      expect(await s.db.query(`select * from job where kind = 'execute' and payload->>'remediationId' = $1`, [String(id)])).toHaveLength(0);
      expect((await s.db.query<{ state: string }>(`select state from remediation where id = $1`, [id]))[0].state).toBe('expired');
      expect(applies()).toHaveLength(0);
    }
  });

  it('an approval pressed after the card’s expiry time is refused even before the sweep runs', async () => {
    const s = await stack();
    seedCrashLoop(s.fake, 'billing', 'billing-worker');
    await s.post(alertAbout('billing', 'billing-worker', 'b1b2c3d4e5f60010'));
    const card = await s.cardOffering('✅ Approve');
    await s.db.query(`update remediation set expires_at = now() - interval '1 second'`);

    const answer = await s.press('alice', card.message_id, '✅ Approve');
    expect(answer).not.toMatch(/Approved/);
    expect(answer).toMatch(/expired/i);
    expect(await s.db.query(`select * from approval_decision where decision = 'approve'`)).toHaveLength(0);
    expect(await s.db.query(`select * from job where kind = 'execute'`)).toHaveLength(0);
    // Whenever the sweep comes, it finds the card expired (or expires it) and says so.
    await s.wk.agent.expireApprovals();
    const [rem] = await s.db.query<{ state: string }>(`select state from remediation`);
    expect(rem.state).toBe('expired');
    const shown = await s.until(card.message_id, (m) => /expired/.test(s.stateOf(m.text)));
    expect(shown.buttons).toHaveLength(0);
    expect(writes(s.fake)).toHaveLength(0);
  });

  it('a restart while verifying reconciles from live state: verified, succeeded, applied exactly once', async () => {
    const NS = 'eric-eo-cm-ci406';
    const NAME = 'eric-log-transformer';
    // The controller moves only when the test ticks it: the rollout waits until after the crash.
    const fake = await startK8sFake({ autoTick: false });
    cleanups.push(() => fake.close());
    const s = await parts(fake);
    cleanups.push(() => s.close());
    // The first Watchkeeper reaches PostgreSQL through a link the test can cut.
    const link = await startTcpProxy(new URL(s.db.url));
    cleanups.push(() => link.close());
    const first = await bootWatchkeeper(s, { VERIFY_TIMEOUT_S: '3' }, link.url);
    cleanups.push(() => first.stop());
    seedCrashLoop(fake, NS, NAME);
    await post(first, firing(fixture02()));
    const card = await s.cardOffering('✅ Approve');
    expect(await s.press('alice', card.message_id, '✅ Approve')).toMatch(/Approved/);

    // Once the change is applied and being verified, the process dies: its database connections
    // are cut first (a dead process writes nothing more), then the rest stops.
    const [rem] = await until(() => s.db.query<{ id: number; state: string }>(`select id, state from remediation where state = 'verifying'`));
    await s.until(card.message_id, (m) => s.stateOf(m.text) === '🔄 verifying rollout');
    link.cut();
    await s.emu.stopPump();
    await first.stop();
    const [left] = await s.db.query<{ state: string }>(`select state from remediation where id = $1`, [rem.id]);
    expect(left.state).toBe('verifying');
    expect(nonDryRunPatches(fake, NAME)).toHaveLength(1);

    // A new Watchkeeper on the same database, cluster and chat.
    const second = await bootWatchkeeper(s);
    cleanups.push(() => second.stop());
    // The rollout now completes in the cluster.
    await fake.waitForRollout(NS, NAME, 5000);
    const done = await s.until(card.message_id, finished(s));
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(done.text).toMatch(/rollout complete/);

    // Never applied a second time: one real PATCH, one k8s.apply in the audit log.
    expect(nonDryRunPatches(fake, NAME)).toHaveLength(1);
    expect(writes(fake)).toHaveLength(1);
    const [row] = await s.db.query<{ state: string; result: any }>(`select state, result from remediation where id = $1`, [rem.id]);
    expect(row.state).toBe('succeeded');
    expect(row.result.steps).toContain('interrupted by a restart; reconciled from live state, not re-applied');
    // Wait until the new process is idle (its jobs done, no audit row for a while), then count.
    await quiet(s, rem.id);
    const audit = await s.db.query<{ action: string; n: number }>(
      `select action, count(*)::int as n from audit_log where subject = $1 group by action`,
      [`remediation:${rem.id}`],
    );
    const count = (a: string) => audit.find((x) => x.action === a)?.n ?? 0;
    expect(count('k8s.apply')).toBe(1);
    expect(count('remediation.reconcile')).toBeGreaterThanOrEqual(1);
    // One outcome, learnt once.
    expect.soft(count('remediation.succeeded'), 'remediation.succeeded audit rows').toBe(1);
    const playbooks = await s.db.query<{ successes: number; failures: number }>(`select successes, failures from playbook`);
    expect.soft(playbooks, 'playbook outcomes').toEqual([{ successes: 1, failures: 0 }]);
    const drafts = await s.db.query(`select * from knowledge_entry where kind = 'runbook'`);
    expect.soft(drafts, 'runbook drafts').toHaveLength(1);
    const reviewCards = s.emu.chat(s.chatId).messages().filter((m) => m.buttons.some((b) => b.text === '📗 Publish'));
    expect.soft(reviewCards, 'runbook review cards').toHaveLength(1);
  });
});

/** Polls `probe` (every 20 ms, up to `timeoutMs`) until it returns a non-empty array. */
async function until<T>(probe: () => Promise<T[]>, timeoutMs = 8000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await probe();
    if (rows.length > 0) return rows;
    if (Date.now() > deadline) throw new Error('timed out waiting for rows');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the remediation's jobs are finished and its audit trail has stopped growing for
 * 500 ms (both reconciliation paths, if any, have finished). Not an assertion: the counts follow.
 */
async function quiet(s: Parts, remediationId: number, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const [{ n }] = await s.db.query<{ n: number }>(`select count(*)::int as n from audit_log where subject = $1`, [`remediation:${remediationId}`]);
    const [{ busy }] = await s.db.query<{ busy: number }>(`select count(*)::int as busy from job where state in ('queued', 'running') and kind = 'execute'`);
    if (n !== last || busy > 0) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 500) return;
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function nonDryRunPatches(fake: K8sFake, name: string): RecordedRequest[] {
  return fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${name}`) && r.query.dryRun !== 'All');
}

/**
 * Starts a Watchkeeper on the database (or `databaseUrl`), Kubernetes fake and Telegram emulator (chat,
 * token) of `s`, and points the emulator at it (a new process after a crash uses the same ones).
 * Mirrors the configuration of {@link startStack}.
 */
async function bootWatchkeeper(s: Parts, env: Record<string, string> = {}, databaseUrl = s.db.url): Promise<WatchkeeperHandle> {
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: s.emu.token,
    TELEGRAM_API_ROOT: s.emu.apiRoot,
    TELEGRAM_CHAT_IDS: String(s.chatId),
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
    databaseUrl,
    kubeConfig: s.fake.kubeConfig(),
    telegramDelivery: 'none',
    throttle: false,
    schedules: false,
    workerPollMs: 50,
    logger: pino({ level: process.env.E2E_LOG ?? 'silent' }),
  });
  s.emu.pumpInto(wk.bot);
  return wk;
}


/** POSTs an Alertmanager payload to a Watchkeeper's webhook. */
function post(wk: WatchkeeperHandle, body: unknown): Promise<Response> {
  return fetch(`${wk.url}/webhooks/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    body: JSON.stringify(body),
  });
}

/**
 * A TCP relay to PostgreSQL whose `cut()` kills every connection and refuses new ones: to the
 * process using it, the database is gone (as it is for a process that died).
 */
async function startTcpProxy(target: URL): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let dead = false;
  const server = createServer((client) => {
    if (dead) return void client.destroy();
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('error', () => {});
      sock.on('close', () => sockets.delete(sock));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(target.toString());
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  const cut = () => {
    dead = true;
    for (const sock of sockets) sock.destroy();
  };
  return {
    url: url.toString(),
    cut,
    close: () => {
      cut();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** What a test needs of a stack without its Watchkeeper: database, cluster, chat and helpers. */
type Parts = Pick<Stack, 'db' | 'fake' | 'emu' | 'chatId' | 'cardOffering' | 'until' | 'stateOf' | 'press'> & { close(): Promise<void> };

let partsChat = -1003000000000;

/** A fresh database and Telegram emulator around `fake`, with the helpers of {@link startStack}. */
async function parts(fake: K8sFake): Promise<Parts> {
  const db = await createTestDatabase();
  const emu = await startTelegramEmulator();
  const chatId = --partsChat;
  const chat = () => emu.chat(chatId);
  return {
    db,
    fake,
    emu,
    chatId,
    cardOffering: (label, exclude = []) =>
      chat().waitForMessage((m) => !exclude.includes(m.message_id) && m.buttons.some((b) => b.text === label), 8000),
    until: (id, pred, timeoutMs = 10_000) => chat().waitForMessage((m) => m.message_id === id && pred(m), timeoutMs),
    stateOf: (text) => /State: <b>([^<]*)<\/b>/.exec(text)?.[1] ?? '',
    async press(user, id, label) {
      const press = await emu.user(USERS[user], chatId, user).pressButtonByText(label, { messageId: id });
      return (await press.answer()).text ?? '';
    },
    async close() {
      await emu.stopPump();
      await emu.close();
      await db.drop();
    },
  };
}
