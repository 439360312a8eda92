/**
 * Planning against the Kubernetes API fake through the real adapter: the diagnosed action is
 * chosen through the action catalog (supports/prepare), scored by the blast radius, checked by
 * the guardrails (with history), routed to a tier, and dry-run on the server (`dryRun=All`,
 * against a live re-read) without changing anything.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import { gatherEvidence } from '../../agent/evidence.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { DEFAULT_PLAN_POLICY, NO_HISTORY, planPolicy, planRemediation, type PlanHistory, type PlanPolicy } from '../../agent/plan.ts';
import type { ActionKind, Category, Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, KObject, StatefulSet } from '../../domain/k8s-objects.ts';
import { RESTARTED_AT_ANNOTATION } from '../../domain/rollout.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment, type SeedPodState } from '../support/workloads.ts';

const NOW = new Date('2026-11-21T06:30:00Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const CRITICAL = { protectedNamespaces: ['kube-system'], criticalNamespaces: ['*-prod'] };
/** Auto-execution off (the default): an `auto`-scored plan still goes to a human. */
const POLICY: PlanPolicy = planPolicy({ blastRadius: CRITICAL });
/** Auto-execution on. */
const AUTO_POLICY: PlanPolicy = planPolicy({ blastRadius: CRITICAL, guardrails: { autoExecute: true } });
const REVISIONS = [
  { image: 'registry.example/web:1.0', hash: '5d8f7c6b9a' },
  { image: 'registry.example/web:1.1', hash: '6e9a8b7c5d' },
  { image: 'registry.example/web:1.2', hash: '7c9d8e6f5b' },
];
/** The pods seedDeployment creates for the current revision (REVISIONS[2]). */
const POD_0 = 'web-7c9d8e6f5b-p0x0';
/** A restartedAt stamp as `kubectl rollout restart` writes it (the dry-run stamps the wall clock). */
const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const AUTO_OFF = 'auto-execution refused: auto-execution is off in config (AUTO_EXECUTE)';
const LOW_CONFIDENCE = 'auto-execution refused: confidence: 0.80 is below the auto-execution threshold 0.85';
const ESCALATING = 'no catalog action fits; escalating to a human';

