/**
 * Monitoring coverage benchmark (issue 6, "Benchmark").
 *
 * - `coverage_eval_ms`: one evaluation of 10,000 assets × 7 dimensions by the production service
 *   (`CoverageService.evaluate`) against a real PostgreSQL database holding realistic history, and a
 *   Prometheus stub over HTTP serving ~13k active targets and ~1k alerting rules (kube-prometheus
 *   fixtures plus per-namespace team rules). The measured evaluation is the first one (every one of
 *   the 70,000 cells is new and written) — the worst case; `coverage_eval_warm_ms` is the median of
 *   the hourly steady state (a few hundred cells change between runs).
 * - `digest_png_ms`: rendering the digest picture — the heatmap of the top 40 assets drawn and
 *   PNG-encoded (median of 20); `digest_build_ms` is the whole digest (reads, ranking, comparison
 *   with yesterday, picture).
 *
 * History (over the last 60 days, so windows cut through it): 20,000 incidents (a fifth on pods
 * and jobs, resolved to their workloads), 8,000 remediations in mixed states, 2,000 knowledge
 * entries, 600 playbooks (half published), 300 rules proposed by Watchkeeper, and 48 hourly
 * evaluations of per-asset codes from the two days before. Discovery (listing the cluster) is not
 * part of the figure; storing the 10,000-asset inventory is reported as a note.
 */
import { createOutcomeHub } from '../agent/incidents/context.ts';
import { createStore } from '../entities/repositories/index.ts';
import pino from 'pino';
import { CoverageService } from '../agent/coverage/index.ts';
import { CoverageRepository } from '../agent/coverage/repository.ts';
import { encodePng } from '../agent/coverage/png.ts';
import { PrometheusHttp } from '../agent/prometheus/client.ts';
import type { ClusterPort } from '../agent/ports.ts';
import { renderHeatmap } from '../domain/coverage/heatmap.ts';
import type { DiscoveredAsset } from '../domain/coverage/inventory.ts';
import { DIMENSIONS, type CellStatus } from '../domain/coverage/types.ts';
import { createTestDatabase } from '../test/support/db.ts';
import { fixtureRuleGroups, nodeTarget, podTarget, startPrometheusStub, type RuleGroupSpec, type StubTarget } from '../stubs/prometheus.ts';
import { percentile, type Bench } from './support.ts';

const ASSETS = Number(process.env.BENCH_COVERAGE_ASSETS ?? 10_000);
const NODES = Math.round(ASSETS * 0.04);
const NAMESPACES = Math.max(1, Math.round(ASSETS / 40));
const TARGETS = { evalMs: { op: '<=', value: 5000 }, pngMs: { op: '<=', value: 500 } } as const;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function namespaceName(i: number): string {
  return i % 10 === 0 ? `team${i}-prod` : i % 3 === 0 ? `team${i}-staging` : `team${i}-dev`;
}

function inventory(): DiscoveredAsset[] {
  const r = rng(42);
  const out: DiscoveredAsset[] = [];
  const workloads = ASSETS - NODES;
  for (let i = 0; i < workloads; i++) {
    const ns = namespaceName(i % NAMESPACES);
    const x = r();
    const kind = x < 0.65 ? 'Deployment' : x < 0.82 ? 'StatefulSet' : x < 0.87 ? 'DaemonSet' : 'CronJob';
    const name = `svc-${i}`;
    const pods = kind === 'CronJob' ? [`${name}-29000000`, `${name}-29000000-abcde`] : kind === 'StatefulSet' ? [`${name}-0`, `${name}-1`] : [`${name}-7d9f8c6b5-x2x4z`, `${name}-7d9f8c6b5-q8r7t`];
    out.push({
      kind,
      namespace: ns,
      name,
      uid: `uid-${i}`,
      labels: { app: name, 'app.kubernetes.io/name': name, team: `team${i % NAMESPACES}` },
      owner: `helm:${ns}`,
      members: pods,
      containers: [{ name: 'app', ...(r() < 0.7 ? { memoryLimit: '512Mi' } : {}) }],
    });
  }
  for (let n = 0; n < NODES; n++) {
    out.push({ kind: 'Node', namespace: '', name: `node-${n}`, uid: `uid-node-${n}`, labels: { 'kubernetes.io/hostname': `node-${n}` }, owner: 'nodepool:general', internalIp: `10.${Math.floor(n / 250)}.${n % 250}.10`, members: [], containers: [] });
  }
  return out;
}

