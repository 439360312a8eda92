/**
 * `scale` against the Kubernetes API fake through the real adapter: the merge patch on
 * spec.replicas with the resourceVersion, policy bounds at execution time, verification of
 * ready replicas, and scaling back (the inverse).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, ActionImpossible } from '../../agent/actions/index.ts';
import type { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, Pod, StatefulSet } from '../../domain/k8s-objects.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, NS, startCluster, statefulSet, writes } from './support.ts';

const scale = ACTION_CATALOG.scale;
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web' };
const DB: TargetRef = { kind: 'StatefulSet', namespace: NS, name: 'db' };

describe('scale', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed(seedDeployment({ namespace: NS, name: 'web', replicas: 2, revisions: [{ image: 'web:1', hash: 'w1w1w1' }], state: { kind: 'ready' } }));
  });
  afterEach(() => fake.close());

  it('dry-runs a merge patch with dryRun=All that changes nothing', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web');
    await scale.dryRun(context(cluster), WEB, { replicas: 4 });
    const dry = writes(fake, 'dry');
    expect(dry).toHaveLength(1);
    expect(dry[0]!.contentType).toMatch(/^application\/merge-patch\+json/);
    expect(writes(fake, 'real')).toHaveLength(0);
    expect(fake.get('Deployment', NS, 'web')).toEqual(before);
  });

  it('sets spec.replicas with the precondition, verifies ready replicas, and scales back with the inverse', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web')!;
    const seen = await cluster.get('Deployment', NS, 'web');
    const ctx = context(cluster);
    const applied = await scale.apply(ctx, WEB, { replicas: 4 });
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.replicas).toBe(4);
    expect(writes(fake, 'real')[0]!.body).toEqual({ metadata: { resourceVersion: before.metadata?.resourceVersion }, spec: { replicas: 4 } });
    expect(applied.preState).toEqual(seen);
    expect(applied.params).toEqual({ replicas: 4, fromReplicas: 2 });
    expect(applied.inverse).toEqual({ action: 'scale', params: { replicas: 2 } });

    expect(await scale.verify(ctx, WEB, applied.params, applied)).toEqual({ ok: true, message: 'deployment/web has 4/4 replicas ready' });
    expect(fake.list<Pod>('Pod', NS)).toHaveLength(4);

    const back = await scale.apply(ctx, WEB, applied.inverse!.params);
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.replicas).toBe(2);
    expect(await scale.verify(ctx, WEB, applied.inverse!.params, back)).toEqual({ ok: true, message: 'deployment/web has 2/2 replicas ready' });
    expect(fake.list<Pod>('Pod', NS)).toHaveLength(2);
  });

  it('re-checks the policy bounds when executing and writes nothing when out of bounds', async () => {
    const ctx = context(cluster, { maxScaleReplicas: 5 });
    await expect(scale.apply(ctx, WEB, { replicas: 6 })).rejects.toThrow(/6 replicas exceeds the policy maximum of 5/);
    await expect(scale.apply(ctx, WEB, { replicas: 0 })).rejects.toBeInstanceOf(ActionImpossible);
    await expect(scale.dryRun(ctx, WEB, { replicas: 0 })).rejects.toThrow(/scaling to 0 replicas is not allowed/);
    expect(writes(fake)).toHaveLength(0);
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.replicas).toBe(2);
  });

  it('scales to 0 when the policy allows it, and then cannot undo beyond the policy', async () => {
    const ctx = context(cluster, { allowScaleToZero: true });
    const applied = await scale.apply(ctx, WEB, { replicas: 0 });
    expect(await scale.verify(ctx, WEB, applied.params, applied)).toEqual({ ok: true, message: 'deployment/web has 0/0 replicas ready' });
    expect(fake.list<Pod>('Pod', NS)).toHaveLength(0);
    expect(applied.inverse).toEqual({ action: 'scale', params: { replicas: 2 } });
  });

  it('gives no inverse when the previous count is outside the policy', async () => {
    await cluster.patch('Deployment', NS, 'web', { type: 'merge', body: { spec: { replicas: 12 } } });
    await fake.waitForRollout(NS, 'web');
    const applied = await scale.apply(context(cluster), WEB, { replicas: 4 });
    expect(applied.inverse).toBeNull();
    expect(applied.detail).toMatch(/not reversible automatically: 12 replicas exceeds the policy maximum of 10/);
  });

  it('fails verification with what was seen when the new pods crash-loop', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 400 });
    const applied = await scale.apply(ctx, WEB, { replicas: 4 });
    const verified = await scale.verify(ctx, WEB, applied.params, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 400 ms: 2\/4 replicas ready, 4 running; web-w1w1w1-[a-z0-9]{5}: CrashLoopBackOff \(exit 1\)/);
  });

  it('fails verification at once when something else changed spec.replicas', async () => {
    const ctx = context(cluster);
    const applied = await scale.apply(ctx, WEB, { replicas: 3 });
    await cluster.patch('Deployment', NS, 'web', { type: 'merge', body: { spec: { replicas: 5 } } });
    expect(await scale.verify(ctx, WEB, applied.params, applied)).toEqual({
      ok: false,
      message: 'spec.replicas is 5, not 3: something else changed it (an HPA or another client)',
    });
  });

  it('scales a StatefulSet up and back down by ordinal', async () => {
    fake.seed([statefulSet('db', { replicas: 2 })]);
    await fake.waitFor(() => fake.get<StatefulSet>('StatefulSet', NS, 'db')?.status?.readyReplicas === 2);
    const ctx = context(cluster);
    const applied = await scale.apply(ctx, DB, { replicas: 3 });
    expect(await scale.verify(ctx, DB, applied.params, applied)).toEqual({ ok: true, message: 'statefulset/db has 3/3 replicas ready' });
    const names = () => fake.list<Pod>('Pod', NS).filter((p) => p.metadata?.name?.startsWith('db-')).map((p) => p.metadata?.name).sort();
    expect(names()).toEqual(['db-0', 'db-1', 'db-2']);
    const back = await scale.apply(ctx, DB, applied.inverse!.params);
    expect(await scale.verify(ctx, DB, applied.inverse!.params, back)).toMatchObject({ ok: true });
    expect(names()).toEqual(['db-0', 'db-1']);
  });
});
