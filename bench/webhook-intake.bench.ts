import { DEFAULT_PLAN_POLICY } from '../agent/plan.ts';
/**
 * Webhook intake (issue 2, "Benchmark"): 20,000 alerts in grouped Alertmanager v4 payloads of 1–50
 * alerts, posted over loopback to the real intake path — `createServer` (bearer auth, 1 MiB body
 * limit, zod validation) → `Agent.ingestAlerts` → `IncidentRepository.ingest` on a fresh PostgreSQL database —
 * with 16 requests in flight. Prints throughput and p50/p99 acknowledgement latency (send → 2xx
 * received), the same for a bare express handler doing one INSERT per alert on the same payloads
 * and concurrency, measured in the same run, and their ratio; then re-posts 10 % of the payloads
 * (redelivery) and checks with SQL that every alert is stored exactly once. The measured set is
 * then posted again into emptied tables at 8 and at 4 requests in flight (`webhook_c8_*`,
 * `webhook_c4_*`, no targets): Alertmanager sends one request per aggregation group at a time
 * (the next one after group_interval), in parallel only across groups, so requests in flight are
 * the groups notifying at the same moment.
 *
 * The agent's job worker is not started, so no diagnosis runs during the measurement; the
 * `diagnose` jobs the intake queues are only counted. The sender runs in a worker thread
 * (bench/support-http.ts), one event loop apart from the server, as Alertmanager would be.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import express from 'express';
import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createAgent } from '../agent/index.ts';
import type { ClusterPort, Notifier } from '../agent/index.ts';
import { createAgentMetrics, type AgentMetrics } from '../agent/metrics.ts';
import { createServer } from '../server/index.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/db.ts';
import { LoadClient, type LoadResult } from './support-http.ts';
import { percentile, type Bench, type BenchReporter } from './support.ts';

/** Alerts in the measured set. */
const TOTAL_ALERTS = 20_000;
/** Alerts per payload: uniform in [MIN, MAX]. */
const GROUP_MIN = 1;
const GROUP_MAX = 50;
/** Requests in flight. */
const CONCURRENCY = 16;
/** Requests in flight in the extra runs after the measured one (figures without targets). */
const OTHER_CONCURRENCIES = [8, 4] as const;
/**
 * Offered load of the paced (open-loop) run that carries the latency target: twice the
 * throughput target. A closed loop at 16 in flight saturates the machine (≈ 10k alerts/s on 2
 * cores), where latency only measures the queue; the target pairs ≥ 1,000 alerts/s with p99 ≤ 50 ms.
 */
const PACED_ALERTS_PER_S = 2000;
/** Connections the paced run may open. */
const PACED_MAX_CONNECTIONS = 64;
/** Distinct Alertmanager groups (groupKeys); payload i belongs to group i mod GROUPS. */
const GROUPS = 400;
/** Alerts posted before measuring (then truncated). */
const WARMUP_ALERTS = 2_000;
/** Every REDELIVER_EVERY-th payload is posted a second time. */
const REDELIVER_EVERY = 10;
const SEED = 0x5eed_2026;
const TOKEN = 'bench-bearer-token-0123456789abcdef';
const BODY_LIMIT_BYTES = 1024 * 1024;

const TARGETS = {
  alertsPerS: { op: '>=', value: 1000 },
  p99Ms: { op: '<=', value: 50 },
  exactlyOnce: { op: '>=', value: 1 },
} as const;

// ---------------------------------------------------------------------------------------------
// Payloads

/** mulberry32: small deterministic PRNG, floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** kube-prometheus rules the alerts imitate (kubernetes-mixin names, labels and annotations). */
const RULES = [
  {
    alertname: 'KubePodCrashLooping',
    severity: 'warning',
    target: 'pod',
    summary: 'Pod is crash looping.',
    description: (ns: string, pod: string, c: string) => `Pod ${ns}/${pod} (${c}) is in waiting state (reason: "CrashLoopBackOff").`,
  },
  {
    alertname: 'KubeDeploymentReplicasMismatch',
    severity: 'warning',
    target: 'deployment',
    summary: 'Deployment has not matched the expected number of replicas.',
    description: (ns: string, dep: string) =>
      `Deployment ${ns}/${dep} has not matched the expected number of replicas for longer than 15 minutes.`,
  },
  {
    alertname: 'KubePodNotReady',
    severity: 'warning',
    target: 'pod',
    summary: 'Pod has been in a non-ready state for more than 15 minutes.',
    description: (ns: string, pod: string) => `Pod ${ns}/${pod} has been in a non-ready state for longer than 15 minutes.`,
  },
  {
    alertname: 'KubeContainerWaiting',
    severity: 'warning',
    target: 'pod',
    summary: 'Pod container waiting longer than 1 hour',
    description: (ns: string, pod: string, c: string) =>
      `pod/${pod} in namespace ${ns} on container ${c} has been in waiting state for longer than 1 hour. (reason: "ImagePullBackOff")`,
  },
  {
    alertname: 'KubeDeploymentRolloutStuck',
    severity: 'critical',
    target: 'deployment',
    summary: 'Deployment rollout is not progressing.',
    description: (ns: string, dep: string) => `Rollout of deployment ${ns}/${dep} is not progressing for longer than 15 minutes.`,
  },
] as const;

