/**
 * Optimistic concurrency of every writing action, against the Kubernetes API fake through the
 * real adapter: a 409 answered once is retried after a fresh read; three in a row end in
 * K8sConflict with nothing changed; a real concurrent write (stale resourceVersion) is detected
 * by the precondition and the retry builds on the new object. Plus the no-op actions.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, type ActionParams } from '../../agent/actions/index.ts';
import type { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { K8sConflict, type ClusterPort } from '../../agent/ports.ts';
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import type { KObject, StatefulSet } from '../../domain/k8s-objects.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, NS, startCluster, statefulSet, writes } from './support.ts';

interface Case {
  name: string;
  action: ActionKind;
  target: TargetRef;
  params: ActionParams;
  /** Method and path of the write the fault hits (the dry-run shares it). */
  method: 'PATCH' | 'DELETE';
  path: string;
  /** What the live object shows once the action is through. */
  changed: (fake: K8sFake) => unknown;
}

const dep = (fake: K8sFake) => fake.get('Deployment', NS, 'web') as KObject & { spec: any };
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web' };
const DEPLOY_PATH = `/apis/apps/v1/namespaces/${NS}/deployments/web`;

const CASES: Case[] = [
  {
    name: 'restart Deployment',
    action: 'restart',
    target: WEB,
    params: {},
    method: 'PATCH',
    path: DEPLOY_PATH,
    changed: (f) => dep(f).spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined,
  },
  {
    name: 'restart StatefulSet',
    action: 'restart',
    target: { kind: 'StatefulSet', namespace: NS, name: 'db' },
    params: {},
    method: 'PATCH',
    path: `/apis/apps/v1/namespaces/${NS}/statefulsets/db`,
    changed: (f) => f.get<StatefulSet>('StatefulSet', NS, 'db')?.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] !== undefined,
  },
  { name: 'rollback', action: 'rollback', target: WEB, params: {}, method: 'PATCH', path: DEPLOY_PATH, changed: (f) => dep(f).spec.template.spec.containers[0].image === 'web:1' },
  { name: 'scale', action: 'scale', target: WEB, params: { replicas: 3 }, method: 'PATCH', path: DEPLOY_PATH, changed: (f) => dep(f).spec.replicas === 3 },
  {
    name: 'raise_memory',
    action: 'raise_memory',
    target: WEB,
    params: { container: 'app' },
    method: 'PATCH',
    path: DEPLOY_PATH,
    changed: (f) => dep(f).spec.template.spec.containers[0].resources.limits.memory === '384Mi',
  },
  {
    name: 'delete_pod',
    action: 'delete_pod',
    target: WEB,
    params: { pod: 'web-c2c2c2-p0x0' },
    method: 'DELETE',
    path: `/api/v1/namespaces/${NS}/pods/web-c2c2c2-p0x0`,
    changed: (f) => f.get('Pod', NS, 'web-c2c2c2-p0x0') === undefined,
  },
];

