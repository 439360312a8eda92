/**
 * `prepare` of every catalog action: pure planning from evidence and the diagnosis params, with
 * the bounds and the impossible cases. Evidence is built from the same object shapes the fake
 * serves (test/support/workloads.ts), without any I/O.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_CATALOG, type ActionParams, type Prepared } from '../../agent/actions/index.ts';
import type { Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, HorizontalPodAutoscaler, Pod, ReplicaSet, StatefulSet } from '../../domain/k8s-objects.ts';
import { seedDeployment, type SeedPodState } from '../support/workloads.ts';
import { bareEvidence, NS, TEST_POLICY } from './support.ts';

const GiB = 1024 ** 3;
const policy = { ...TEST_POLICY, maxScaleReplicas: 6, maxMemoryBytes: GiB };

function deploymentEvidence(
  opts: { replicas?: number; revisions?: number; state?: SeedPodState; mutate?: (d: Deployment) => void } = {},
): Evidence {
  const revisions = Array.from({ length: opts.revisions ?? 2 }, (_, i) => ({ image: `registry.example.com/web:1.${i}`, hash: `h${i}abc` }));
  const objects = seedDeployment({ namespace: NS, name: 'web', replicas: opts.replicas ?? 2, revisions, state: opts.state ?? { kind: 'ready' } });
  const deployment = objects.find((o) => o.kind === 'Deployment') as Deployment;
  opts.mutate?.(deployment);
  return bareEvidence(
    { kind: 'Deployment', namespace: NS, name: 'web' },
    {
      deployment,
      replicaSets: objects.filter((o) => o.kind === 'ReplicaSet') as ReplicaSet[],
      pods: objects.filter((o) => o.kind === 'Pod') as Pod[],
    },
  );
}

function statefulSetEvidence(opts: { unready?: boolean; policy?: string; strategy?: string } = {}): Evidence {
  const sts: StatefulSet = {
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: NS, generation: 1 },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'db' } },
      ...(opts.policy ? { podManagementPolicy: opts.policy } : {}),
      ...(opts.strategy ? { updateStrategy: { type: opts.strategy } } : {}),
      template: { spec: { containers: [{ name: 'pg', image: 'postgres:16', resources: { limits: { memory: '1Gi' } } }] } },
    },
  };
  const pod = (i: number, ready: boolean): Pod => ({
    metadata: { name: `db-${i}`, namespace: NS, labels: { app: 'db' }, ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  return bareEvidence({ kind: 'StatefulSet', namespace: NS, name: 'db' }, { statefulSet: sts, pods: [pod(0, true), pod(1, !opts.unready), pod(2, true)] });
}

const pod: TargetRef = { kind: 'Pod', namespace: NS, name: 'web-h1abc-p0x0' };
const node: TargetRef = { kind: 'Node', namespace: '', name: 'node-a' };

function expectOk(p: Prepared): Extract<Prepared, { kind: 'ok' }> {
  if (p.kind !== 'ok') throw new Error(`expected ok, got: ${p.reason}`);
  return p;
}

describe('restart.prepare', () => {
  const restart = ACTION_CATALOG.restart;
  it('plans a rolling restart of every replica', () => {
    const p = expectOk(restart.prepare(deploymentEvidence({ replicas: 3 }), {}, policy));
    expect(p.affectedPods).toBe(3);
    expect(p.description).toBe('rollout restart deployment/web (3 pods replaced by a rolling update)');
  });

  it('plans a StatefulSet restart when every pod is ready, and counts its replicas', () => {
    expect(expectOk(restart.prepare(statefulSetEvidence(), {}, policy)).affectedPods).toBe(3);
  });

  it.each([
    ['a paused deployment', deploymentEvidence({ mutate: (d) => (d.spec!.paused = true) }), /can't restart paused deployment/],
    ['an OrderedReady StatefulSet with a pod not ready', statefulSetEvidence({ unready: true }), /OrderedReady.*db-1 is not ready.*delete the failing pod/],
    ['an OnDelete StatefulSet', statefulSetEvidence({ strategy: 'OnDelete' }), /OnDelete update strategy/],
    ['a Pod target', bareEvidence(pod), /not Pod/],
    ['a Node target', bareEvidence(node), /not Node/],
    ['a deployment missing from the evidence', bareEvidence({ kind: 'Deployment', namespace: NS, name: 'gone' }), /not found when gathering evidence/],
  ])('is impossible for %s', (_name, ev, reason) => {
    const p = restart.prepare(ev, {}, policy);
    expect(p.kind).toBe('impossible');
    expect(p.kind === 'impossible' && p.reason).toMatch(reason);
  });

  it('restarts a Parallel StatefulSet even with a pod not ready (the controller does not wait)', () => {
    expect(restart.prepare(statefulSetEvidence({ unready: true, policy: 'Parallel' }), {}, policy).kind).toBe('ok');
  });
});

describe('rollback.prepare', () => {
  const rollback = ACTION_CATALOG.rollback;
  it('rolls back to the previous revision and says what changes', () => {
    const p = expectOk(rollback.prepare(deploymentEvidence({ revisions: 3 }), {}, policy));
    expect(p.params).toMatchObject({ fromRevision: 3, toRevision: 2 });
    expect(p.description).toBe(
      'rollout undo deployment/web from revision 3 to revision 2 (container app image registry.example.com/web:1.2 → registry.example.com/web:1.1)',
    );
    expect(p.affectedPods).toBe(2);
  });

  it('rolls back to an explicit revision (--to-revision)', () => {
    expect(expectOk(rollback.prepare(deploymentEvidence({ revisions: 3 }), { toRevision: 1 }, policy)).params).toMatchObject({ fromRevision: 3, toRevision: 1 });
  });

  it.each([
    ['only one revision', deploymentEvidence({ revisions: 1 }), {}, /no previous revision/],
    ['an unknown revision', deploymentEvidence({ revisions: 2 }), { toRevision: 7 }, /revision 7 is not in the rollout history \(revisions: 1, 2\)/],
    ['the current revision', deploymentEvidence({ revisions: 2 }), { toRevision: 2 }, /already at revision 2/],
    ['a paused deployment', deploymentEvidence({ mutate: (d) => (d.spec!.paused = true) }), {}, /paused/],
    ['a StatefulSet', statefulSetEvidence(), {}, /Deployments, not StatefulSet/],
  ] as const)('is impossible with %s', (_name, ev, params, reason) => {
    const p = rollback.prepare(ev, params as ActionParams, policy);
    expect(p.kind).toBe('impossible');
    expect(p.kind === 'impossible' && p.reason).toMatch(reason);
  });
});

describe('scale.prepare (policy: at most 6, never 0)', () => {
  const scale = ACTION_CATALOG.scale;
  it.each([
    [{ replicas: 4 }, 2, 'scale deployment/web from 2 to 4 replicas', 2],
    [{ replicas: '6' }, 2, 'scale deployment/web from 2 to 6 replicas', 4],
    [{ replicas: 1 }, 3, 'scale deployment/web from 3 to 1 replicas', 2],
  ] as const)('%j from %d replicas', (params, from, description, affected) => {
    const p = expectOk(scale.prepare(deploymentEvidence({ replicas: from }), params, policy));
    expect(p.description).toBe(description);
    expect(p.affectedPods).toBe(affected);
    expect(p.params).toMatchObject({ replicas: Number(params.replicas), fromReplicas: from });
  });

  it('scales a StatefulSet', () => {
    expect(expectOk(scale.prepare(statefulSetEvidence(), { replicas: 5 }, policy)).description).toBe('scale statefulset/db from 3 to 5 replicas');
  });

  it('scales to 0 only when the policy allows it', () => {
    expect(scale.prepare(deploymentEvidence(), { replicas: 0 }, policy)).toMatchObject({ kind: 'impossible', reason: expect.stringMatching(/not allowed/) });
    expect(scale.prepare(deploymentEvidence(), { replicas: 0 }, { ...policy, allowScaleToZero: true })).toMatchObject({ kind: 'ok', affectedPods: 2 });
  });

  const hpa: HorizontalPodAutoscaler = { metadata: { name: 'web' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 8 } };
  it.each([
    ['above the maximum', deploymentEvidence(), { replicas: 7 }, /exceeds the policy maximum of 6/],
    ['no count', deploymentEvidence(), {}, /no replica count/],
    ['a fraction', deploymentEvidence(), { replicas: 1.5 }, /not a whole number/],
    ['the current count', deploymentEvidence({ replicas: 3 }), { replicas: 3 }, /already has 3 replicas/],
    ['an HPA in charge', { ...deploymentEvidence(), hpa }, { replicas: 4 }, /HorizontalPodAutoscaler web manages the replicas \(2–8\)/],
    ['a DaemonSet', bareEvidence({ kind: 'DaemonSet', namespace: NS, name: 'agent' }), { replicas: 2 }, /not DaemonSet/],
  ] as const)('is impossible with %s', (_name, ev, params, reason) => {
    const p = scale.prepare(ev as Evidence, params as ActionParams, policy);
    expect(p.kind).toBe('impossible');
    expect(p.kind === 'impossible' && p.reason).toMatch(reason);
  });
});

describe('delete_pod.prepare', () => {
  const del = ACTION_CATALOG.delete_pod;
  const crashing = deploymentEvidence({ state: { kind: 'crashloop', exitCode: 1 } });
  it('deletes the named pod; its ReplicaSet recreates it', () => {
    const p = expectOk(del.prepare(crashing, { pod: 'web-h1abc-p1x1' }, policy));
    expect(p).toMatchObject({ params: { pod: 'web-h1abc-p1x1' }, affectedPods: 1, description: 'delete pod web-h1abc-p1x1 (its ReplicaSet web-h1abc recreates it)' });
  });

  it('picks the worst pod when none is named', () => {
    expect(expectOk(del.prepare(crashing, {}, policy)).params.pod).toMatch(/^web-h1abc-p\dx\d$/);
  });

  it('deletes the Pod target itself', () => {
    const ev = { ...crashing, target: { kind: 'Pod', namespace: NS, name: 'web-h1abc-p0x0' } as TargetRef };
    expect(expectOk(del.prepare(ev, {}, policy)).params.pod).toBe('web-h1abc-p0x0');
  });

  const bare: Pod = { metadata: { name: 'debug', namespace: NS }, status: { phase: 'Running' } };
  const mirror: Pod = { metadata: { name: 'etcd-node-a', namespace: NS, ownerReferences: [{ kind: 'Node', name: 'node-a', controller: true }] } };
  it.each([
    ['a bare pod', bareEvidence({ kind: 'Pod', namespace: NS, name: 'debug' }, { pods: [bare] }), {}, /no controller.*lose it for good/],
    ['a static pod', bareEvidence({ kind: 'Pod', namespace: NS, name: 'etcd-node-a' }, { pods: [mirror] }), {}, /static pod/],
    ['a pod not of the target', crashing, { pod: 'other-1' }, /pod other-1 is not among the pods of Deployment shop\/web/],
    ['healthy pods and none named', deploymentEvidence(), {}, /every pod of the target is ready/],
    ['a Node target', bareEvidence(node), {}, /not Node/],
  ] as const)('is impossible for %s', (_name, ev, params, reason) => {
    const p = del.prepare(ev, params as ActionParams, policy);
    expect(p.kind).toBe('impossible');
    expect(p.kind === 'impossible' && p.reason).toMatch(reason);
  });
});

describe('raise_memory.prepare (policy: ×1.5, cap 1Gi)', () => {
  const raise = ACTION_CATALOG.raise_memory;
  const withMemory = (limit: string | undefined, request?: string) =>
    deploymentEvidence({
      state: { kind: 'crashloop', exitCode: 137 },
      mutate: (d) => {
        d.spec!.template!.spec!.containers[0]!.resources = {
          ...(limit ? { limits: { memory: limit } } : {}),
          ...(request ? { requests: { memory: request } } : {}),
        };
      },
    });

  it.each([
    ['256Mi', '128Mi', 'raise memory limit of app in deployment/web from 256Mi to 384Mi (request 128Mi kept); 2 pods rolled', { limit: '384Mi', fromLimit: '256Mi', fromRequest: '128Mi' }],
    ['100M', undefined, 'raise memory limit of app in deployment/web from 100M to 144Mi; 2 pods rolled', { limit: '144Mi', fromLimit: '100M' }],
    ['768Mi', '768Mi', 'raise memory limit of app in deployment/web from 768Mi to 1Gi (capped at 1Gi, request 768Mi kept); 2 pods rolled', { limit: '1Gi' }],
  ])('limit %s request %s', (limit, request, description, params) => {
    const p = expectOk(raise.prepare(withMemory(limit, request), { container: 'app', currentLimit: limit }, policy));
    expect(p.description).toBe(description);
    expect(p.params).toMatchObject({ container: 'app', ...params });
    expect(p.affectedPods).toBe(2);
  });

  it('finds the container of a single-container template without params', () => {
    expect(expectOk(raise.prepare(withMemory('256Mi'), {}, policy)).params.container).toBe('app');
  });

  it('sets an explicit limit back (the inverse), lowering it', () => {
    const p = expectOk(raise.prepare(withMemory('384Mi', '128Mi'), { container: 'app', limit: '256Mi', fromLimit: '384Mi' }, policy));
    expect(p.description).toMatch(/^lower memory limit of app in deployment\/web from 384Mi to 256Mi/);
  });

  it.each([
    ['no limit', withMemory(undefined, '128Mi'), { container: 'app' }, /no memory limit to raise/],
    ['the limit at the cap', withMemory('1Gi'), { container: 'app' }, /already at or above the cap of 1Gi/],
    ['an unknown container', withMemory('256Mi'), { container: 'sidecar' }, /container sidecar is not in the pod template \(containers: app\)/],
    ['an explicit limit above the cap', withMemory('256Mi'), { container: 'app', limit: '2Gi' }, /exceeds the policy cap of 1Gi/],
    ['a stale plan', withMemory('512Mi'), { container: 'app', limit: '384Mi', fromLimit: '256Mi' }, /changed since planning/],
    ['a Pod target', bareEvidence(pod), { container: 'app' }, /not Pod/],
  ] as const)('is impossible with %s', (_name, ev, params, reason) => {
    const p = raise.prepare(ev, params as ActionParams, policy);
    expect(p.kind).toBe('impossible');
    expect(p.kind === 'impossible' && p.reason).toMatch(reason);
  });

  it('asks which container when the template has several and no pod names one', () => {
    const ev = withMemory('256Mi');
    ev.deployment!.spec!.template!.spec!.containers.push({ name: 'sidecar', image: 'envoy' });
    ev.pods = [];
    expect(raise.prepare(ev, {}, policy)).toMatchObject({ kind: 'impossible', reason: expect.stringMatching(/which container\? .*\(app, sidecar\)/) });
  });
});

describe('escalate and none', () => {
  it.each(['escalate', 'none'] as const)('%s is always possible and touches no pod', (kind) => {
    for (const target of [pod, node, { kind: 'Deployment', namespace: NS, name: 'web' } as TargetRef]) {
      expect(ACTION_CATALOG[kind].supports(target)).toBe(true);
      expect(ACTION_CATALOG[kind].prepare(bareEvidence(target), {}, policy)).toMatchObject({ kind: 'ok', affectedPods: 0 });
    }
  });
});

describe('supports', () => {
  const kinds: TargetRef['kind'][] = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'Node'];
  it.each([
    ['restart', ['Deployment', 'StatefulSet', 'DaemonSet']],
    ['rollback', ['Deployment']],
    ['scale', ['Deployment', 'StatefulSet']],
    ['delete_pod', ['Deployment', 'StatefulSet', 'DaemonSet', 'Pod']],
    ['raise_memory', ['Deployment', 'StatefulSet', 'DaemonSet']],
  ] as const)('%s acts on %j', (action, supported) => {
    const yes = kinds.filter((kind) => ACTION_CATALOG[action].supports({ kind, namespace: NS, name: 'x' }));
    expect(yes).toEqual(supported);
  });

  it('keys every action by its kind', () => {
    for (const [kind, action] of Object.entries(ACTION_CATALOG)) expect(action.kind).toBe(kind);
    expect(Object.keys(ACTION_CATALOG).sort()).toEqual(['apply_manifest', 'delete_pod', 'escalate', 'none', 'raise_memory', 'restart', 'rollback', 'scale']);
  });
});