function diagnosis(
  action: ActionKind,
  findingActions: ActionKind[],
  category: Category = 'crash_loop',
  params: Record<string, string | number> = {},
  confidence = 0.8,
): DiagnosisRecord {
  return {
    source: 'rules',
    category,
    cause: 'container app keeps crashing (exit 1)',
    evidence: [],
    confidence,
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

  async function gather(target: TargetRef): Promise<Evidence> {
    const ev = await gatherEvidence(cluster, target, { logTailLines: 50, now: NOW });
    fake.requests.length = 0; // only what planning sends from here on
    return ev;
  }
  async function evidenceFor(
    namespace: string,
    opts: { replicas?: number; revisions?: typeof REVISIONS; state?: SeedPodState } = {},
  ): Promise<Evidence> {
    fake.seed(
      seedDeployment({
        namespace,
        name: 'web',
        replicas: opts.replicas ?? 2,
        revisions: opts.revisions ?? REVISIONS,
        state: opts.state ?? { kind: 'crashloop', exitCode: 1 },
      }),
    );
    return gather({ kind: 'Deployment', namespace, name: 'web' });
  }
  const writes = () => fake.requests.filter((r) => r.method !== 'GET');
  const patches = () => fake.requests.filter((r) => r.method === 'PATCH');
  const live = (namespace: string) => fake.get<Deployment>('Deployment', namespace, 'web')!;

  describe('choosing the action through the catalog', () => {
    it('proposes a restart for a crash loop, after a server-side dry-run that changes nothing', async () => {
      const ev = await evidenceFor('shop');
      const before = live('shop');
      const plan = await planRemediation(diagnosis('restart', ['restart', 'escalate']), ev, cluster, POLICY, NOW);

      expect(plan).toMatchObject({
        action: 'restart',
        target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
        params: {},
        description: 'rollout restart deployment/web (2 pods replaced by a rolling update)',
        // scored auto, but auto-execution is off and the confidence is too low: a human decides
        tier: 'human',
        approvalsRequired: 1,
        autoExecute: false,
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
        rollbackPlan: 'rollout undo to the revision before the action (Undo on the result card)',
        affectedPods: 2,
      });
      expect(plan.notes).toEqual([AUTO_OFF, LOW_CONFIDENCE]);
      expect(plan.guardrails).toEqual({
        kind: 'needs_approval',
        reasons: ['auto-execution is off in config (AUTO_EXECUTE)', 'confidence: 0.80 is below the auto-execution threshold 0.85'],
      });
      // 2 replicas, none available: nothing healthy is taken down, so only the base risk counts
      expect(plan.blastRadius).toEqual({
        score: 10,
        tier: 'auto',
        reasons: ['restart: base risk 10'],
        contributions: [{ rule: 'base_risk', points: 10, reason: 'restart: base risk 10' }],
        hardRules: [],
      });

      const sent = patches();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        path: '/apis/apps/v1/namespaces/shop/deployments/web',
        query: { dryRun: 'All' },
        contentType: 'application/strategic-merge-patch+json',
        status: 200,
      });
      // the precondition is the live object's resourceVersion (re-read at dry-run time)
      const body = sent[0].body as { metadata: { resourceVersion: string }; spec: { template: { metadata: { annotations: Record<string, string> } } } };
      expect(body.metadata).toEqual({ resourceVersion: before.metadata!.resourceVersion });
      expect(Object.keys(body.spec.template.metadata.annotations)).toEqual([RESTARTED_AT_ANNOTATION]);
      expect(body.spec.template.metadata.annotations[RESTARTED_AT_ANNOTATION]).toMatch(STAMP);
      expect(writes()).toEqual(sent);
      // dry-run: the stored Deployment is untouched
      const after = live('shop');
      expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
      expect(after.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBeUndefined();
    });

    it('proposes a rollback to the previous revision with from/to revisions, dry-run as a JSON patch', async () => {
      const ev = await evidenceFor('shop');
      const plan = await planRemediation(diagnosis('rollback', ['rollback', 'escalate'], 'bad_rollout'), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({
        action: 'rollback',
        params: { fromRevision: 3, toRevision: 2 },
        description: 'rollout undo deployment/web from revision 3 to revision 2 (container app image registry.example/web:1.2 → registry.example/web:1.1)',
        tier: 'human',
        approvalsRequired: 1,
        autoExecute: false,
        guardrails: { kind: 'allow' },
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
        notes: [],
        affectedPods: 2,
      });
      expect(plan.blastRadius).toMatchObject({ score: 20, tier: 'human', reasons: ['rollback: base risk 20'] });
      const sent = patches();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ query: { dryRun: 'All' }, contentType: 'application/json-patch+json', status: 200 });
      const ops = sent[0].body as Array<{ op: string; path: string; value: unknown }>;
      expect(ops.map((o) => `${o.op} ${o.path}`)).toEqual(['replace /metadata/resourceVersion', 'replace /spec/template']);
      const template = ops[1].value as { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ image: string }> } };
      expect(template.spec.containers[0].image).toBe('registry.example/web:1.1');
      expect(template.metadata.labels).toEqual({ app: 'web' }); // no pod-template-hash
      expect(live('shop').spec?.template?.spec?.containers[0].image).toBe('registry.example/web:1.2');
    });

    it('escalates a rollback with no previous revision, saying why', async () => {
      const ev = await evidenceFor('shop', { revisions: [REVISIONS[0]] });
      const plan = await planRemediation(diagnosis('rollback', ['rollback']), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({ action: 'escalate', tier: 'human', approvalsRequired: 0, autoExecute: false, dryRun: null, params: {} });
      expect(plan.notes).toEqual(['rollback impossible: no previous revision to roll back to (current revision 1)', ESCALATING]);
      expect(writes()).toEqual([]);
    });

    it('proposes raise_memory after OOMKilled with the new limit, dry-run as a strategic merge patch on the container', async () => {
      const ev = await evidenceFor('shop', { state: { kind: 'crashloop', exitCode: 137 } });
      const before = live('shop');
      const plan = await planRemediation(
        diagnosis('raise_memory', ['raise_memory', 'restart'], 'oom_killed', { container: 'app', currentLimit: '256Mi' }),
        ev,
        cluster,
        POLICY,
        NOW,
      );
      expect(plan).toMatchObject({
        action: 'raise_memory',
        // 256Mi × 1.5; the request (128Mi) stays below the new limit and is kept
        params: { container: 'app', currentLimit: '256Mi', limit: '384Mi', fromLimit: '256Mi', fromRequest: '128Mi' },
        description: 'raise memory limit of app in deployment/web from 256Mi to 384Mi (request 128Mi kept); 2 pods rolled',
        tier: 'human',
        approvalsRequired: 1,
        guardrails: { kind: 'allow' },
        rollbackPlan: 'restore the previous memory limit and request (Undo)',
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
        notes: [],
        affectedPods: 2,
      });
      expect(plan.params).not.toHaveProperty('request');
      expect(plan.blastRadius).toMatchObject({ score: 20, tier: 'human', reasons: ['raise_memory: base risk 20'] });
      const sent = patches();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        path: '/apis/apps/v1/namespaces/shop/deployments/web',
        query: { dryRun: 'All' },
        contentType: 'application/strategic-merge-patch+json',
        status: 200,
      });
      expect(sent[0].body).toEqual({
        metadata: { resourceVersion: before.metadata!.resourceVersion },
        spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '384Mi' } } }] } } },
      });
      expect(live('shop').spec?.template?.spec?.containers[0].resources?.limits?.memory).toBe('256Mi');
    });

    it('proposes a scale to the diagnosed replica count, dry-run as a merge patch', async () => {
      const ev = await evidenceFor('shop');
      const plan = await planRemediation(diagnosis('scale', ['scale'], 'crash_loop', { replicas: 4 }), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({
        action: 'scale',
        params: { replicas: 4, fromReplicas: 2 },
        description: 'scale deployment/web from 2 to 4 replicas',
        tier: 'human',
        approvalsRequired: 1,
        rollbackPlan: 'scale back to the previous replica count (Undo)',
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
        notes: [AUTO_OFF, LOW_CONFIDENCE],
        affectedPods: 2,
      });
      expect(plan.blastRadius).toMatchObject({ score: 10, tier: 'auto', reasons: ['scale: base risk 10'] });
      const sent = patches();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ query: { dryRun: 'All' }, contentType: 'application/merge-patch+json', status: 200 });
      expect(sent[0].body).toEqual({ metadata: { resourceVersion: live('shop').metadata!.resourceVersion }, spec: { replicas: 4 } });
      expect(live('shop').spec?.replicas).toBe(2);
    });

    it('proposes deleting the worst pod of a Deployment, dry-run as a DELETE that deletes nothing', async () => {
      const ev = await evidenceFor('shop');
      const plan = await planRemediation(diagnosis('delete_pod', ['delete_pod']), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({
        action: 'delete_pod',
        params: { pod: POD_0 },
        description: `delete pod ${POD_0} (its ReplicaSet web-7c9d8e6f5b recreates it)`,
        tier: 'human',
        approvalsRequired: 1,
        rollbackPlan: 'not reversible; the pod’s controller recreates it',
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
        notes: [AUTO_OFF, LOW_CONFIDENCE],
        affectedPods: 1,
      });
      // the pod is not ready: deleting it takes no healthy pod down
      expect(plan.blastRadius).toMatchObject({ score: 5, tier: 'auto', reasons: ['delete_pod: base risk 5'] });
      const sent = writes();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ method: 'DELETE', path: `/api/v1/namespaces/shop/pods/${POD_0}`, query: { dryRun: 'All' }, status: 200 });
      expect(fake.get('Pod', 'shop', POD_0)).toBeDefined();
    });

    it.each<[string, ActionKind, ActionKind[], PlanPolicy, string[]]>([
      [
        'raise_memory is at the policy cap and scale has no replica count',
        'raise_memory',
        ['raise_memory', 'scale'],
        planPolicy({ blastRadius: CRITICAL, actions: { maxMemoryBytes: 256 * 1024 ** 2 } }),
        ['raise_memory impossible: container app: memory limit 256Mi is already at or above the cap of 256Mi', 'scale impossible: no replica count given (params.replicas)', ESCALATING],
      ],
      ['scale has no replica count', 'scale', ['scale'], POLICY, ['scale impossible: no replica count given (params.replicas)', ESCALATING]],
      ['the diagnosis already escalates', 'escalate', ['escalate'], POLICY, []],
    ])('escalates when %s', async (_name, action, findingActions, policy, notes) => {
      const ev = await evidenceFor('shop');
      const plan = await planRemediation(diagnosis(action, findingActions), ev, cluster, policy, NOW);
      expect(plan).toMatchObject({
        action: 'escalate',
        params: {},
        tier: 'human',
        approvalsRequired: 0,
        autoExecute: false,
        guardrails: { kind: 'allow' },
        dryRun: null,
        description: 'escalate to a human (no automatic action)',
        rollbackPlan: 'nothing to undo',
        affectedPods: 0,
      });
      expect(plan.blastRadius).toMatchObject({ score: 0, reasons: ['escalate: base risk 0'] });
      expect(plan.notes).toEqual(notes);
      expect(writes()).toEqual([]);
    });

    it('escalates for a bare Pod: restart does not apply to a Pod, and delete_pod needs a controller to recreate it', async () => {
      fake.seed([
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'lonely', namespace: 'shop' },
          spec: { containers: [{ name: 'app', image: 'x' }] },
          status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
        },
      ]);
      const ev = await gather({ kind: 'Pod', namespace: 'shop', name: 'lonely' });
      expect(ev.pods.map((p) => p.metadata?.name)).toEqual(['lonely']);
      const plan = await planRemediation(diagnosis('restart', ['restart', 'delete_pod', 'escalate']), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({ action: 'escalate', tier: 'human', approvalsRequired: 0, dryRun: null });
      expect(plan.notes).toEqual([
        'restart does not apply to a Pod',
        'delete_pod impossible: pod lonely has no controller (no ownerReference with controller=true); deleting it would lose it for good',
      ]);
      expect(writes()).toEqual([]);
    });

    it('deletes a Pod target whose controller recreates it (a StatefulSet pod, scored as its StatefulSet)', async () => {
      fake.seed([
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: 'shop', uid: 'uid-sts-db', generation: 1 },
          spec: {
            replicas: 1,
            serviceName: 'db',
            selector: { matchLabels: { app: 'db' } },
            template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
          },
          status: { observedGeneration: 1, replicas: 1, readyReplicas: 0, currentRevision: 'db-1', updateRevision: 'db-1' },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'db-0',
            namespace: 'shop',
            labels: { app: 'db' },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'uid-sts-db', controller: true }],
          },
          spec: { containers: [{ name: 'app', image: 'x' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }] },
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'False' }],
            containerStatuses: [{ name: 'app', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
          },
        },
      ]);
      const ev = await gather({ kind: 'Pod', namespace: 'shop', name: 'db-0' });
      expect(ev.target).toMatchObject({ kind: 'StatefulSet', name: 'db' });
      const plan = await planRemediation(diagnosis('restart', ['restart', 'delete_pod']), ev, cluster, POLICY, NOW);
      expect(plan).toMatchObject({
        action: 'delete_pod',
        params: { pod: 'db-0' },
        description: 'delete pod db-0 (its StatefulSet db recreates it)',
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
      });
      expect(plan.notes[0]).toMatch(/^restart impossible: /);
      // delete_pod 5 + StatefulSet 15 + its PersistentVolumeClaims 15.
      expect(plan.blastRadius.score).toBe(35);
      expect(plan.blastRadius.reasons).toEqual(expect.arrayContaining(['delete_pod: base risk 5', expect.stringMatching(/StatefulSet/)]));
      expect(plan).toMatchObject({ tier: 'human', approvalsRequired: 1, guardrails: { kind: 'allow' } });
      expect(writes()).toEqual([expect.objectContaining({ method: 'DELETE', path: '/api/v1/namespaces/shop/pods/db-0', query: { dryRun: 'All' }, status: 200 })]);
      expect(fake.get('Pod', 'shop', 'db-0')).toBeDefined();
    });
  });

  describe('tiers and approvals', () => {
    it('blocks any action in a protected namespace, without a dry-run', async () => {
      const ev = await evidenceFor('kube-system');
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      expect(plan.action).toBe('restart');
      expect(plan.tier).toBe('blocked');
      expect(plan.blastRadius).toEqual({
        score: 100,
        tier: 'blocked',
        reasons: ['namespace kube-system is protected (kube-system): no action may run there'],
        contributions: [],
        hardRules: [{ rule: 'protected_namespace', reason: 'namespace kube-system is protected (kube-system): no action may run there' }],
      });
      const blocked = 'blocked: the blast radius hit a hard rule; this action never executes';
      expect(plan.guardrails).toEqual({ kind: 'deny', reasons: [blocked] });
      expect(plan.notes).toEqual([`guardrail: ${blocked}`]);
      expect(plan.approvalsRequired).toBe(0); // never approvable: the remediation is stored as 'blocked'
      expect(plan.autoExecute).toBe(false);
      expect(plan.dryRun).toBeNull();
      expect(writes()).toEqual([]);
    });

    it('a restart of a healthy single replica in a critical namespace scores 50: still one approver', async () => {
      const ev = await evidenceFor('shop-prod', { replicas: 1, state: { kind: 'ready' } });
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      // restart 10 + critical 25 + single replica 15 = 50, the top of `human`
      expect(plan.blastRadius).toMatchObject({
        score: 50,
        tier: 'human',
        reasons: ['restart: base risk 10', 'namespace shop-prod is critical (matches *-prod) (+25)', 'single replica: a restart means downtime (+15)'],
      });
      expect(plan).toMatchObject({ action: 'restart', tier: 'human', approvalsRequired: 1, guardrails: { kind: 'allow' }, notes: [], dryRun: { ok: true } });
    });

    it('needs two approvers for a restart of a single-replica StatefulSet with a volume claim in a critical namespace', async () => {
      fake.seed([
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db', namespace: 'shop-prod', labels: { app: 'db' } },
          spec: {
            replicas: 1,
            serviceName: 'db',
            selector: { matchLabels: { app: 'db' } },
            template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'registry.example/db:1.0' }] } },
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
          },
        } as KObject,
      ]);
      fake.settle();
      expect(fake.get<StatefulSet>('StatefulSet', 'shop-prod', 'db')?.status?.readyReplicas).toBe(1);
      const target: TargetRef = { kind: 'StatefulSet', namespace: 'shop-prod', name: 'db' };
      const ev = await gather(target);
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      // 10 + critical 25 + single replica 15 + StatefulSet 15 + PVC 15 = 80
      expect(plan.blastRadius).toMatchObject({
        score: 80,
        tier: 'dual',
        reasons: [
          'restart: base risk 10',
          'namespace shop-prod is critical (matches *-prod) (+25)',
          'single replica: a restart means downtime (+15)',
          'StatefulSet: pods have stable identities and ordered start-up (+15)',
          'pods mount 1 PersistentVolumeClaim (+15)',
        ],
      });
      expect(plan).toMatchObject({
        action: 'restart',
        target,
        description: 'rollout restart statefulset/db (1 pod replaced by a rolling update)',
        tier: 'dual',
        approvalsRequired: 2,
        autoExecute: false,
        guardrails: { kind: 'allow' },
        notes: [],
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
      });
      expect(writes()).toEqual([
        expect.objectContaining({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop-prod/statefulsets/db', query: { dryRun: 'All' }, status: 200 }),
      ]);
      expect(fake.get<StatefulSet>('StatefulSet', 'shop-prod', 'db')?.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBeUndefined();
    });
  });

  describe('guardrails and auto-execution', () => {
    /** A healthy 3-replica Deployment in a non-critical namespace: a restart scores 10 (`auto`). */
    const healthy = () => evidenceFor('shop', { replicas: 3, state: { kind: 'ready' } });
    const confident = () => diagnosis('restart', ['restart'], 'crash_loop', {}, 0.9);

    it('executes an auto-scored restart without a human when the guardrails allow and auto-execution is on', async () => {
      const ev = await healthy();
      const plan = await planRemediation(confident(), ev, cluster, AUTO_POLICY, NOW, NO_HISTORY);
      expect(plan.blastRadius).toEqual({
        score: 10,
        tier: 'auto',
        reasons: ['restart: base risk 10'],
        contributions: [{ rule: 'base_risk', points: 10, reason: 'restart: base risk 10' }],
        hardRules: [],
      });
      expect(plan).toMatchObject({
        action: 'restart',
        tier: 'auto',
        autoExecute: true,
        approvalsRequired: 0,
        guardrails: { kind: 'allow' },
        notes: [],
        affectedPods: 3,
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
      });
      expect(patches()).toEqual([expect.objectContaining({ query: { dryRun: 'All' }, status: 200 })]);
    });

    it('the same restart goes to a human when auto-execution is off (the default policy)', async () => {
      const ev = await healthy();
      const plan = await planRemediation(confident(), ev, cluster, DEFAULT_PLAN_POLICY, NOW);
      expect(plan).toMatchObject({ tier: 'human', autoExecute: false, approvalsRequired: 1, notes: [AUTO_OFF] });
      expect(plan.blastRadius.tier).toBe('auto');
    });

    it('refuses auto-execution after an anti-pattern for these symptoms: a human decides, with the reason', async () => {
      const ev = await healthy();
      const past: PlanHistory = { ...NO_HISTORY, antiPatternSince: new Date(NOW.getTime() - 2 * DAY) };
      const plan = await planRemediation(confident(), ev, cluster, AUTO_POLICY, NOW, past);
      const reason = 'anti-pattern: a restart failed for these symptoms 2 d ago; auto-execution stays off for 5 d more';
      expect(plan).toMatchObject({
        action: 'restart',
        tier: 'human',
        autoExecute: false,
        approvalsRequired: 1,
        guardrails: { kind: 'needs_approval', reasons: [reason] },
        notes: [`auto-execution refused: ${reason}`],
        // still dry-run: the card may be approved
        dryRun: { ok: true, message: 'server-side dry-run accepted' },
      });
      expect(plan.blastRadius).toMatchObject({ score: 10, tier: 'auto' });
    });

    it('an anti-pattern older than the window no longer refuses auto-execution', async () => {
      const ev = await healthy();
      const past: PlanHistory = { ...NO_HISTORY, antiPatternSince: new Date(NOW.getTime() - 8 * DAY) };
      const plan = await planRemediation(confident(), ev, cluster, AUTO_POLICY, NOW, past);
      expect(plan).toMatchObject({ tier: 'auto', autoExecute: true, approvalsRequired: 0, notes: [] });
    });

    it.each<[string, PlanHistory, string]>([
      [
        'the hourly rate limit is reached',
        { history: { executedInLastHour: 5, executedOnTargetInLastHour: 0 } },
        'rate limit: 5 actions executed in the last hour (limit 5)',
      ],
      [
        'the target is cooling down after a failure',
        { history: { executedInLastHour: 1, executedOnTargetInLastHour: 1, lastFailureOnTargetAt: new Date(NOW.getTime() - 4 * MINUTE), lastFailedActionOnTarget: 'restart' } },
        'cooldown: a restart of shop/Deployment/web failed 4 min ago; wait 6 min',
      ],
    ])('blocks when %s (guardrail deny), without a dry-run', async (_name, past, reason) => {
      const ev = await healthy();
      const plan = await planRemediation(confident(), ev, cluster, AUTO_POLICY, NOW, past);
      expect(plan).toMatchObject({
        action: 'restart',
        tier: 'blocked',
        autoExecute: false,
        approvalsRequired: 0,
        guardrails: { kind: 'deny', reasons: [reason] },
        notes: [`guardrail: ${reason}`],
        dryRun: null,
      });
      // the blast radius alone would have run it at once
      expect(plan.blastRadius).toMatchObject({ score: 10, tier: 'auto' });
      expect(writes()).toEqual([]);
    });

    it('a guardrail deny also blocks a human-tier plan', async () => {
      const ev = await evidenceFor('shop');
      const past: PlanHistory = { history: { executedInLastHour: 0, executedOnTargetInLastHour: 3 } };
      const plan = await planRemediation(diagnosis('rollback', ['rollback'], 'bad_rollout'), ev, cluster, POLICY, NOW, past);
      expect(plan.blastRadius.tier).toBe('human');
      expect(plan).toMatchObject({
        action: 'rollback',
        tier: 'blocked',
        approvalsRequired: 0,
        notes: ['guardrail: rate limit: 3 actions on shop/Deployment/web in the last hour (limit 3 per resource)'],
        dryRun: null,
      });
    });
  });

  describe('dry-run failures', () => {
    it('records a failed dry-run in the plan instead of throwing', async () => {
      const ev = await evidenceFor('shop');
      fake.injectFault({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web', status: 500 });
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      expect(plan.action).toBe('restart');
      expect(plan.tier).toBe('human');
      expect(plan.dryRun?.ok).toBe(false);
      expect(plan.dryRun?.message).toMatch(/patch \(dry-run\) Deployment shop\/web failed \(HTTP 500\)/);
      expect(patches().map((r) => r.status)).toEqual([500]); // a 500 is not retried
    });

    it('a stale resourceVersion in the evidence does not matter: the dry-run re-reads the live object', async () => {
      const ev = await evidenceFor('shop');
      ev.deployment!.metadata!.resourceVersion = '1';
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      expect(plan.dryRun).toEqual({ ok: true, message: 'server-side dry-run accepted' });
      const sent = patches();
      expect(sent).toHaveLength(1);
      expect(sent[0].status).toBe(200);
      expect((sent[0].body as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe(live('shop').metadata!.resourceVersion);
      expect(live('shop').metadata!.resourceVersion).not.toBe('1');
    });

    it('a 409 conflict during the dry-run is retried after a re-read', async () => {
      const ev = await evidenceFor('shop');
      fake.injectFault({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web', status: 409 });
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      expect(plan.dryRun).toEqual({ ok: true, message: 'server-side dry-run accepted' });
      expect(patches().map((r) => [r.query.dryRun, r.status])).toEqual([
        ['All', 409],
        ['All', 200],
      ]);
      const gets = fake.requests.filter((r) => r.method === 'GET' && r.path === '/apis/apps/v1/namespaces/shop/deployments/web');
      expect(gets).toHaveLength(2); // one live read per attempt
    });

    it('persistent conflicts fail the dry-run after conflictRetries attempts', async () => {
      const ev = await evidenceFor('shop');
      fake.injectFault({ method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web', status: 409, times: Infinity });
      const plan = await planRemediation(diagnosis('restart', ['restart']), ev, cluster, POLICY, NOW);
      expect(plan.action).toBe('restart');
      expect(plan.dryRun?.ok).toBe(false);
      expect(plan.dryRun?.message).toMatch(/patch \(dry-run\) Deployment shop\/web failed \(HTTP 409\)/);
      expect(patches().map((r) => r.status)).toEqual([409, 409, 409]); // DEFAULT_ACTION_POLICY.conflictRetries
    });
  });
});