describe('optimistic concurrency', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed([
      ...seedDeployment({
        namespace: NS,
        name: 'web',
        revisions: [
          { image: 'web:1', hash: 'c1c1c1' },
          { image: 'web:2', hash: 'c2c2c2' },
        ],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
      statefulSet('db', { replicas: 1 }),
    ]);
    await fake.waitFor(() => {
      const s = fake.get<StatefulSet>('StatefulSet', NS, 'db')?.status;
      return s?.readyReplicas === 1 && s.currentRevision === s.updateRevision;
    });
    fake.requests.length = 0;
  });
  afterEach(() => fake.close());

  it.each(CASES)('$name: a 409 once is retried after a fresh read and succeeds', async (c) => {
    fake.injectFault({ method: c.method, path: c.path, status: 409 });
    const ctx = context(cluster);
    await ACTION_CATALOG[c.action].apply(ctx, c.target, c.params);
    expect(c.changed(fake)).toBe(true);
    expect(ctx.steps.map((s) => s.name)).toEqual(['k8s.conflict', 'k8s.dry_run', 'k8s.apply']);
    expect(ctx.steps[0]).toMatchObject({ input: { attempt: 1, of: 3 }, error: expect.stringMatching(/HTTP 409/) });
    expect(fake.requests.filter((r) => r.status === 409)).toHaveLength(1);
  });

  it.each(CASES)('$name: three 409s in a row end in K8sConflict and nothing changes', async (c) => {
    fake.injectFault({ method: c.method, path: c.path, status: 409, times: 3 });
    const ctx = context(cluster);
    await expect(ACTION_CATALOG[c.action].apply(ctx, c.target, c.params)).rejects.toBeInstanceOf(K8sConflict);
    expect(c.changed(fake)).toBe(false);
    expect(ctx.steps.map((s) => s.name)).toEqual(['k8s.conflict', 'k8s.conflict', 'k8s.conflict']);
    expect(fake.requests.filter((r) => r.method === c.method && r.path === c.path)).toHaveLength(3);
  });

  it('honours policy.conflictRetries', async () => {
    fake.injectFault({ method: 'PATCH', path: DEPLOY_PATH, status: 409, times: 4 });
    const ctx = context(cluster, { conflictRetries: 5 });
    await ACTION_CATALOG.scale.apply(ctx, WEB, { replicas: 3 });
    expect(ctx.steps.filter((s) => s.name === 'k8s.conflict')).toHaveLength(4);
    expect(dep(fake).spec.replicas).toBe(3);
  });

  it.each([
    ['restart', {}],
    ['scale', { replicas: 3 }],
    ['raise_memory', { container: 'app' }],
    ['rollback', {}],
  ] as const)('%s: a concurrent write between read and apply is caught by the resourceVersion precondition; the retry keeps it', async (action, params) => {
    let raced = false;
    // Someone labels the Deployment right after our dry-run, before our write.
    const racing: ClusterPort = {
      get: (...a) => cluster.get(...a),
      list: (...a) => cluster.list(...a),
      delete: (...a) => cluster.delete(...a),
      podLog: (...a) => cluster.podLog(...a),
      readObject: (...a) => cluster.readObject(...a),
      applyObject: (...a) => cluster.applyObject(...a),
      patch: async (kind, ns, name, patch, options) => {
        if (!options?.dryRun && !raced) {
          raced = true;
          await cluster.patch(kind, ns, name, { type: 'merge', body: { metadata: { labels: { touchedBy: 'someone-else' } } } });
        }
        return cluster.patch(kind, ns, name, patch, options);
      },
    };
    const ctx = { ...context(cluster), cluster: racing };
    const steps = (ctx as ReturnType<typeof context>).steps;
    const applied = await ACTION_CATALOG[action].apply(ctx, WEB, params);
    const real409 = fake.requests.filter((r) => r.status === 409);
    expect(real409).toHaveLength(1);
    expect(real409[0]!.query.dryRun).toBeUndefined();
    expect(steps.map((s) => s.name)).toEqual(['k8s.dry_run', 'k8s.conflict', 'k8s.dry_run', 'k8s.apply']);
    // The concurrent change survives, and the snapshot is the object our write replaced.
    expect(dep(fake).metadata?.labels?.touchedBy).toBe('someone-else');
    expect(applied.preState?.metadata?.labels?.touchedBy).toBe('someone-else');
    // The successful write carried the snapshot's resourceVersion as its precondition.
    const body = writes(fake, 'real').filter((r) => r.status === 200).at(-1)!.body;
    const precondition = Array.isArray(body)
      ? (body as Array<{ path: string; value: string }>).find((op) => op.path === '/metadata/resourceVersion')?.value
      : (body as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
    expect(precondition).toBeDefined();
    expect(precondition).toBe(applied.preState?.metadata?.resourceVersion);
    expect(precondition).not.toBe(real409[0]!.body && (Array.isArray(real409[0]!.body) ? (real409[0]!.body as Array<{ path: string; value: string }>)[0]!.value : (real409[0]!.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion));
  });
});

describe('escalate and none', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
  });
  afterEach(() => fake.close());

  it.each([
    ['escalate', 'escalated to humans', 'no cluster change; escalated to humans'],
    ['none', 'no action taken; nothing to verify', 'no cluster change; nothing to do'],
  ] as const)('%s makes no Kubernetes call, has no inverse, and verifies at once', async (kind, verified, detail) => {
    const ctx = context(cluster);
    const target: TargetRef = { kind: 'Deployment', namespace: NS, name: 'missing' };
    await ACTION_CATALOG[kind].dryRun(ctx, target, {});
    expect(await ACTION_CATALOG[kind].apply(ctx, target, {})).toEqual({ preState: null, params: {}, inverse: null, detail });
    expect(await ACTION_CATALOG[kind].verify(ctx, target, {}, null)).toEqual({ ok: true, message: verified });
    expect(fake.requests).toHaveLength(0);
  });
});