function targetsFor(assets: DiscoveredAsset[]): StubTarget[] {
  const r = rng(7);
  const out: StubTarget[] = [];
  for (const a of assets) {
    if (a.kind === 'Node') {
      if (r() < 0.9) out.push(nodeTarget({ job: 'kubelet', node: a.name, ip: a.internalIp! }), nodeTarget({ job: 'node-exporter', node: a.name, ip: a.internalIp!, port: 9100 }));
      continue;
    }
    if (a.kind === 'CronJob' || r() > 0.7) continue;
    for (const pod of a.members) out.push(podTarget({ job: a.name, namespace: a.namespace, pod, service: a.name, health: r() < 0.03 ? 'down' : 'up' }));
  }
  return out;
}

function teamRules(): RuleGroupSpec[] {
  const groups: RuleGroupSpec[] = [];
  for (let i = 0; i < NAMESPACES; i++) {
    const ns = namespaceName(i);
    groups.push({
      name: `${ns}.slo`,
      file: `/etc/prometheus/rules/prometheus-k8s-rulefiles-0/${ns}-slo.yaml`,
      rules: [0, 1, 2].map((k) => ({
        alert: `Svc${k}Unavailable`,
        expr: `kube_deployment_status_replicas_available{namespace="${ns}", deployment="svc-${i + k * NAMESPACES}"} < 1`,
        for: '5m',
        labels: { severity: 'critical' },
      })),
    });
  }
  return groups;
}

/** A cluster port that is never asked (the figure leaves discovery out). */
const noCluster = new Proxy({} as ClusterPort, {
  get: () => () => {
    throw new Error('the benchmark does not list the cluster');
  },
});