const TEAMS = ['payments', 'checkout', 'search', 'catalog', 'identity', 'billing', 'ledger', 'orders'];
const APPS = ['api', 'worker', 'web', 'gateway', 'scheduler', 'indexer', 'consumer', 'cache-warmer', 'notifier', 'exporter'];
const EXTERNAL_URL = 'http://alertmanager-main.monitoring.svc:9093';

/** A payload ready to post. */
interface Payload {
  body: string;
  alerts: number;
  groupKey: string;
}

/**
 * Builds Alertmanager v4 deliveries (shape of fixtures/alertmanager/02-*.json) holding `total`
 * alerts in groups of GROUP_MIN–GROUP_MAX. Every alert has its own fingerprint (16 hex digits,
 * `prefix` first) and startsAt; payload i belongs to group `i mod groups` (group_by namespace,
 * alertname), so the first delivery of a group opens an incident and later ones update it.
 */
function buildPayloads(opts: { total: number; seed: number; prefix: number; groups: number; nsTag: string }): Payload[] {
  const rnd = prng(opts.seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const base = Date.parse('2026-11-20T00:00:00Z');
  const payloads: Payload[] = [];
  let made = 0;
  for (let p = 0; made < opts.total; p++) {
    const size = Math.min(opts.total - made, GROUP_MIN + Math.floor(rnd() * (GROUP_MAX - GROUP_MIN + 1)));
    const g = p % opts.groups;
    const rule = RULES[g % RULES.length];
    const namespace = `${opts.nsTag}${TEAMS[Math.floor(g / RULES.length) % TEAMS.length]}-${Math.floor(g / RULES.length / TEAMS.length)}`;
    const severity = rule.severity === 'warning' && g % 7 === 0 ? 'critical' : rule.severity;
    const groupStart = base + p * 30_000;
    const alerts = [];
    for (let k = 0; k < size; k++, made++) {
      const app = pick(APPS);
      const deployment = `${app}-${Math.floor(rnd() * 100)}`;
      const pod = `${deployment}-${Math.floor(rnd() * 0xffffffff).toString(36).slice(0, 10)}-${Math.floor(rnd() * 0xfffff).toString(36)}`;
      const container = app;
      const labels: Record<string, string> =
        rule.target === 'pod'
          ? {
              alertname: rule.alertname,
              container,
              endpoint: 'http',
              instance: `10.0.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}:8080`,
              job: 'kube-state-metrics',
              namespace,
              pod,
              prometheus: 'monitoring/k8s',
              service: 'kube-state-metrics',
              severity,
              ...(rule.alertname === 'KubeContainerWaiting' ? { reason: 'ImagePullBackOff' } : {}),
            }
          : {
              alertname: rule.alertname,
              deployment,
              endpoint: 'http',
              instance: `10.0.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}:8080`,
              job: 'kube-state-metrics',
              namespace,
              prometheus: 'monitoring/k8s',
              service: 'kube-state-metrics',
              severity,
            };
      // 16 hex digits, unique per alert: prefix byte + a bijection of the alert's index on 56 bits.
      const mixed = (BigInt(made) * 0x9e3779b97f4a7dn) & 0xff_ffff_ffff_ffffn;
      const fingerprint = opts.prefix.toString(16).padStart(2, '0') + mixed.toString(16).padStart(14, '0');
      const startsAt = new Date(groupStart + k * 1_000 + Math.floor(rnd() * 1_000)).toISOString();
      alerts.push({
        status: 'firing',
        labels,
        annotations: {
          description: rule.description(namespace, rule.target === 'pod' ? pod : deployment, container),
          runbook_url: `https://runbooks.prometheus-operator.dev/runbooks/kubernetes/${rule.alertname.toLowerCase()}`,
          summary: rule.summary,
        },
        startsAt,
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: `http://prometheus-k8s-0:9090/graph?g0.expr=${encodeURIComponent(`kube_pod_container_status_waiting_reason{namespace="${namespace}"} > 0`)}&g0.tab=1`,
        fingerprint,
      });
    }
    const groupLabels = { alertname: rule.alertname, namespace };
    const groupKey = `{}/{severity=~"warning|critical"}:{alertname="${rule.alertname}", namespace="${namespace}"}`;
    const commonLabels: Record<string, string> = { ...alerts[0].labels };
    for (const a of alerts) for (const [k, v] of Object.entries(commonLabels)) if (a.labels[k] !== v) delete commonLabels[k];
    const body = {
      receiver: 'watchkeeper',
      status: 'firing',
      alerts,
      groupLabels,
      commonLabels,
      commonAnnotations: size === 1 ? alerts[0].annotations : { summary: rule.summary },
      externalURL: EXTERNAL_URL,
      version: '4',
      groupKey,
      truncatedAlerts: 0,
    };
    payloads.push({ body: JSON.stringify(body), alerts: size, groupKey });
  }
  return payloads;
}

// ---------------------------------------------------------------------------------------------
// Servers

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
    server.once('error', reject);
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A port the intake must never use (diagnosis and cards run in the job worker, which stays off):
 * every method counts the call and rejects. A Proxy, so it keeps fitting as the port grows.
 */
function unusedPort<T extends object>(name: string, calls: { n: number }): T {
  return new Proxy({} as T, {
    get: (_target, prop) =>
      prop === 'then'
        ? undefined
        : async () => {
            calls.n++;
            throw new Error(`the benchmark's ${name} must not be called (${String(prop)}): no diagnosis runs during the bench`);
          },
  });
}

/** The real intake: server/index.ts + agent/index.ts + entities/repositories/, built as main.ts does. */
function watchkeeperApp(db: TestDatabase, calls: { n: number }): { app: express.Express; metrics: AgentMetrics } {
  const log = pino({ level: 'warn', base: { service: 'watchkeeper-bench' } }, pino.destination(2));
  const cluster = unusedPort<ClusterPort>('cluster port', calls);
  const notifier = unusedPort<Notifier>('notifier', calls);
  const registry = new Registry();
  const metrics = createAgentMetrics(registry);
  const agent = createAgent(
    { repos: db.store, cluster, notifier, clock: { now: () => new Date() }, log, metrics },
    {
      alertChatId: -1,
      operators: [],
      dedupWindowS: 1800,
      approvalTtlS: 3600,
      logTailLines: 50,
      policy: DEFAULT_PLAN_POLICY,
    },
  );
  // Deliberately no agent.start(): the job worker (diagnosis) stays off during the measurement.
  const app = createServer({ agent, log, registry, metrics, auth: { bearerToken: TOKEN }, bodyLimitBytes: BODY_LIMIT_BYTES });
  return { app, metrics };
}

const BASELINE_TABLE = 'bench_baseline_alert';

/** A bare express handler: `express.json`, then one INSERT per alert on a plain pg Pool, then 200. */
function baselineApp(pool: pg.Pool): express.Express {
  const app = express();
  app.post('/webhooks/alertmanager', express.json({ limit: BODY_LIMIT_BYTES }), async (req, res) => {
    try {
      const body = req.body as { groupKey: string; alerts: Array<Record<string, unknown> & { labels: Record<string, string> }> };
      for (const a of body.alerts) {
        await pool.query(
          `insert into ${BASELINE_TABLE} (fingerprint, status, starts_at, alertname, severity, labels, annotations, group_key)
           values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict do nothing`,
          [a.fingerprint, a.status, a.startsAt, a.labels.alertname, a.labels.severity, a.labels, a.annotations, body.groupKey],
        );
      }
      res.sendStatus(200);
    } catch {
      res.sendStatus(503);
    }
  });
  return app;
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Figures {
  alertsPerS: number;
  p50: number;
  p99: number;
  non2xx: number;
}

function figures(result: LoadResult, payloads: readonly Payload[]): Figures {
  const alerts = payloads.reduce((n, p) => n + p.alerts, 0);
  const ok = result.latenciesMs.filter((_, i) => result.statuses[i] >= 200 && result.statuses[i] < 300);
  return {
    alertsPerS: alerts / (result.elapsedMs / 1000),
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    non2xx: result.statuses.filter((s) => s < 200 || s >= 300).length,
  };
}

/** `stored` of a 202 answer `{stored, received, …}`; 0 for anything else. */
function storedIn(response: string): number {
  try {
    const stored = (JSON.parse(response) as { stored?: unknown }).stored;
    return typeof stored === 'number' ? stored : 0;
  } catch {
    return 0;
  }
}

function describeFailures(result: LoadResult): string {
  const counts = new Map<number, number>();
  for (const s of result.statuses) if (s < 200 || s >= 300) counts.set(s, (counts.get(s) ?? 0) + 1);
  const byStatus = [...counts].map(([s, n]) => `${n}× ${s === 0 ? 'no answer' : `HTTP ${s}`}`).join(', ');
  return `${byStatus}${result.errors.length ? ` (${result.errors.join('; ')})` : ''}`;
}

/**
 * Starts measuring where the time goes; the returned function describes it: how busy this
 * process's main event loop was (server, pg client; the sender has its own thread), the process's
 * CPU time and the 1-minute load average (other work on the machine skews every figure).
 */
function startUsage(): () => string {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const busy = performance.eventLoopUtilization(elu).utilization;
    const c = process.cpuUsage(cpu);
    const wall = (performance.now() - t0) / 1000;
    return (
      `main event loop busy ${(busy * 100).toFixed(0)} %, process CPU ${((c.user + c.system) / 1e6).toFixed(2)} s over ${wall.toFixed(2)} s, ` +
      `load average ${os.loadavg()[0].toFixed(2)}`
    );
  };
}

/** Mean of the webhook duration histogram since its last reset, seconds. */
async function meanSeconds(metrics: AgentMetrics): Promise<number> {
  const { values } = await metrics.webhookSeconds.get();
  const total = (suffix: string) =>
    values.filter((v) => v.metricName?.endsWith(suffix)).reduce((n, v) => n + v.value, 0);
  return total('_sum') / total('_count');
}

const bench: Bench = async (reporter: BenchReporter) => {
  const cpus = os.cpus();
  reporter.note(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
  );

  const measured = buildPayloads({ total: TOTAL_ALERTS, seed: SEED, prefix: 0x00, groups: GROUPS, nsTag: '' });
  const warmup = buildPayloads({ total: WARMUP_ALERTS, seed: SEED + 1, prefix: 0xff, groups: 40, nsTag: 'warmup-' });
  const redelivery = measured.filter((_, i) => i % REDELIVER_EVERY === 0);
  const bytes = measured.reduce((n, p) => n + p.body.length, 0);
  reporter.note(
    `payloads: ${measured.length} deliveries, ${TOTAL_ALERTS} alerts (${GROUP_MIN}–${GROUP_MAX} per delivery), ` +
      `${new Set(measured.map((p) => p.groupKey)).size} groups, ${(bytes / 2 ** 20).toFixed(1)} MiB; ${CONCURRENCY} requests in flight (then ${OTHER_CONCURRENCIES.join(' and ')}), keep-alive`,
  );

  const db = await createTestDatabase({ poolMax: 10 });
  // Raw SQL goes through pools of our own that tolerate the connection being killed by the final
  // `drop database … with (force)` (pg's Pool.end() resolves before its sockets are closed).
  const sqlPool = new pg.Pool({ connectionString: db.url, max: 2 });
  sqlPool.on('error', () => {});
  const query = async <T,>(text: string, params: unknown[] = []) => (await sqlPool.query(text, params)).rows as T[];
  const client = new LoadClient();
  const servers: Server[] = [];
  let baselinePool: pg.Pool | undefined;
  try {
    const [{ version, sync }] = await query<{ version: string; sync: string }>(
      `select current_setting('server_version') as version, current_setting('synchronous_commit') as sync`,
    );
    reporter.note(`PostgreSQL ${version} on 127.0.0.1 (synchronous_commit=${sync}), fresh migrated database, pool max 10`);

    // --- Watchkeeper intake -------------------------------------------------------------------
    const portCalls = { n: 0 };
    const intake = watchkeeperApp(db, portCalls);
    const wk = await listen(intake.app);
    servers.push(wk.server);
    const wkReq = { url: `${wk.url}/webhooks/alertmanager`, headers: { authorization: `Bearer ${TOKEN}` }, concurrency: CONCURRENCY };

    const warm = await client.run({ ...wkReq, bodies: warmup.map((p) => p.body) });
    if (figures(warm, warmup).non2xx) throw new Error(`warm-up against the webhook failed: ${describeFailures(warm)}`);

    /**
     * Posts the measured set into empty tables: closed loop with `concurrency` requests in
     * flight, or open loop at `ratePerS` deliveries per second.
     */
    const measure = async (concurrency: number, ratePerS?: number): Promise<Figures> => {
      await query('truncate alert, incident, job restart identity cascade');
      intake.metrics.webhookSeconds.reset();
      const usage = startUsage();
      const run = await client.run({ ...wkReq, concurrency, ratePerS, bodies: measured.map((p) => p.body) });
      const wkUsage = usage();
      const fig = figures(run, measured);
      const mode = ratePerS ? `paced at ${ratePerS.toFixed(1)} deliveries/s` : `${concurrency} in flight`;
      if (fig.non2xx) reporter.note(`webhook, ${mode}: ${describeFailures(run)}`);
      const handler = await meanSeconds(intake.metrics);
      reporter.note(
        `webhook, ${mode}: ${measured.length} deliveries in ${(run.elapsedMs / 1000).toFixed(2)} s; ${wkUsage}; ` +
          `server-side handler time mean ${(handler * 1000).toFixed(1)} ms (watchkeeper_webhook_duration_seconds)`,
      );
      return fig;
    };
    const tally = () =>
      query<{ total: number; distinct_fp: number; dup_keys: number; incidents: number; jobs: number; unlinked: number }>(
        `select (select count(*)::int from alert) as total,
                (select count(distinct fingerprint)::int from alert) as distinct_fp,
                (select count(*)::int from (select 1 from alert group by fingerprint, starts_at, status having count(*) > 1) d) as dup_keys,
                (select count(*)::int from incident) as incidents,
                (select count(*)::int from job) as jobs,
                (select count(*)::int from alert where incident_id is null) as unlinked`,
      ).then((rows) => rows[0]);
    const allStoredOnce = (fig: Figures, check: Awaited<ReturnType<typeof tally>>) =>
      fig.non2xx === 0 && check.total === TOTAL_ALERTS && check.distinct_fp === TOTAL_ALERTS && check.dup_keys === 0;

    const wkFig = await measure(CONCURRENCY);
    const again = await client.run({ ...wkReq, bodies: redelivery.map((p) => p.body), keepResponses: true });
    const reStored = (again.responses ?? []).reduce((n, r) => n + storedIn(r), 0);
    const reFig = figures(again, redelivery);
    reporter.note(
      `redelivery: ${redelivery.length} deliveries (${redelivery.reduce((n, p) => n + p.alerts, 0)} alerts) re-posted, ` +
        `${redelivery.length - reFig.non2xx} answered 2xx, ${reStored} alerts stored again (p50 ${reFig.p50.toFixed(1)} ms)`,
    );
    const check = await tally();
    let exactlyOnce = allStoredOnce(wkFig, check) && reFig.non2xx === 0 && reStored === 0;
    reporter.note(
      `stored: ${check.total} alerts (${check.distinct_fp} distinct fingerprints, ${check.dup_keys} duplicate keys, ${check.unlinked} without incident), ` +
        `${check.incidents} incidents, ${check.jobs} queued jobs; cluster port and notifier called ${portCalls.n}×`,
    );
    reporter.figure('webhook_alerts_per_s', wkFig.alertsPerS, 'alerts/s', TARGETS.alertsPerS);
    reporter.figure('webhook_saturated_ack_p50_ms', wkFig.p50, 'ms');
    reporter.figure('webhook_saturated_ack_p99_ms', wkFig.p99, 'ms');

    // Latency at a given throughput: open loop at twice the throughput target.
    const avgAlerts = TOTAL_ALERTS / measured.length;
    const paced = await measure(PACED_MAX_CONNECTIONS, PACED_ALERTS_PER_S / avgAlerts);
    {
      const c = await tally();
      exactlyOnce &&= allStoredOnce(paced, c);
    }
    reporter.figure('webhook_paced_alerts_per_s', paced.alertsPerS, 'alerts/s');
    reporter.figure('webhook_ack_p50_ms', paced.p50, 'ms');
    reporter.figure('webhook_ack_p99_ms', paced.p99, 'ms', TARGETS.p99Ms);

    // The same set at lower concurrency, for context: Alertmanager sends one request per
    // aggregation group at a time, so requests in flight = groups notifying at the same moment.
    for (const concurrency of OTHER_CONCURRENCIES) {
      const fig = await measure(concurrency);
      const c = await tally();
      exactlyOnce &&= allStoredOnce(fig, c);
      reporter.figure(`webhook_c${concurrency}_alerts_per_s`, fig.alertsPerS, 'alerts/s');
      reporter.figure(`webhook_c${concurrency}_ack_p50_ms`, fig.p50, 'ms');
      reporter.figure(`webhook_c${concurrency}_ack_p99_ms`, fig.p99, 'ms');
    }
    reporter.figure('webhook_stored_exactly_once', exactlyOnce ? 1 : 0, 'bool', TARGETS.exactlyOnce);

    // --- Baseline: bare express, one INSERT per alert ---------------------------------------------
    await query(
      `create table ${BASELINE_TABLE} (
         id bigserial primary key, fingerprint varchar(64) not null, status text not null, starts_at timestamptz not null,
         alertname varchar(255) not null, severity varchar(32), labels jsonb not null, annotations jsonb not null,
         group_key text not null, received_at timestamptz not null default now(),
         unique (fingerprint, starts_at, status))`,
    );
    baselinePool = new pg.Pool({ connectionString: db.url, max: 10 });
    baselinePool.on('error', () => {});
    const base = await listen(baselineApp(baselinePool));
    servers.push(base.server);
    const baseReq = { url: `${base.url}/webhooks/alertmanager`, concurrency: CONCURRENCY };
    const baseWarm = await client.run({ ...baseReq, bodies: warmup.map((p) => p.body) });
    if (figures(baseWarm, warmup).non2xx) throw new Error(`warm-up against the baseline failed: ${describeFailures(baseWarm)}`);
    await query(`truncate ${BASELINE_TABLE} restart identity`);
    const baseUsage = startUsage();
    const baseRun = await client.run({ ...baseReq, bodies: measured.map((p) => p.body) });
    reporter.note(`baseline: ${measured.length} deliveries in ${(baseRun.elapsedMs / 1000).toFixed(2)} s; ${baseUsage()}`);
    const baseFig = figures(baseRun, measured);
    if (baseFig.non2xx) reporter.note(`baseline: ${describeFailures(baseRun)}`);
    const [{ n: baseStored }] = await query<{ n: number }>(`select count(*)::int as n from ${BASELINE_TABLE}`);
    reporter.note(`baseline stored ${baseStored} alerts (table with the same unique key, on conflict do nothing, autocommit per INSERT)`);

    // The baseline at the same offered load as the paced Watchkeeper run.
    await query(`truncate ${BASELINE_TABLE} restart identity`);
    const basePacedRun = await client.run({
      ...baseReq,
      concurrency: PACED_MAX_CONNECTIONS,
      ratePerS: PACED_ALERTS_PER_S / avgAlerts,
      bodies: measured.map((p) => p.body),
    });
    const basePaced = figures(basePacedRun, measured);
    if (basePaced.non2xx) reporter.note(`baseline paced: ${describeFailures(basePacedRun)}`);

    reporter.figure('baseline_alerts_per_s', baseFig.alertsPerS, 'alerts/s');
    reporter.figure('baseline_saturated_ack_p50_ms', baseFig.p50, 'ms');
    reporter.figure('baseline_saturated_ack_p99_ms', baseFig.p99, 'ms');
    reporter.figure('baseline_ack_p50_ms', basePaced.p50, 'ms');
    reporter.figure('baseline_ack_p99_ms', basePaced.p99, 'ms');
    reporter.figure('webhook_vs_baseline_throughput_ratio', wkFig.alertsPerS / baseFig.alertsPerS, 'ratio');
    reporter.figure('webhook_vs_baseline_p99_ratio', paced.p99 / basePaced.p99, 'ratio');
  } finally {
    await client.close().catch(() => {});
    for (const s of servers) await close(s);
    await baselinePool?.end().catch(() => {});
    await sqlPool.end().catch(() => {});
    await db.drop();
  }
};

export default bench;
