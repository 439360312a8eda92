/**
 * `delete_pod` against the Kubernetes API fake through the real adapter: dry-run delete, the
 * controller-owned check, verification that a replacement of the same owner becomes Ready.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, ActionImpossible } from '../../agent/actions/index.ts';
import type { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Pod, StatefulSet } from '../../domain/k8s-objects.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, evidence, NS, startCluster, statefulSet, writes } from './support.ts';

const del = ACTION_CATALOG.delete_pod;
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web' };
const POD = 'web-d1d1d1-p0x0';

describe('delete_pod', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed(
      seedDeployment({ namespace: NS, name: 'web', replicas: 2, revisions: [{ image: 'web:1', hash: 'd1d1d1' }], state: { kind: 'crashloop', exitCode: 1 } }),
    );
  });
  afterEach(() => fake.close());

  it('plans from real evidence and dry-runs the DELETE with dryRun=All, leaving the pod', async () => {
    const prepared = del.prepare(await evidence(cluster, WEB), { pod: POD }, context(cluster).policy);
    expect(prepared).toMatchObject({ kind: 'ok', description: `delete pod ${POD} (its ReplicaSet web-d1d1d1 recreates it)` });
    fake.requests.length = 0;
    await del.dryRun(context(cluster), WEB, { pod: POD });
    expect(writes(fake, 'dry')).toMatchObject([{ method: 'DELETE', path: `/api/v1/namespaces/${NS}/pods/${POD}`, query: { dryRun: 'All' } }]);
    expect(writes(fake, 'real')).toHaveLength(0);
    expect(fake.get('Pod', NS, POD)).toBeDefined();
  });

  it('deletes the pod; the ReplicaSet recreates it and verification sees the replacement Ready; not reversible', async () => {
    const seen = await cluster.get('Pod', NS, POD);
    const uids = fake.list<Pod>('Pod', NS).map((p) => p.metadata?.uid);
    const ctx = context(cluster);
    const applied = await del.apply(ctx, WEB, { pod: POD });
    expect(fake.get('Pod', NS, POD)).toBeUndefined();
    expect(applied.preState).toEqual(seen);
    expect(applied.inverse).toBeNull();
    expect(applied.detail).toBe(`deleted pod ${POD}; not reversible; its controller recreates it (ReplicaSet web-d1d1d1)`);
    expect(applied.params).toMatchObject({ pod: POD, podUid: `uid-pod-${POD}`, ownerKind: 'ReplicaSet', ownerName: 'web-d1d1d1' });
    expect(String(applied.params.siblings).split(',').sort()).toEqual([...uids].sort());
    expect(ctx.steps.map((s) => s.name)).toEqual(['k8s.dry_run', 'k8s.apply']);

    const verified = await del.verify(ctx, WEB, { pod: POD }, applied);
    expect(verified.ok).toBe(true);
    expect(verified.message).toMatch(new RegExp(`^pod ${POD} is gone; replacement web-d1d1d1-[a-z0-9]{5} is ready \\(ReplicaSet web-d1d1d1: 1/2 pods ready\\)$`));
    // The other crash-looping pod was left alone.
    expect(fake.get('Pod', NS, 'web-d1d1d1-p1x1')).toBeDefined();
  });

  it('fails verification with what was seen when the replacement crash-loops', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 400 });
    const applied = await del.apply(ctx, WEB, { pod: POD });
    const verified = await del.verify(ctx, WEB, { pod: POD }, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(
      new RegExp(`^(not verified within 400 ms: pod ${POD} is gone; replacement not ready: web-d1d1d1-[a-z0-9]{5}: CrashLoopBackOff \\(exit 1\\)|replacement web-d1d1d1-[a-z0-9]{5} restarted \\d+ time\\(s\\): .*CrashLoopBackOff.*)$`),
    );
  });

  it('refuses a bare pod and a pod of another workload, deleting nothing', async () => {
    fake.seed([
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'debug', namespace: NS, labels: { app: 'web' } }, spec: { containers: [{ name: 'sh', image: 'busybox' }] } },
      ...seedDeployment({ namespace: NS, name: 'api', revisions: [{ image: 'api:1', hash: 'a9a9a9' }], state: { kind: 'ready' } }),
    ]);
    const ctx = context(cluster);
    await expect(del.apply(ctx, { kind: 'Pod', namespace: NS, name: 'debug' }, {})).rejects.toThrow(/debug has no controller .* lose it for good/);
    await expect(del.apply(ctx, WEB, { pod: 'debug' })).rejects.toBeInstanceOf(ActionImpossible);
    await expect(del.apply(ctx, WEB, { pod: 'api-a9a9a9-p0x0' })).rejects.toThrow(/pod api-a9a9a9-p0x0 does not belong to Deployment shop\/web/);
    expect(writes(fake)).toHaveLength(0);
    expect(fake.get('Pod', NS, 'debug')).toBeDefined();
  });

  it('deletes a StatefulSet pod; the replacement keeps its name and is told apart by uid', async () => {
    fake.seed([statefulSet('db', { replicas: 3 })]);
    await fake.waitFor(() => fake.get<StatefulSet>('StatefulSet', NS, 'db')?.status?.readyReplicas === 3);
    const old = fake.get<Pod>('Pod', NS, 'db-1')!;
    const ctx = context(cluster);
    const target: TargetRef = { kind: 'Pod', namespace: NS, name: 'db-1' };
    const applied = await del.apply(ctx, target, {});
    expect(applied.params).toMatchObject({ pod: 'db-1', ownerKind: 'StatefulSet', ownerName: 'db' });
    const verified = await del.verify(ctx, target, {}, applied);
    expect(verified).toEqual({ ok: true, message: 'pod db-1 is gone; replacement db-1 is ready (StatefulSet db: 3/3 pods ready)' });
    expect(fake.get<Pod>('Pod', NS, 'db-1')!.metadata?.uid).not.toBe(old.metadata?.uid);
  });
});
