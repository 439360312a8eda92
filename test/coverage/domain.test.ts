/**
 * Coverage, pure layer: PromQL selectors, the seven dimensions on fixtures (kube-prometheus rules of
 * ../shared/fixtures/alert-rules and recorded targets), a failing source leaving only its dimension
 * unknown, summaries and ranking, rule templates, and the heatmap raster.
 */
import { describe, expect, it } from 'vitest';
import { compileRules, alertingCells, kindsOfMetric, rulesSelecting, type AlertingRule } from '../../domain/coverage/alerting.ts';
import { evaluateCoverage, type CoverageSources } from '../../domain/coverage/evaluate.ts';
import { buildInventory } from '../../domain/coverage/inventory.ts';
import { monitoringCells } from '../../domain/coverage/monitoring.ts';
import { identifiers, selectors } from '../../domain/coverage/promql.ts';
import { AssetIndex, ownerCandidates } from '../../domain/coverage/resolve.ts';
import { buildRuleProposal, ruleNameFor } from '../../domain/coverage/rule-templates.ts';
import { cellChanges, rankAssets, summarize, summaryDelta } from '../../domain/coverage/summary.ts';
import { renderHeatmap, HEATMAP_COLORS } from '../../domain/coverage/heatmap.ts';
import { assetRef, cellsCode, DIMENSIONS, type Asset } from '../../domain/coverage/types.ts';
import { rulesData, type RuleGroupSpec } from '../../stubs/prometheus.ts';
import { clusterObjects, recordedRuleGroups, recordedTargets, REFS } from './support.ts';

/** The fixture inventory with ids, as evaluation sees it. */
function fixtureAssets(): Asset[] {
  const objs = clusterObjects();
  const by = (k: string) => objs.filter((o) => o.kind === k);
  return buildInventory({
    Deployment: by('Deployment'),
    StatefulSet: by('StatefulSet'),
    DaemonSet: by('DaemonSet'),
    CronJob: by('CronJob'),
    Node: by('Node'),
    Pod: by('Pod'),
    ReplicaSet: by('ReplicaSet'),
    Job: by('Job'),
  }).map((a, i) => ({ ...a, id: i + 1 }));
}

/** Alerting rules as the PrometheusHttp adapter returns them, from rule groups. */
function alertingRulesOf(groups: RuleGroupSpec[]): AlertingRule[] {
  const data = rulesData(groups, 'alert') as { groups: Array<{ name: string; file: string; rules: Array<{ name: string; query: string; labels: Record<string, string>; type: string }> }> };
  return data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting').map((r) => ({ group: g.name, file: g.file, name: r.name, query: r.query, labels: r.labels })));
}

const byRef = (assets: Asset[]) => new Map(assets.map((a) => [assetRef(a), a]));

