/**
 * `watchkeeper diagnose --from-files`: the command on real fixture files (the kuberay OOMKilled pod,
 * the HolmesGPT CrashLoopBackOff pod, the synthetic bad rollout), its JSON and text output, logs as
 * `PodLog` items and side files, bad input files, and the in-memory cluster it runs the gatherer on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiagnoseJson, diagnoseCommand } from '../../cli/diagnose-offline.ts';
import type { ModelDiagnoser, ModelOutcome } from '../../agent/diagnose.ts';
import { MemoryCluster } from '../../agent/memory-cluster.ts';
import { DumpFileError, parseDumpFile, parseLogFileName } from '../../agent/object-dump.ts';
import { planPolicy } from '../../agent/plan.ts';
import { K8sCallFailed } from '../../agent/ports.ts';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/analyzers');
/** Verbatim copy of shared/fixtures/k8s-failure-states/pod-OOMKilled-exit137.kuberay-issue-4356.kubectl-get-yaml.yaml. */
const KUBERAY = join(FIXTURES, 'pod-OOMKilled-exit137.kuberay-issue-4356.kubectl-get-yaml.yaml');
/** Verbatim copy of shared/fixtures/k8s-failure-states/pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml. */
const CRASHLOOP = join(FIXTURES, 'pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml');
const BAD_ROLLOUT = join(FIXTURES, 'bad-rollout.synthetic.yaml');
const BAD_ROLLOUT_LOGS = join(FIXTURES, 'bad-rollout.synthetic.logs.yaml');

async function run(argv: string[], deps = {}) {
  let stdout = '';
  let stderr = '';
  const code = await diagnoseCommand(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, deps);
  return { code, stdout, stderr };
}

/** A single alert object, as in shared/fixtures/alertmanager/07-…single-alert.json. */
function singleAlert(labels: Record<string, string>, startsAt = '2026-01-08T08:07:40Z') {
  return { labels: { severity: 'warning', job: 'kube-state-metrics', ...labels }, annotations: {}, startsAt, endsAt: '0001-01-01T00:00:00Z', status: 'firing' };
}

/** An Alertmanager v4 webhook body around alerts. */
function webhook(...alerts: Array<ReturnType<typeof singleAlert>>) {
  return { version: '4', groupKey: '{}:{alertname="x"}', status: 'firing', receiver: 'watchkeeper', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts };
}