async function seedHistory(db: Awaited<ReturnType<typeof createTestDatabase>>, now: Date): Promise<void> {
  const q = (sql: string, params: unknown[] = []) => db.query(sql, params);
  const w = ASSETS - NODES;
  // incidents: 20,000 over 60 days, mostly Deployment targets, some pods/jobs
  await q(
    `insert into incident (group_key, status, alertname, severity, summary, target, group_labels, diagnosis, opened_at, last_alert_at, resolved_at)
     select 'bench-' || g, 'resolved', (array['KubePodCrashLooping','KubeDeploymentReplicasMismatch','KubeJobFailed','KubeContainerWaiting'])[1 + g % 4], 'warning', 'bench',
            case when g % 5 = 0 then jsonb_build_object('kind','Pod','namespace', 'team' || (g % $2) || case when (g % $2) % 10 = 0 then '-prod' when (g % $2) % 3 = 0 then '-staging' else '-dev' end, 'name', 'svc-' || (g % $3) || '-7d9f8c6b5-x2x4z')
                 else jsonb_build_object('kind','Deployment','namespace', 'team' || (g % $2) || case when (g % $2) % 10 = 0 then '-prod' when (g % $2) % 3 = 0 then '-staging' else '-dev' end, 'name', 'svc-' || (g % $3)) end,
            '{}'::jsonb, null, $1::timestamptz - (g % 60) * interval '1 day', $1::timestamptz - (g % 60) * interval '1 day' + interval '5 minutes', $1::timestamptz - (g % 60) * interval '1 day' + interval '30 minutes'
       from generate_series(1, 20000) g`,
    [now, NAMESPACES, w],
  );
  await q(
    `insert into remediation (incident_id, token, action, target, params, plan, state, approvals_required, created_at, updated_at)
     select i.id, 'bt' || i.id, (array['restart','rollback','scale','delete_pod','raise_memory'])[1 + i.id % 5], i.target, '{}', '{}',
            (array['succeeded','failed','rejected','expired','succeeded'])[1 + i.id % 5], 1, i.opened_at, i.resolved_at
       from incident i where i.id % 5 < 2`,
  );
  await q(
    `insert into knowledge_entry (kind, status, symptoms_hash, action, target, title, body, created_at)
     select case when g % 4 = 0 then 'anti_pattern' else 'runbook' end, case when g % 3 = 0 then 'draft' else 'published' end, lpad(to_hex(g), 16, '0'), 'restart',
            'team' || (g % $2) || case when (g % $2) % 10 = 0 then '-prod' when (g % $2) % 3 = 0 then '-staging' else '-dev' end || '/Deployment/svc-' || ((g * 7) % $3), 'runbook ' || g, 'body', $1
       from generate_series(1, 2000) g`,
    [now, NAMESPACES, w],
  );
  await q(
    `insert into playbook (symptoms_hash, action, target, category, trust_score, successes, failures, last_outcome_at, published)
     select lpad(to_hex(g), 16, '0'), 'restart', 'team' || (g % $2) || case when (g % $2) % 10 = 0 then '-prod' when (g % $2) % 3 = 0 then '-staging' else '-dev' end || '/Deployment/svc-' || ((g * 13) % $3),
            'crash_loop', 0.5 + (g % 50) / 100.0, 2, 1, $1, g % 2 = 0
       from generate_series(1, 600) g`,
    [now, NAMESPACES, w],
  );
  // 300 rules proposed by Watchkeeper (two thirds applied)
  await q(
    `with picked as (select id, namespace, name, row_number() over (order by id) as n from coverage_asset where kind = 'Deployment' order by id limit 300),
          inc as (insert into incident (group_key, status, alertname, severity, summary, target, group_labels, opened_at, last_alert_at)
                  select 'coverage-rule:' || p.namespace || '/Deployment/' || p.name, 'open', 'Alerting rules', 'info', 's',
                         jsonb_build_object('kind','Manifest','namespace',p.namespace,'name','rule-' || p.name), '{}', $1, $1 from picked p returning id, target),
          rem as (insert into remediation (incident_id, token, action, target, params, plan, state, approvals_required, created_at, updated_at)
                  select inc.id, 'cr' || inc.id, 'apply_manifest', inc.target, '{}', '{}', case when inc.id % 3 = 0 then 'pending' else 'succeeded' end, 1, $1, $1 from inc returning id, incident_id, target)
     insert into coverage_rule (asset_id, rule_name, namespace, remediation_id, incident_id, templates, manifest, status, created_by, proposed_by, created_at, updated_at)
     select p.id, rem.target->>'name', p.namespace, rem.id, rem.incident_id, '["workload_down"]', '{}', 'proposed', 'watchkeeper', 'user:1 bench', $1, $1
       from rem join picked p on 'rule-' || p.name = rem.target->>'name' and p.namespace = rem.target->>'namespace'`,
    [new Date(now.getTime() - 3 * 86_400_000)],
  );
  // two days of hourly evaluations (per-asset codes) before now
  const ids = (await db.query<{ id: number }>(`select id from coverage_asset`)).map((r) => r.id);
  const r = rng(99);
  const letters = ['g', 'y', 'r'];
  const codes = Object.fromEntries(ids.map((id) => [id, Array.from({ length: 7 }, () => letters[Math.floor(r() * 3)]).join('')]));
  await q(
    `insert into coverage_evaluation (started_at, finished_at, status, discovery_run_id, asset_count, summary, overall_green_ratio, sources, codes, duration_ms)
     select $1::timestamptz - h * interval '1 hour', $1::timestamptz - h * interval '1 hour' + interval '2 seconds', 'succeeded', null, $3::int,
            jsonb_build_object('assets', $3::int, 'overall', 0.33, 'dimensions', $4::jsonb), 0.33, '{}', $2::jsonb, 2000
       from generate_series(1, 48) h`,
    [now, JSON.stringify(codes), ids.length, JSON.stringify(Object.fromEntries(DIMENSIONS.map((d) => [d, { green: ids.length / 3, yellow: ids.length / 3, red: ids.length / 3, unknown: 0 }])))],
  );
  await q('analyze');
}