describe('PromQL selectors', () => {
  it.each([
    ['metric with matchers', 'up{job="x", namespace="a"} == 0', [{ metric: 'up', matchers: [['job', '=', 'x'], ['namespace', '=', 'a']] }]],
    ['regex and negation', 'rate(http_requests_total{code=~"5..",pod!~"canary-.*"}[5m])', [{ metric: 'http_requests_total', matchers: [['code', '=~', '5..'], ['pod', '!~', 'canary-.*']] }]],
    ['back-quoted and single-quoted values', "a{integration!~`.*`} or b{x='y\\'z'}", [{ metric: 'a', matchers: [['integration', '!~', '.*']] }, { metric: 'b', matchers: [['x', '=', "y'z"]] }]],
    ['braces inside strings are not selectors', 'label_replace(up{job="a"}, "x", "{not}", "", "")', [{ metric: 'up', matchers: [['job', '=', 'a']] }]],
    ['__name__ matcher names the metric', '{__name__="kube_pod_info", namespace="n"}', [{ metric: 'kube_pod_info', matchers: [['namespace', '=', 'n']] }]],
    ['recording-rule names keep colons', 'node_namespace_pod_container:container_memory_working_set_bytes{namespace="n"}', [{ metric: 'node_namespace_pod_container:container_memory_working_set_bytes', matchers: [['namespace', '=', 'n']] }]],
  ])('%s', (_name, expr, expected) => {
    expect(selectors(expr).map((s) => ({ metric: s.metric, matchers: s.matchers.map((m) => [m.name, m.op, m.value]) }))).toEqual(expected);
  });

  it('lists identifiers outside strings and selectors', () => {
    expect(identifiers('sum by (namespace) (kube_pod_info{job="x"}) > on(node) node_load1')).toEqual(expect.arrayContaining(['sum', 'by', 'namespace', 'kube_pod_info', 'node_load1']));
    expect(identifiers('up{job="kube_deployment_x"}')).not.toContain('kube_deployment_x');
  });

  it.each([
    ['kube_pod_container_status_restarts_total', ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob']],
    ['kube_deployment_spec_replicas', ['Deployment']],
    ['kube_statefulset_replicas', ['StatefulSet']],
    ['kube_daemonset_status_number_available', ['DaemonSet']],
    ['kube_job_status_failed', ['CronJob']],
    ['node_filesystem_avail_bytes', ['Node']],
    ['instance:node_cpu_utilisation:rate5m', ['Node']],
    ['kubelet_volume_stats_available_bytes', ['StatefulSet']],
    ['apiserver_request_total', []],
  ])('generic rules on %s are about %j', (metric, kinds) => {
    expect(kindsOfMetric(metric)).toEqual(kinds);
  });
});

describe('inventory', () => {
  it('maps listed objects to assets with owner, members, containers and node IP', () => {
    const assets = byRef(fixtureAssets());
    expect([...assets.keys()].sort()).toEqual(Object.values(REFS).sort());
    const checkout = assets.get(REFS.checkout)!;
    expect(checkout).toMatchObject({ owner: 'helm:shop', members: ['checkout-7d9f8c6b5-q8r7t', 'checkout-7d9f8c6b5-x2x4z'], containers: [{ name: 'app', memoryLimit: '512Mi' }] });
    expect(assets.get(REFS.nightly)!.members).toEqual(['nightly-report-28973160', 'nightly-report-28973160-k8s2p']);
    expect(assets.get(REFS.nodeExporter)!.members).toHaveLength(2);
    expect(assets.get(REFS.worker1)).toMatchObject({ namespace: '', internalIp: '10.0.0.11', owner: 'nodepool:general' });
  });

  it('leaves out excluded namespaces', () => {
    const objs = clusterObjects();
    const assets = buildInventory({ Deployment: objs.filter((o) => o.kind === 'Deployment') }, { excludeNamespaces: ['monitoring', '*-dev'] });
    expect(assets.map((a) => `${a.namespace}/${a.name}`).sort()).toEqual(['shop-prod/cart', 'shop-prod/checkout']);
  });

  it.each([
    ['web-7c9d8f-x2x4z', ['web-7c9d8f', 'web']],
    ['db-0', ['db']],
    ['nightly-28973160-abcde', ['nightly-28973160', 'nightly']],
  ])('owner candidates of %s', (instance, expected) => {
    expect(ownerCandidates(instance).slice(0, expected.length)).toEqual(expected);
  });
});

describe('monitoring dimension (recorded /api/v1/targets)', () => {
  const assets = fixtureAssets();
  const cells = monitoringCells(assets, recordedTargets(), new AssetIndex(assets));
  const refs = byRef(assets);
  it.each([
    [REFS.checkout, 'green', /2 active targets \(job checkout\), 1 up; 1 down: Get .*context deadline exceeded/],
    [REFS.ksm, 'green', /1 active target \(job kube-state-metrics\), 1 up/],
    [REFS.alertmanager, 'green', /job alertmanager-main/],
    [REFS.nodeExporter, 'green', /job node-exporter/],
    [REFS.worker1, 'green', /3 active targets \(job node-exporter, kubelet\)/],
    [REFS.cart, 'red', /no active Prometheus target for its pods, service or job/],
    [REFS.devCheckout, 'red', /no active Prometheus target/],
    [REFS.ordersDb, 'red', /no active Prometheus target/],
    [REFS.nightly, 'red', /no active Prometheus target/],
    [REFS.worker2, 'red', /no active Prometheus target for node worker-2 \(10\.0\.0\.12\)/],
  ])('%s is %s', (ref, status, why) => {
    const cell = cells.get(refs.get(ref)!.id)!;
    expect(cell.status).toBe(status);
    expect(cell.evidence.source).toBe('prometheus /api/v1/targets');
    expect(cell.evidence.why).toMatch(why);
  });

  it.each([
    ['a PodMonitor job namespace/name', { job: 'shop-prod/cart', namespace: 'shop-prod', instance: '10.1.1.1:8080' }, REFS.cart],
    ['a service named like the workload', { job: 'x', namespace: 'shop-prod', service: 'cart', instance: '10.1.1.1:8080' }, REFS.cart],
    ['a pod not in the inventory (by its name)', { job: 'x', namespace: 'shop-dev', pod: 'checkout-6b7c8d9e-zz9zz' }, REFS.devCheckout],
    ['a node by InternalIP:port', { job: 'node', instance: '10.0.0.12:9100' }, REFS.worker2],
  ])('maps %s', (_name, labels, ref) => {
    const one = monitoringCells(assets, [{ labels, health: 'up' }], new AssetIndex(assets));
    expect(one.get(refs.get(ref)!.id)!.status).toBe('green');
    expect([...one.values()].filter((c) => c.status === 'green')).toHaveLength(1);
  });
});

describe('alerting dimension (kube-prometheus rules from ../shared/fixtures + a team rule file)', () => {
  const assets = fixtureAssets();
  const refs = byRef(assets);
  const index = compileRules(alertingRulesOf(recordedRuleGroups()));
  const cells = alertingCells(assets, index);
  it.each([
    [REFS.cart, 'green', /CartUnavailable/],
    [REFS.ordersDb, 'green', /ShopDbRestarting/],
    [REFS.alertmanager, 'green', /Alertmanager/],
    [REFS.checkout, 'yellow', /only cluster-wide generic rules apply \(KubePodCrashLooping/],
    [REFS.ksm, 'yellow', /generic/],
    [REFS.nightly, 'yellow', /generic/],
    [REFS.nodeExporter, 'yellow', /generic/],
    [REFS.worker1, 'yellow', /generic rules apply \(Node/],
  ])('%s is %s', (ref, status, why) => {
    const cell = cells.get(refs.get(ref)!.id)!;
    expect(cell.status).toBe(status);
    expect(cell.evidence.source).toBe('prometheus /api/v1/rules');
    expect(cell.evidence.why).toMatch(why);
  });

  it('is red when no rule selects the asset and no generic rule is about its kind', () => {
    const only = compileRules([{ group: 'g', name: 'ApiDown', query: 'up{job="apiserver"} == 0', labels: {} }]);
    const c = alertingCells(assets, only);
    expect(c.get(refs.get(REFS.checkout)!.id)).toMatchObject({ status: 'red', evidence: { why: /no alerting rule selects it, and no generic rule watches Deployments/ } });
  });

  it.each([
    ['namespace regex', 'kube_pod_info{namespace=~"shop-.*"} == 0', [REFS.cart, REFS.checkout, REFS.ordersDb, REFS.devCheckout]],
    ['a statefulset matcher does not select Deployments', 'kube_statefulset_replicas{namespace="shop-prod", statefulset="orders-db"} < 1', [REFS.ordersDb]],
    ['job counts with a pinned namespace', 'up{namespace="monitoring", job="kube-state-metrics"} == 0', [REFS.ksm]],
    ['a bare job matcher of a kube-state-metrics series is not the workload', 'kube_pod_info{job="kube-state-metrics"}', []],
    ['a node by instance with port', 'node_load1{instance="10.0.0.11:9100"} > 4', [REFS.worker1]],
    ['a CronJob by job_name', 'kube_job_status_failed{job_name=~"nightly-report-.*"} > 0', [REFS.nightly]],
    ['rule labels name the asset', { query: 'vector(1)', labels: { namespace: 'shop-dev', deployment: 'checkout' } }, [REFS.devCheckout]],
  ])('selection: %s', (_name, rule, expected) => {
    const r = typeof rule === 'string' ? { query: rule, labels: {} } : rule;
    const idx = compileRules([{ group: 'g', name: 'R', ...r }]);
    const selected = assets.filter((a) => rulesSelecting(idx, a).length > 0).map(assetRef);
    expect(selected.sort()).toEqual([...expected].sort());
  });
});

function ok<T>(value: T) {
  return { ok: true as const, value };
}

function sources(over: Partial<CoverageSources> = {}): CoverageSources {
  return {
    targets: ok(recordedTargets()),
    rules: ok(alertingRulesOf(recordedRuleGroups())),
    knowledge: ok([{ target: REFS.checkout, kind: 'runbook' as const, status: 'published' as const, count: 1, title: 'crash_loop on checkout: restart' }]),
    playbooks: ok([{ target: REFS.checkout, count: 1, trust: 0.65, actions: ['restart'] }]),
    actions: ok([{ kind: 'Pod', namespace: 'shop-prod', name: 'checkout-7d9f8c6b5-x2x4z', count: 1, lastAt: new Date('2026-11-20T10:00:00Z'), lastAction: 'delete_pod', lastState: 'succeeded' }]),
    // an incident on a Job of the CronJob counts for the CronJob
    incidents: ok([{ kind: 'Job', namespace: 'batch', name: 'nightly-report-28973160', count: 2, lastAt: new Date('2026-11-19T02:05:00Z'), lastAlertname: 'KubeJobFailed', lastIncidentId: 7 }]),
    createdRules: ok([{ assetId: 2, ruleName: 'rule-cart', namespace: 'shop-prod', remediationId: 9, state: 'pending' }]),
    ...over,
  };
}

describe('history dimensions and the whole evaluation', () => {
  const assets = fixtureAssets();
  const refs = byRef(assets);
  const now = new Date('2026-11-21T09:00:00Z');
  const cells = evaluateCoverage(assets, sources(), { now });
  const of = (ref: string) => cells.get(refs.get(ref)!.id)!;

  it.each([
    ['knowledge', REFS.checkout, 'green', /1 runbook names it: “crash_loop on checkout: restart”/],
    ['knowledge', REFS.cart, 'yellow', /no runbook or anti-pattern names it/],
    ['playbook', REFS.checkout, 'green', /1 published playbook \(restart\), best trust 65%/],
    ['playbook', REFS.cart, 'yellow', /no published playbook/],
    ['remediation', REFS.checkout, 'green', /1 action ran in the last 30 days; last: delete_pod \(succeeded\)/],
    ['remediation', REFS.cart, 'red', /no action ran on it in the last 30 days/],
    ['remediation', REFS.worker1, 'yellow', /no catalog action targets nodes/],
    ['rule_matching', REFS.nightly, 'green', /2 incidents matched it.*KubeJobFailed \(#7\)/],
    ['rule_matching', REFS.checkout, 'yellow', /no incident matched it in the last 30 days/],
    ['rule_creation', REFS.cart, 'red', /proposed rule shop-prod\/rule-cart is pending \(remediation #9\)/],
    ['rule_creation', REFS.checkout, 'red', /no alerting rule created by Watchkeeper covers it/],
  ] as const)('%s of %s is %s', (dimension, ref, status, why) => {
    expect(of(ref)[dimension].status).toBe(status);
    expect(of(ref)[dimension].evidence.why).toMatch(why);
  });

  it('rule creation: applied and served → green; applied, not served past the grace → red; within the grace → green', () => {
    const id = refs.get(REFS.cart)!.id;
    const applied = { assetId: id, ruleName: 'rule-cart', namespace: 'shop-prod', remediationId: 9, state: 'succeeded', appliedAt: new Date('2026-11-21T08:50:00Z') };
    const served = alertingRulesOf([{ name: 'w', rules: [{ alert: 'WorkloadDown', expr: 'vector(1)', labels: { watchkeeper_asset: REFS.cart } }] }]);
    const run = (rules: AlertingRule[] | null, at: Date) =>
      evaluateCoverage(assets, sources({ createdRules: ok([applied]), rules: rules ? ok(rules) : { ok: false, error: 'down' } }), { now: at }).get(id)!.rule_creation;
    expect(run(served, now)).toMatchObject({ status: 'green', evidence: { why: /Watchkeeper created PrometheusRule shop-prod\/rule-cart .*; Prometheus serves 1 of its alerts/ } });
    expect(run([], now)).toMatchObject({ status: 'green', evidence: { why: /not loaded by Prometheus yet/ } });
    expect(run([], new Date('2026-11-21T10:00:00Z'))).toMatchObject({ status: 'red', evidence: { why: /Prometheus does not serve it/ } });
    expect(run(null, new Date('2026-11-21T10:00:00Z'))).toMatchObject({ status: 'green' });
  });

  it.each([
    ['targets', 'monitoring'],
    ['rules', 'alerting'],
    ['knowledge', 'knowledge'],
    ['playbooks', 'playbook'],
    ['actions', 'remediation'],
    ['incidents', 'rule_matching'],
    ['createdRules', 'rule_creation'],
  ] as const)('a failing %s source leaves only %s unknown, with the error as evidence', (source, dimension) => {
    const failed = evaluateCoverage(assets, sources({ [source]: { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9090' } }), { now });
    for (const a of assets) {
      const c = failed.get(a.id)!;
      const baseline = cells.get(a.id)!;
      expect(c[dimension]).toMatchObject({ status: 'unknown', evidence: { why: 'data source failed: connect ECONNREFUSED 127.0.0.1:9090' } });
      for (const d of DIMENSIONS.filter((x) => x !== dimension)) {
        // rule creation reads the rules source only as a supplement
        if (!(source === 'rules' && d === 'rule_creation')) expect(c[d]).toEqual(baseline[d]);
      }
    }
  });
});

describe('summaries, changes and ranking', () => {
  it('counts ratios over known cells and compares with an earlier evaluation', () => {
    const now = summarize(['ggggggg', 'grrrrrr', 'uyyyyyy']);
    expect(now.dimensions.monitoring).toEqual({ green: 2, yellow: 0, red: 0, unknown: 1 });
    expect(now.overall).toBeCloseTo(8 / 20);
    const before = summarize(['ggggggg', 'rrrrrrr', 'uyyyyyy']);
    const d = summaryDelta(now, before);
    expect(d.dimensions.monitoring).toBe(50);
    expect(d.dimensions.alerting).toBe(0);
    expect(d.overall).toBe(5);
  });

  it('lists cells that turned red or green, new and removed assets', () => {
    const ch = cellChanges(new Map([[1, 'grggggg'], [2, 'ggggggg'], [4, 'ggggggg']]), new Map([[1, 'ggggggg'], [2, 'rgggggg'], [3, 'ggggggg']]));
    expect(ch).toEqual({ turnedRed: [{ assetId: 1, dimensions: ['alerting'] }], turnedGreen: [{ assetId: 2, dimensions: ['monitoring'] }], added: [4], removed: [3] });
  });

  it('ranks critical namespaces first, then most red', () => {
    const items = [
      { asset: { id: 1, kind: 'Deployment' as const, namespace: 'dev', name: 'a' }, code: 'rrrrrrr' },
      { asset: { id: 2, kind: 'Deployment' as const, namespace: 'shop-prod', name: 'b' }, code: 'grggggg' },
      { asset: { id: 3, kind: 'Deployment' as const, namespace: 'shop-prod', name: 'c' }, code: 'rrggggg' },
      { asset: { id: 4, kind: 'Node' as const, namespace: '', name: 'n' }, code: 'rrrrrrr' },
    ];
    expect(rankAssets(items, ['*-prod']).map((r) => r.asset.id)).toEqual([3, 2, 1, 4]);
  });
});

describe('rule templates', () => {
  const assets = byRef(fixtureAssets());
  it('builds all five templates for a Deployment with a memory limit exporting http_requests_total', () => {
    const p = buildRuleProposal(assets.get(REFS.checkout)!, { name: 'rule-checkout', metrics: ['http_requests_total', 'process_cpu_seconds_total'], ruleLabels: { release: 'kps' } });
    expect(p.included.map((i) => i.template)).toEqual(['workload_down', 'crash_looping', 'oom_killed', 'memory_near_limit', 'http_5xx']);
    expect(p.skipped).toEqual([]);
    expect(p.object).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'rule-checkout', namespace: 'shop-prod', labels: { 'app.kubernetes.io/managed-by': 'watchkeeper', release: 'kps' } },
    });
    const rules = (p.object.spec as { groups: Array<{ rules: Array<{ alert: string; expr: string; labels: Record<string, string> }> }> }).groups[0].rules;
    expect(rules[0].expr).toContain('kube_deployment_status_replicas_available{namespace="shop-prod", deployment="checkout"} == 0');
    expect(rules[1].expr).toContain('pod=~"checkout-[a-z0-9]+-[a-z0-9]+"');
    expect(rules[4].expr).toContain('code=~"5.."');
    expect(rules.every((r) => r.labels.watchkeeper_asset === REFS.checkout && r.labels.deployment === 'checkout')).toBe(true);
  });

  it('leaves out memory without limits and 5xx without HTTP metrics, saying why; CronJobs alert on failed jobs', () => {
    const p = buildRuleProposal(assets.get(REFS.nightly)!, { name: 'rule-nightly-report', metrics: [] });
    expect(p.included.map((i) => i.alert)).toEqual(['CronJobFailed', 'WorkloadCrashLooping', 'WorkloadOOMKilled']);
    expect(p.skipped.map((s) => s.why)).toEqual(['no container sets a memory limit', expect.stringMatching(/export no HTTP request metric/)]);
    const unknownMetrics = buildRuleProposal(assets.get(REFS.cart)!, { name: 'rule-cart' });
    expect(unknownMetrics.skipped.find((s) => s.template === 'http_5xx')?.why).toMatch(/Prometheus unavailable/);
  });

  it('the generated rule selects its asset and nothing else', () => {
    const all = fixtureAssets();
    for (const ref of [REFS.checkout, REFS.ordersDb, REFS.nodeExporter, REFS.nightly]) {
      const a = byRef(all).get(ref)!;
      const p = buildRuleProposal(a, { name: ruleNameFor(a, false), metrics: ['http_requests_total'] });
      const group = (p.object.spec as { groups: RuleGroupSpec[] }).groups;
      const idx = compileRules(alertingRulesOf(group));
      expect(all.filter((x) => rulesSelecting(idx, x).length).map(assetRef)).toEqual([ref]);
      expect(idx.watchkeeperRules.get(ref)).toHaveLength(p.included.length);
    }
  });

  it('names rules rule-<name>, disambiguated by kind, bounded in length', () => {
    expect(ruleNameFor({ kind: 'Deployment', name: 'web' }, false)).toBe('rule-web');
    expect(ruleNameFor({ kind: 'CronJob', name: 'web' }, true)).toBe('rule-cronjob-web');
    expect(ruleNameFor({ kind: 'Deployment', name: 'x'.repeat(300) }, false)).toHaveLength(253);
  });
});

describe('heatmap raster', () => {
  it('draws a cell of each status colour and a red bar for critical rows', () => {
    const r = renderHeatmap({
      title: 'COVERAGE',
      columns: ['MON', 'ALR', 'KNW', 'PLB', 'REM', 'MAT', 'CRE'],
      rows: [
        { label: 'shop-prod/checkout', statuses: ['green', 'yellow', 'red', 'unknown', 'green', 'green', 'red'], critical: true },
        { label: 'dev/a', statuses: ['red', 'red', 'red', 'red', 'red', 'red', 'red'] },
      ],
    });
    expect(r.data).toHaveLength(r.width * r.height * 3);
    const colours = new Set<string>();
    for (let i = 0; i < r.data.length; i += 3) colours.add(`${r.data[i]},${r.data[i + 1]},${r.data[i + 2]}`);
    for (const c of [HEATMAP_COLORS.green, HEATMAP_COLORS.yellow, HEATMAP_COLORS.red, HEATMAP_COLORS.unknown, HEATMAP_COLORS.text, HEATMAP_COLORS.background]) {
      expect(colours.has(c.join(','))).toBe(true);
    }
  });

  it('cellsCode keeps dimension order', () => {
    const assets = fixtureAssets();
    const cells = evaluateCoverage(assets, sources(), { now: new Date('2026-11-21T09:00:00Z') });
    const checkout = cells.get(byRef(assets).get(REFS.checkout)!.id)!;
    // monitoring g, alerting y, knowledge g, playbook g, remediation g, rule matching y, rule creation r
    expect(cellsCode(checkout)).toBe('gygggyr');
  });
});