let temp: string;
const file = async (name: string, content: unknown) => {
  const path = join(temp, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return path;
};

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'wk-diagnose-cli-'));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('diagnose --from-files on real fixtures', () => {
  it('diagnoses the kuberay OOMKilled pod from a single alert, as one JSON object', async () => {
    const alert = await file('kuberay-alert.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'test-ns-5msxm', pod: 'raycluster-auth-token-head-vbjrq' }));
    const { code, stdout, stderr } = await run(['diagnose', '--from-files', alert, KUBERAY, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const d = JSON.parse(stdout) as DiagnoseJson;
    expect(d).toMatchObject({
      category: 'oom_killed',
      action: 'raise_memory',
      target: 'test-ns-5msxm/Pod/raycluster-auth-token-head-vbjrq',
      confidence: 0.95,
      source: 'rules',
      producedBy: 'rules only',
      params: { container: 'ray-head', currentLimit: '2G' },
      alert: { alertname: 'KubePodNotReady', status: 'firing', target: 'test-ns-5msxm/Pod/raycluster-auth-token-head-vbjrq' },
    });
    expect(d.cause).toMatch(/OOMKilled/);
    expect(d.evidence.join('\n')).toMatch(/exit code 137, reason OOMKilled/);
    expect(d.findings[0]).toMatchObject({ analyzer: 'pod.oom_killed', category: 'oom_killed' });
    // The dump was taken after its newest timestamp and the alert's startsAt.
    expect(d.collectedAt).toBe('2026-01-08T08:07:40.000Z');
    // Planning ran on the memory cluster through the action catalog: the pod's owner is a RayCluster
    // (not widened to a workload), and neither raise_memory nor restart acts on a Pod, so the plan
    // escalates and says why, with nothing to approve and no dry-run.
    expect(d.plan).toEqual({
      action: 'escalate',
      description: 'escalate to a human (no automatic action)',
      tier: 'human',
      score: 0,
      reasons: ['escalate: base risk 0'],
      approvalsRequired: 0,
      rollbackPlan: 'nothing to undo',
      dryRun: null,
      notes: ['raise_memory does not apply to a Pod', 'restart does not apply to a Pod', 'no catalog action fits; escalating to a human'],
    });
  });

  it('prints a readable diagnosis without --json', async () => {
    const alert = await file('kuberay-alert.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'test-ns-5msxm', pod: 'raycluster-auth-token-head-vbjrq' }));
    const { code, stdout } = await run(['--from-files', alert, KUBERAY, '--now', '2026-01-08T08:10:00Z']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Watchkeeper diagnosis \(rules only\)/);
    expect(stdout).toMatch(/category\s+oom_killed\s+confidence 0\.95/);
    expect(stdout).toMatch(/action\s+raise_memory\s+.*currentLimit=2G/);
    expect(stdout).toMatch(/target\s+test-ns-5msxm\/Pod\/raycluster-auth-token-head-vbjrq/);
    expect(stdout).toMatch(/collected at 2026-01-08T08:10:00.000Z \(--now\)/);
  });

  it('reads logs from a side file <pod>.<container>.previous.log and uses their error lines', async () => {
    const alert = await file('crash-alert.json', webhook(singleAlert({ alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'frontend-service', container: 'stress' }, '2025-08-23T12:15:00Z')));
    const log = await file('frontend-service.stress.previous.log', 'stress: info: [1] dispatching hogs: 100 cpu\nstress: FAIL: [1] (416) <-- worker 7 got signal 9\nstress: WARN: [1] (418) now reaping child worker processes\nstress: FAIL: [1] (452) failed run completed in 1s\n');
    const { code, stdout } = await run(['--from-files', alert, CRASHLOOP, log, '--json', '--now', '2025-08-23T12:20:00Z']);
    expect(code).toBe(0);
    const d = JSON.parse(stdout) as DiagnoseJson;
    expect(d).toMatchObject({ category: 'crash_loop', action: 'restart', target: 'default/Pod/frontend-service', params: { exitCode: 255 } });
    expect(d.evidence).toContain('Log stress (previous instance): stress: FAIL: [1] (452) failed run completed in 1s');
    expect(d.gaps).toEqual([]);
  });

  it('widens a pod alert to its Deployment and finds the bad rollout, with logs from a ContainerLog list', async () => {
    const alert = await file('checkout-alert.json', webhook(singleAlert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'checkout-7f9b8c5d4-p7m2x', container: 'checkout' }, '2026-03-02T10:20:00Z')));
    const { code, stdout } = await run(['--from-files', alert, BAD_ROLLOUT, BAD_ROLLOUT_LOGS, '--json', '--rules-only']);
    expect(code).toBe(0);
    const d = JSON.parse(stdout) as DiagnoseJson;
    expect(d).toMatchObject({ category: 'bad_rollout', action: 'rollback', target: 'shop/Deployment/checkout', params: { toRevision: 1 } });
    expect(d.alert.target).toBe('shop/Pod/checkout-7f9b8c5d4-p7m2x');
    expect(d.collectedAtSource).toBe('"# collectedAt:" comment');
    expect(d.gaps).toEqual([]);
    // The plan keeps the rollback to the diagnosed revision; its dry-run cannot run offline, and says so.
    // rollback 20 + 4 pods affected (3 desired, 3 old + 1 new pod running during the stuck rollout) 5
    expect(d.plan).toMatchObject({ action: 'rollback', tier: 'human', approvalsRequired: 1, score: 25, reasons: ['rollback: base risk 20', '4 pods affected (+5)'], notes: [] });
    expect(d.plan!.description).toMatch(/^rollout undo deployment\/checkout from revision 2 to revision 1/);
    expect(d.plan!.dryRun).toMatchObject({ ok: false });
    expect(d.plan!.dryRun!.message).toMatch(/offline/);
  });

  it('reports a plan in a protected namespace as blocked: no approvers (null), no dry-run', async () => {
    const alert = await file('checkout-alert-blocked.json', webhook(singleAlert({ alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'checkout-7f9b8c5d4-p7m2x', container: 'checkout' }, '2026-03-02T10:20:00Z')));
    const policy = planPolicy({ blastRadius: { protectedNamespaces: ['shop'] } });
    const protectedReason = 'namespace shop is protected (shop): no action may run there';
    const guardrail = 'guardrail: blocked: the blast radius hit a hard rule; this action never executes';
    const json = await run(['--from-files', alert, BAD_ROLLOUT, BAD_ROLLOUT_LOGS, '--json', '--rules-only'], { policy });
    expect(json.code).toBe(0);
    const d = JSON.parse(json.stdout) as DiagnoseJson;
    expect(d).toMatchObject({ category: 'bad_rollout', action: 'rollback', target: 'shop/Deployment/checkout' });
    expect(d.plan).toMatchObject({ action: 'rollback', tier: 'blocked', score: 100, reasons: [protectedReason], approvalsRequired: null, dryRun: null, notes: [guardrail] });
    const text = await run(['--from-files', alert, BAD_ROLLOUT, BAD_ROLLOUT_LOGS, '--rules-only'], { policy });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/plan\s+rollout undo deployment\/checkout .* — tier blocked, blast radius 100, blocked\n/);
    expect(text.stdout).toContain(`    - ${guardrail}\n`);
    expect(text.stdout).not.toMatch(/dry-run:/);
  });

  it('reads PodLog items and records a missing log as a gap', async () => {
    const alert = await file('checkout-alert2.json', singleAlert({ alertname: 'KubeDeploymentRolloutStuck', namespace: 'shop', deployment: 'checkout' }, '2026-03-02T10:25:00Z'));
    const withLog = await file(
      'podlog.yaml',
      'apiVersion: v1\nkind: List\nitems:\n- kind: PodLog\n  metadata: { name: checkout-7f9b8c5d4-p7m2x, namespace: shop }\n  container: checkout\n  previous: true\n  text: "ERROR boom\\nFATAL bye\\n"\n',
    );
    const ok = JSON.parse((await run(['--from-files', alert, BAD_ROLLOUT, withLog, '--json'])).stdout) as DiagnoseJson;
    expect(ok.gaps).toEqual([]);
    const missing = JSON.parse((await run(['--from-files', alert, BAD_ROLLOUT, '--json'])).stdout) as DiagnoseJson;
    expect(missing.gaps).toHaveLength(1);
    expect(missing.gaps[0]).toMatch(/^logs checkout-7f9b8c5d4-p7m2x\/checkout: .*no such log in the dump/);
  });

  it('resolves an HPA alert to the HPA scale target found in the dump', async () => {
    const alert = await file('hpa-alert.json', webhook(singleAlert({ alertname: 'KubeHpaMaxedOut', namespace: 'shop', horizontalpodautoscaler: 'web' })));
    const dump = await file(
      'hpa.yaml',
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- { apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: { name: web, namespace: shop }, spec: { scaleTargetRef: { kind: Deployment, name: web }, minReplicas: 2, maxReplicas: 4 }, status: { currentReplicas: 4, desiredReplicas: 4, conditions: [{ type: ScalingLimited, status: "True", reason: TooManyReplicas }] } }',
        '- { apiVersion: apps/v1, kind: Deployment, metadata: { name: web, namespace: shop }, spec: { replicas: 4, selector: { matchLabels: { app: web } } }, status: { replicas: 4, availableReplicas: 4 } }',
      ].join('\n'),
    );
    const { code, stdout } = await run(['--from-files', alert, dump, '--json', '--now', '2026-03-02T10:30:00Z']);
    expect(code).toBe(0);
    const d = JSON.parse(stdout) as DiagnoseJson;
    expect(d).toMatchObject({ category: 'hpa_maxed', action: 'escalate', target: 'shop/Deployment/web' });
    expect(d.notes.join(' ')).toMatch(/HorizontalPodAutoscaler shop\/web; diagnosing its scale target shop\/Deployment\/web/);
  });

  it('lets --target override the alert and drops Secret objects from the dump', async () => {
    const alert = await file('other-alert.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'elsewhere', pod: 'not-in-the-dump' }));
    const secret = await file('secret.yaml', 'apiVersion: v1\nkind: Secret\nmetadata: { name: ray-token, namespace: test-ns-5msxm }\ndata: { token: c2VjcmV0 }\n');
    const { code, stdout } = await run(['--from-files', alert, KUBERAY, secret, '--json', '--target', 'test-ns-5msxm/po/raycluster-auth-token-head-vbjrq']);
    expect(code).toBe(0);
    const d = JSON.parse(stdout) as DiagnoseJson;
    expect(d).toMatchObject({ category: 'oom_killed', target: 'test-ns-5msxm/Pod/raycluster-auth-token-head-vbjrq' });
    expect(d.notes).toContain('secret.yaml: 1 Secret object(s) ignored (Watchkeeper never reads Secrets)');
    expect(stdout).not.toContain('c2VjcmV0');
  });

  it('uses the model when one is passed, and never with --rules-only', async () => {
    const alert = await file('kuberay-alert.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'test-ns-5msxm', pod: 'raycluster-auth-token-head-vbjrq' }));
    let calls = 0;
    const model: ModelDiagnoser = {
      async diagnose(): Promise<ModelOutcome> {
        calls++;
        return {
          kind: 'model',
          provider: 'ollama',
          model: 'qwen2.5:7b',
          summary: 'ray-head is OOM-killed',
          probableCause: 'ray-head needs more than 2G',
          category: 'oom_killed',
          confidence: 0.9,
          action: { kind: 'raise_memory', params: { container: 'ray-head', memory: '4G' } },
          reasoning: 'exit 137 OOMKilled',
          fallbackReasons: [],
        };
      },
    };
    const routed = JSON.parse((await run(['--from-files', alert, KUBERAY, '--json'], { model })).stdout) as DiagnoseJson;
    expect(routed).toMatchObject({ source: 'model', producedBy: 'ollama/qwen2.5:7b', action: 'raise_memory', params: { memory: '4G' }, cause: 'ray-head needs more than 2G' });
    expect(calls).toBe(1);
    const rules = JSON.parse((await run(['--from-files', alert, KUBERAY, '--json', '--rules-only'], { model })).stdout) as DiagnoseJson;
    expect(rules.source).toBe('rules');
    expect(calls).toBe(1);
  });
});

describe('diagnose: usage errors and bad files exit 2 with a message naming the file', () => {
  it('names the file and line of a YAML syntax error', async () => {
    const alert = await file('a.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'x', pod: 'y' }));
    const bad = await file('broken.yaml', 'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: { name: a\n');
    const { code, stdout, stderr } = await run(['--from-files', alert, bad, '--json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^watchkeeper diagnose: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid YAML or JSON`));
  });

  it('names the file and line of an item that is not a Kubernetes object', async () => {
    const alert = await file('a.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'x', pod: 'y' }));
    const bad = await file('nokind.yaml', 'apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: { name: a }\n- metadata: { name: b }\n');
    const { code, stderr } = await run(['--from-files', alert, bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}:6: not a Kubernetes object: no "kind"`);
  });

  it('rejects an alert file that is not JSON, or not an alert', async () => {
    const notJson = await file('alert.txt', '{\n  "labels": {\n    "alertname": "X",\n  }\n}');
    let r = await run(['--from-files', notJson, KUBERAY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${notJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: not valid JSON`));
    const notAlert = await file('not-alert.json', { hello: 'world' });
    r = await run(['--from-files', notAlert, KUBERAY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${notAlert}: the alert: expected an Alertmanager webhook body`);
    const badBody = await file('bad-body.json', { version: '4', alerts: [] });
    r = await run(['--from-files', badBody, KUBERAY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${badBody}: Not an Alertmanager v4 webhook payload`);
  });

  it('names a missing file', async () => {
    const alert = await file('a.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'x', pod: 'y' }));
    const { code, stderr } = await run(['--from-files', alert, join(temp, 'nope.yaml')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${join(temp, 'nope.yaml')}: cannot read: no such file`);
  });

  it('explains an alert that names no object, and a target missing from the dump', async () => {
    const noTarget = await file('watchdog.json', singleAlert({ alertname: 'Watchdog' }));
    let r = await run(['--from-files', noTarget, KUBERAY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/labels name no Kubernetes object .*pass --target/);
    const elsewhere = await file('elsewhere.json', singleAlert({ alertname: 'KubePodNotReady', namespace: 'shop', pod: 'web-1' }));
    r = await run(['--from-files', elsewhere, KUBERAY]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the dump has no shop\/Pod\/web-1 .*it holds 1 Pod/);
  });

  it('prints usage for missing arguments and unknown options, help on --help', async () => {
    for (const argv of [[], ['diagnose'], ['--from-files'], ['--from-files', 'alert.json'], ['--from-files', 'a', 'b', '--bogus'], ['shop/deploy/web']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/^watchkeeper diagnose: /);
    }
    const bad = await run(['--from-files', 'a', 'b', '--target', 'web']);
    expect(bad.stderr).toMatch(/--target: expected <namespace>\/<kind>\/<name>/);
    const help = await run(['diagnose', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: watchkeeper diagnose --from-files/);
  });
});

describe('object dumps', () => {
  it('reads kubectl Lists, typed lists, multi-document YAML, JSON arrays and events.k8s.io events', () => {
    const dump = parseDumpFile(
      [
        '# collectedAt: 2026-03-02T10:30:00Z',
        'apiVersion: v1',
        'kind: PodList',
        'items:',
        '- metadata: { name: a, namespace: ns }',
        '---',
        'apiVersion: events.k8s.io/v1',
        'kind: Event',
        'metadata: { name: a.1, namespace: ns }',
        'regarding: { kind: Pod, name: a, namespace: ns }',
        'type: Warning',
        'reason: BackOff',
        'note: Back-off restarting failed container',
        'deprecatedCount: 3',
      ].join('\n'),
      'dump.yaml',
    );
    expect(dump.collectedAt).toBe('2026-03-02T10:30:00.000Z');
    expect(dump.objects.map((o) => o.kind)).toEqual(['Pod', 'Event']);
    expect(parseDumpFile('[{"kind":"Node","metadata":{"name":"n1"}}]', 'x.json').objects).toHaveLength(1);
  });

  it.each([
    ['web-7c9-x2.api.log', { pod: 'web-7c9-x2', container: 'api' }],
    ['web-7c9-x2.api.previous.log', { pod: 'web-7c9-x2', container: 'api', previous: true }],
    ['/tmp/logs/a.b.c.log', { pod: 'a.b', container: 'c' }],
    ['nodots.log', undefined],
  ])('parses the log file name %s', (name, expected) => {
    expect(parseLogFileName(name)).toEqual(expected);
  });

  it('rejects a PodLog without container, naming the line', () => {
    expect(() => parseDumpFile('kind: List\nitems:\n- kind: Pod\n  metadata: { name: a }\n- kind: PodLog\n  metadata: { name: a }\n  text: x\n', 'l.yaml')).toThrow(
      new DumpFileError('l.yaml', 'PodLog a without "container"', 5),
    );
  });
});

describe('MemoryCluster', () => {
  const pod = (name: string, labels: Record<string, string>, node = 'n1', ns = 'shop') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { nodeName: node } });
  const cluster = new MemoryCluster(
    [
      pod('b', { app: 'web', tier: 'fe' }),
      pod('a', { app: 'web' }, 'n2'),
      pod('c', { app: 'db' }, 'n1', 'other'),
      { kind: 'Event', metadata: { name: 'e1', namespace: 'shop' }, involvedObject: { kind: 'Pod', name: 'a' }, type: 'Warning' },
      { kind: 'Event', metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', name: 'b', namespace: 'shop' }, type: 'Normal' },
      { kind: 'Node', metadata: { name: 'n1' } },
    ],
    { logs: [{ pod: 'a', container: 'app', text: '1\n2\n3\n' }, { namespace: 'shop', pod: 'b', container: 'app', previous: true, text: 'old' }] },
  );
  const names = (objs: Array<{ metadata?: { name?: string } }>) => objs.map((o) => o.metadata?.name);

  it.each([
    ['app=web', ['a', 'b']],
    ['app==web,tier=fe', ['b']],
    ['app!=db', ['a', 'b']],
    ['tier', ['b']],
    ['!tier', ['a']],
    ['app in (web,db)', ['a', 'b']],
    ['tier notin (fe)', ['a']],
  ])('lists pods by label selector %s, sorted by name', async (selector, expected) => {
    expect(names(await cluster.list('Pod', 'shop', { labelSelector: selector }))).toEqual(expected);
  });

  it('lists across namespaces, by field selector, with limits', async () => {
    expect(names(await cluster.list('Pod', ''))).toEqual(['c', 'a', 'b']);
    expect(names(await cluster.list('Pod', '', { fieldSelector: 'spec.nodeName=n1' }))).toEqual(['c', 'b']);
    expect(names(await cluster.list('Event', 'shop', { fieldSelector: 'type=Warning' }))).toEqual(['e1']);
    expect(names(await cluster.list('Event', 'shop', { fieldSelector: 'involvedObject.name=b' }))).toEqual(['e2']);
    expect(names(await cluster.list('Pod', 'shop', { limit: 1 }))).toEqual(['a']);
    await expect(cluster.list('Pod', 'shop', { labelSelector: 'a in b' })).rejects.toBeInstanceOf(K8sCallFailed);
  });

  it('gets copies, ignores the namespace of cluster-scoped kinds, answers undefined when missing', async () => {
    const a = await cluster.get('Pod', 'shop', 'a');
    a!.metadata!.name = 'changed';
    expect((await cluster.get('Pod', 'shop', 'a'))?.metadata?.name).toBe('a');
    expect(await cluster.get('Node', 'shop', 'n1')).toBeDefined();
    expect(await cluster.get('Pod', 'other', 'a')).toBeUndefined();
  });

  it('serves logs by instance with tailLines, and refuses writes', async () => {
    expect(await cluster.podLog('shop', 'a', 'app', { tailLines: 2 })).toBe('2\n3');
    expect(await cluster.podLog('shop', 'a', 'app', { previous: true, tailLines: 10 })).toBe('1\n2\n3');
    expect(await cluster.podLog('shop', 'b', 'app', { previous: true, tailLines: 10 })).toBe('old');
    await expect(cluster.podLog('shop', 'b', 'app', { tailLines: 10 })).rejects.toThrow(/no such log/);
    await expect(cluster.patch('Pod', 'shop', 'a', { type: 'merge', body: {} }, { dryRun: true })).rejects.toThrow(/offline/);
    await expect(cluster.delete('Pod', 'shop', 'a')).rejects.toThrow(/offline/);
  });
});