const bench: Bench = async (report) => {
  const db = await createTestDatabase({ poolMax: 10 });
  const assets = inventory();
  const allTargets = targetsFor(assets);
  const prom = await startPrometheusStub({ targets: allTargets, groups: [...fixtureRuleGroups(), ...teamRules()] });
  try {
    const now = new Date('2026-11-21T09:07:00Z');
    let clockNow = now;
    const repo = new CoverageRepository(db.orm);
    const t0 = performance.now();
    const runId = await repo.startDiscoveryRun(now);
    await repo.storeInventory(runId, now, assets, ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Node']);
    await repo.finishDiscoveryRun(runId, { status: 'succeeded', finishedAt: now, counts: {}, errors: {}, total: assets.length, added: assets.length, gone: 0, durationMs: 0 });
    report.note(`stored an inventory of ${assets.length} assets (${NODES} nodes, ${NAMESPACES} namespaces) in ${(performance.now() - t0).toFixed(0)} ms`);
    await seedHistory(db, now);
    const service = new CoverageService(
      {
        orm: db.orm,
        cluster: noCluster,
        prometheus: new PrometheusHttp({ url: prom.url, timeoutMs: 30_000 }),
        proposer: { proposeAction: async () => ({ incidentId: 0, remediationId: 0 }), outcomes: createOutcomeHub(pino({ level: 'silent' }), createStore(db.orm).remediations) },
        clock: { now: () => clockNow },
        log: pino({ level: process.env.BENCH_LOG ?? 'silent' }),
      },
      { criticalNamespaces: ['*-prod'], chatId: -1 },
    );

    const tCold = performance.now();
    const cold = await service.evaluate();
    const coldMs = Math.round(performance.now() - tCold);
    report.note(`cold evaluation: ${cold.assets} assets, ${allTargets.length} targets, ${cold.changedCells} cells written, sources ${Object.entries(cold.sources).map(([k, v]) => `${k} ${v.ms} ms${v.ok ? '' : ' FAILED'}`).join(', ')}`);
    report.figure('coverage_eval_ms', coldMs, 'ms', TARGETS.evalMs);

    const warm: number[] = [];
    for (let i = 1; i <= 3; i++) {
      clockNow = new Date(now.getTime() + i * 3_600_000);
      // a little churn between hourly runs: 2% of the targets disappear, another 2% come back
      prom.setTargets(allTargets.filter((_, k) => k % 50 !== i));
      const t = performance.now();
      const e = await service.evaluate();
      warm.push(performance.now() - t);
      if (i === 3) report.note(`warm evaluation: ${e.changedCells} cells changed`);
    }
    report.figure('coverage_eval_warm_ms', Math.round(percentile(warm, 50)), 'ms');

    const built = await service.digest();
    const rows = Array.from({ length: 40 }, (_, i) => ({ label: `team${i}-prod/svc-${i * 37}`, statuses: DIMENSIONS.map((_, j) => (['green', 'yellow', 'red', 'unknown'] as CellStatus[])[(i + j) % 4]), critical: i < 10 }));
    const png: number[] = [];
    let size = 0;
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const raster = renderHeatmap({
        title: 'COVERAGE 2026-11-21 09:00 UTC',
        subtitle: `TOP 40 OF ${ASSETS} ASSETS - 41% GREEN`,
        columns: ['MON', 'ALR', 'KNW', 'PLB', 'REM', 'MAT', 'CRE'],
        rows,
        legend: ['MON MONITORING  ALR ALERTING  KNW KNOWLEDGE', 'PLB PLAYBOOK  REM REMEDIATION  MAT RULE MATCHING', 'CRE RULE CREATION   RED BAR: CRITICAL NAMESPACE'],
      });
      size = encodePng(raster).length;
      png.push(performance.now() - t);
    }
    report.figure('digest_png_ms', Math.round(percentile(png, 50) * 10) / 10, 'ms', TARGETS.pngMs);
    report.note(`heatmap PNG ${size} bytes; p95 ${percentile(png, 95).toFixed(1)} ms; digest picture from the service: ${built?.picture?.png.length ?? 0} bytes`);
    const builds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await service.digest();
      builds.push(performance.now() - t);
    }
    report.figure('digest_build_ms', Math.round(percentile(builds, 50)), 'ms');
  } finally {
    await prom.close();
    await db.drop();
  }
};

export default bench;
