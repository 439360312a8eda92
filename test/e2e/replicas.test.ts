/**
 * Two `watchkeeper serve` processes on one PostgreSQL, the Kubernetes fake (leader election on a
 * coordination.k8s.io/v1 Lease) and the Telegram emulator, as the `ha` overlay runs them. An
 * alert storm is posted to both; mid-storm the leader is killed with SIGKILL. What must hold:
 * the other replica takes the Lease over (the time is printed, not asserted), every alert is
 * stored exactly once, every job ends done, and only the jobs the dead replica held ran again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A TCP port the kernel just handed out on 127.0.0.1 (free now; a random pick could be taken). */
async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
const NODE = join(ROOT, 'node_modules/.bin/node');
const NS = 'watchkeeper';
const TOKEN = 'replicas-token';
const ALERTS = 120;
/** Alert groups (incidents): few, so their cards fit Telegram's 20 messages a minute per group chat. */
const GROUPS = 6;

interface Replica {
  name: string;
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

describe('two replicas', () => {
  let db: TestDatabase;
  let fake: K8sFake;
  let emu: TelegramEmulator;
  let kubeconfig: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startK8sFake();
    fake.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
    emu = await startTelegramEmulator();
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'wk-replicas-')), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
  });
  afterAll(async () => {
    for (const r of replicas) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await emu?.close();
    await fake?.close();
    await db?.drop();
  });

  async function start(name: string): Promise<Replica> {
    const port = await freePort();
    const child = spawn(NODE, [join(ROOT, 'bin/watchkeeper.js'), 'serve'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: db.url,
        KUBECONFIG: kubeconfig,
        TELEGRAM_BOT_TOKEN: emu.token,
        TELEGRAM_API_ROOT: emu.apiRoot,
        TELEGRAM_CHAT_IDS: '-1009999',
        WEBHOOK_BEARER_TOKEN: TOKEN,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        LEADER_ELECTION: 'kubernetes',
        LEADER_ELECTION_NAMESPACE: NS,
        POD_NAME: name,
        JOB_LEASE_S: '5',
        LOG_LEVEL: 'info',
      },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const r = { name, child, port, output: () => out, exited };
    replicas.push(r);
    return r;
  }

  async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${replicas.map((r) => `--- ${r.name}\n${r.output().slice(-3000)}`).join('\n')}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  const holder = () => (fake.get<any>('Lease', NS, 'watchkeeper') as any)?.spec?.holderIdentity as string | undefined;

  /** Delivery `i`: group i % GROUPS with every alert of that group up to `i` (Alertmanager sends the whole group). */
  function post(r: Replica, i: number): Promise<Response> {
    const group = i % GROUPS;
    const alerts = [];
    for (let j = group; j <= i; j += GROUPS) {
      alerts.push({
        status: 'firing',
        labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', deployment: `web-${group}`, pod: `web-${group}-${j}`, severity: 'warning' },
        annotations: { summary: `web-${group}-${j} is crash looping` },
        startsAt: '2026-11-21T06:00:00Z',
        fingerprint: `f${String(j).padStart(15, '0')}`,
      });
    }
    return fetch(`http://127.0.0.1:${r.port}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: `{}:{alertname="KubePodCrashLooping", deployment="web-${group}"}`,
        status: 'firing',
        receiver: 'watchkeeper',
        groupLabels: { alertname: 'KubePodCrashLooping', deployment: `web-${group}` },
        commonLabels: { alertname: 'KubePodCrashLooping', namespace: 'shop', deployment: `web-${group}` },
        alerts,
      }),
    });
  }

  it('SIGKILL of the leader mid-storm: the other takes the Lease over; every alert stored once, no job run twice', { timeout: 180_000 }, async () => {
    const [a, b] = [await start('replica-a'), await start('replica-b')];
    await waitFor('both replicas up', () => [a, b].every((r) => /watchkeeper is up/.test(r.output())));
    const first = await waitFor('a leader', () => holder() || undefined);
    const leader = first.startsWith('replica-a') ? a : b;
    const survivor = leader === a ? b : a;

    // The storm: each alert goes to either replica (as behind a Service); a refused or broken
    // delivery is retried on the other, as Alertmanager retries.
    let accepted = 0;
    let killedAt = 0;
    let leaderJobs: number[] = [];
    const deliver = async (i: number) => {
      const targets = i % 2 ? [a, b] : [b, a];
      for (let attempt = 0; ; attempt++) {
        const r = targets[attempt % 2];
        try {
          const res = await post(r, i);
          if (res.status === 202 || res.status === 200) break;
        } catch {
          // the killed replica: connection refused or reset
        }
        if (attempt > 20) throw new Error(`alert ${i} not accepted`);
        await new Promise((res) => setTimeout(res, 50));
      }
      accepted++;
      if (accepted === ALERTS / 2 && !killedAt) {
        leader.child.kill('SIGKILL');
        killedAt = Date.now();
        await leader.exited;
        // The jobs the dead process held when it died: the only ones allowed to run again.
        const held = await db.query<{ id: string }>(`select id from job where state = 'running' and locked_by like $1`, [`%/${leader.child.pid}/%`]);
        leaderJobs = held.map((h) => Number(h.id));
      }
    };
    const queue = Array.from({ length: ALERTS }, (_, i) => i);
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await deliver(i);
    }));
    expect(killedAt).toBeGreaterThan(0);

    const next = await waitFor('the survivor holds the Lease', () => (holder()?.startsWith(survivor.name) ? holder() : undefined));
    const takeoverMs = Date.now() - killedAt;
    console.log(`leader ${first} killed; ${next} took the Lease over after ${(takeoverMs / 1000).toFixed(1)} s`);
    await waitFor('the survivor leads', () => /became the leader/.test(survivor.output()) || undefined);

    // Every alert stored once.
    const alerts = await db.query<{ fingerprint: string; n: number }>(`select fingerprint, count(*)::int as n from alert group by fingerprint`);
    expect(alerts).toHaveLength(ALERTS);
    expect(alerts.filter((x) => x.n !== 1)).toEqual([]);
    const [{ incidents }] = await db.query<{ incidents: number }>(`select count(*)::int as incidents from incident`);
    expect(incidents).toBe(GROUPS);

    // Every job ends (the dead replica's after their lease expired); only those ran twice.
    await waitFor('every job finished', async () => {
      const [{ n }] = await db.query<{ n: number }>(`select count(*)::int as n from job where state in ('queued', 'running')`);
      return n === 0 || undefined;
    }, 90_000);
    const jobs = await db.query<{ id: string; state: string; attempts: number }>(`select id, state, attempts from job`);
    expect(jobs.length).toBeGreaterThanOrEqual(GROUPS);
    expect(jobs.filter((j) => j.state !== 'done')).toEqual([]);
    const again = jobs.filter((j) => j.attempts > 1).map((j) => Number(j.id));
    for (const id of again) expect(leaderJobs, `job ${id} ran more than once`).toContain(id);
    // One card per incident, unless its diagnosis was one of the dead replica's jobs.
    const cards = await db.query<{ incident_id: string; n: number }>(`select incident_id, count(*)::int as n from chat_message group by incident_id`);
    const rerunIncidents = new Set(
      (await db.query<{ incident_id: number }>(`select (payload->>'incidentId')::int as incident_id from job where id = any($1::bigint[])`, [leaderJobs])).map((r) => r.incident_id),
    );
    expect(cards.filter((c) => c.n !== 1 && !rerunIncidents.has(Number(c.incident_id)))).toEqual([]);
    console.log(`${jobs.length} jobs done; ${leaderJobs.length} held by the killed leader, ${again.length} ran again`);
  });
});
