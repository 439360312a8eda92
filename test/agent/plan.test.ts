/**
 * Planning against the Kubernetes API fake through the real adapter: the diagnosed action becomes
 * a plan with blast radius, tier, inverse and a server-side dry-run (`dryRun=All`) that changes
 * nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import { gatherEvidence } from '../../agent/evidence.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { planRemediation, type PlanPolicy } from '../../agent/plan.ts';
import type { ActionKind, Category, Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment } from '../../domain/k8s-objects.ts';
import { RESTARTED_AT_ANNOTATION } from '../../domain/rollout.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake.ts';
import { seedDeployment } from '../support/workloads.ts';

const NOW = new Date('2026-11-21T06:30:00Z');
const POLICY: PlanPolicy = { protectedNamespaces: ['kube-system'], criticalNamespaces: ['*-prod'] };
const REVISIONS = [
  { image: 'registry.example/web:1.0', hash: '5d8f7c6b9a' },
  { image: 'registry.example/web:1.1', hash: '6e9a8b7c5d' },
  { image: 'registry.example/web:1.2', hash: '7c9d8e6f5b' },
];

function diagnosis(action: ActionKind, findingActions: ActionKind[], category: Category = 'crash_loop', params: Record<string, string | number> = {}): DiagnosisRecord {
  return {
    source: 'rules',
    category,
    cause: 'container app keeps crashing (exit 1)',
    evidence: [],
    confidence: 0.8,
    action,
    params,
    findings: [{ analyzer: 'test', category, cause: 'container app keeps crashing', actions: findingActions }],
    gaps: [],
    target: null,
    fallbackReasons: [],
  };
}

describe('planRemediation', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;

  beforeEach(async () => {
    fake = await startK8sFake({ autoTick: false });
    cluster = new KubernetesCluster(fake.kubeConfig());
  });
  afterEach(async () => {
    await fake?.close();
  });

  async function evidenceFor(namespace: string, opts: { replicas?: number; revisions?: typeof REVISIONS } = {}): Promise<Evidence> {
    fake.seed(
      seedDeployment({
        namespace,
        name: 'web',
        replicas: opts.replicas ?? 2,
        revisions: opts.revisions ?? REVISIONS,
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
    const target: TargetRef = { kind: 'Deployment', namespace, name: 'web' };
    const ev = await gatherEvidence(cluster, target, { logTailLines: 50, now: NOW });
    fake.requests.length = 0; // only what planning sends from here on
    return ev;
  }
  const patches = () => fake.requests.filter((r) => r.method === 'PATCH');
  const live = (namespace: string) => fake.get<Deployment>('Deployment', namespace, 'web')!;

  it('proposes a restart for a crash loop, after a server-side dry-run that changes nothing', async () => {
    const ev = await evidenceFor('shop');
    const before = live('shop');
    const plan = await planRemediation(diagnosis('restart', ['restart', 'escalate']), ev, cluster, POLICY, NOW);

    expect(plan).toMatchObject({
      action: 'restart',
      target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
      description: 'rollout restart deployment/web',
      tier: 'human',
      approvalsRequired: 1,
      dryRun: { ok: true, message: 'server-side dry-run accepted' },
      rollbackPlan: 'rollout undo back to revision 3',
      notes: [],
    });
    // 2 replicas, 0 available: restart base 15 + degraded availability 10
    expect(plan.blastRadius).toEqual({
      score: 25,
      tier: 'human',
      reasons: ['restart: base risk 15', 'only 0 of 2 replicas available (+10)'],
    });

    const sent = patches();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      path: '/apis/apps/v1/namespaces/shop/deployments/web',
      query: { dryRun: 'All' },
      contentType: 'application/strategic-merge-patch+json',
      status: 200,
    });
    expect(sent[0].body).toEqual({
      metadata: { resourceVersion: ev.deployment!.metadata!.resourceVersion },
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: '2026-11-21T06:30:00Z' } } } },
    });
    // dry-run: the stored Deployment is untouched
    const after = live('shop');
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBeUndefined();
  });

  it('proposes a rollback to the previous revision with toRevision, dry-run as a JSON patch', async () => {
    const ev = await evidenceFor('shop');
    const plan = await planRemediation(diagnosis('rollback', ['rollback', 'escalate'], 'bad_rollout'), ev, cluster, POLICY, NOW);
    expect(plan).toMatchObject({
      action: 'rollback',
      params: { fromRevision: 3, toRevision: 2 },
      description: 'rollout undo deployment/web to revision 2',
      dryRun: { ok: true },
      approvalsRequired: 1,
    });
    expect(plan.blastRadius.score).toBe(35); // rollback 25 + degraded 10
    const [sent] = patches();
    expect(sent).toMatchObject({ query: { dryRun: 'All' }, contentType: 'application/json-patch+json', status: 200 });
    const ops = sent.body as Array<{ op: string; path: string; value: unknown }>;
    expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['replace /metadata/resourceVersion', 'replace /spec/template']);
    const template = ops[1].value as { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
    expect(template.spec.containers[0].image).toBe('registry.example/web:1.1');
    expect(template.metadata.labels).toEqual({ app: 'web' }); // no pod-template-hash
    expect(live('shop').spec?.template?.spec?.containers[0].image).toBe('registry.example/web:1.2');
  });

  it('escalates a rollback with no previous revision', async () => {
    const ev = await evidenceFor('shop', { revisions: [REVISIONS[0]] });
    const plan = await planRemediation(diagnosis('rollback', ['rollback']), ev, cluster, POLICY, NOW);
    expect(plan.action).toBe('escalate');
    expect(plan.notes).toEqual(['rollback impossible: no previous revision to roll back to (current revision 1)']);
    expect(plan.dryRun).toBeNull();
    expect(plan.approvalsRequired).toBe(0);
    expect(patches()).toEqual([]);
  });

  it('falls back from raise_memory (not executable yet) to restart', async () => {
    const ev = await evidenceFor('shop');
    const plan = await planRemediation(diagnosis('raise_memory', ['raise_memory', 'restart'], 'oom_killed'), ev, cluster, POLICY, NOW);
    expect(plan.action).toBe('restart');
    expect(plan.notes).toEqual(['raise_memory on Deployment is not executable yet; proposing restart instead']);
    expect(plan.dryRun).toEqual({ ok: true, message: 'server-side dry-run accepted' });
    expect(patches()).toHaveLength(1);
  });

  it.each<[string, ActionKind, ActionKind[]]>([
    ['nothing executable among the findings', 'raise_memory', ['raise_memory', 'scale']],
    ['scale only', 'scale', ['scale']],
    ['the diagnosis already escalates', 'escalate', ['escalate']],
  ])('escalates when %s', async (_name, action, findingActions) => {
    const ev = await evidenceFor('shop');
    const plan = await planRemediation(diagnosis(action, findingActions), ev, cluster, POLICY, NOW);
    expect(plan.action).toBe('escalate');
    expect(plan.approvalsRequired).toBe(0);
    expect(plan.dryRun).toBeNull();
    expect(plan.description).toBe('escalate to a human (no automatic action)');
    expect(plan.rollbackPlan).toBe('nothing to undo');
    if (action !== 'escalate') expect(plan.notes[0]).toMatch(/escalating to a human$/);
    expect(patches()).toEqual([]);
  });

  it('escalates a restart of a bare Pod (only Deployments are executable)', async () => {
    fake.seed([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'lonely', namespace: 'shop' },
        spec: { containers: [{ name: 'app', image: 'x' }] },
        status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
      },
    ]);
    const ev = await gatherEvidence(cluster, { kind: 'Pod', namespace: 'shop', name: 'lonely' }, { logTailLines: 10, now: NOW });
    const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
    expect(plan.action).toBe('escalate');
    expect(plan.notes).toEqual(['restart on Pod is not executable yet; escalating to a human']);
  });

  it('blocks any action in a protected namespace, without a dry-run', async () => {
    const ev = await evidenceFor('kube-system');
    const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
    expect(plan.tier).toBe('blocked');
    expect(plan.blastRadius).toEqual({ score: 100, tier: 'blocked', reasons: ['namespace kube-system is protected'] });
    expect(plan.approvalsRequired).toBe(0); // never approvable: the remediation is stored as 'blocked'
    expect(plan.dryRun).toBeNull();
    expect(patches()).toEqual([]);
  });

  it('needs two approvers for a single-replica restart in a critical namespace', async () => {
    const ev = await evidenceFor('shop-prod', { replicas: 1 });
    const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
    // 15 + critical 25 + single replica 15
    expect(plan.blastRadius.score).toBe(55);
    expect(plan.tier).toBe('dual');
    expect(plan.approvalsRequired).toBe(2);
    expect(plan.dryRun?.ok).toBe(true);
  });

  it('records a failed dry-run in the plan instead of throwing', async () => {
    const ev = await evidenceFor('shop');
    fake.injectFault({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web', status: 500 });
    const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
    expect(plan.action).toBe('restart');
    expect(plan.dryRun?.ok).toBe(false);
    expect(plan.dryRun?.message).toMatch(/patch \(dry-run\) Deployment shop\/web failed \(HTTP 500\)/);
  });

  it('a stale resourceVersion makes the dry-run fail with a conflict', async () => {
    const ev = await evidenceFor('shop');
    ev.deployment!.metadata!.resourceVersion = '1';
    const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
    expect(plan.dryRun?.ok).toBe(false);
    expect(plan.dryRun?.message).toMatch(/HTTP 409/);
    expect(patches()[0]?.status).toBe(409);
  });
});
