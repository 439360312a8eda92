/**
 * `restart` against the Kubernetes API fake through the real adapter: what `kubectl rollout
 * restart` would send, for Deployments, StatefulSets and DaemonSets, and awaited verification.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, ActionImpossible } from '../../agent/actions/index.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { DaemonSet, Deployment, Pod, StatefulSet } from '../../domain/k8s-objects.ts';
import { RESTARTED_AT_ANNOTATION } from '../../domain/rollout.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, daemonSet, nodes, NS, startCluster, statefulSet, writes } from './support.ts';

const restart = ACTION_CATALOG.restart;
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web' };
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('restart: Deployment', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'web',
        revisions: [{ image: 'registry.example.com/web:1.0', hash: 'a1b2c3' }],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
  });
  afterEach(() => fake.close());

  it('dry-run sends a strategic merge patch with dryRun=All and changes nothing', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web');
    const ctx = context(cluster);
    await restart.dryRun(ctx, WEB, {});
    const dry = writes(fake, 'dry');
    expect(dry).toHaveLength(1);
    expect(dry[0]).toMatchObject({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/web`, query: { dryRun: 'All' } });
    expect(dry[0]!.contentType).toMatch(/^application\/strategic-merge-patch\+json/);
    expect(writes(fake, 'real')).toHaveLength(0);
    expect(fake.get('Deployment', NS, 'web')).toEqual(before);
    expect(ctx.steps.map((s) => s.name)).toEqual(['k8s.dry_run']);
  });

  it('applies like kubectl: restartedAt on the pod template, precondition on the read resourceVersion, dry-run first', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web')!;
    const seen = await cluster.get('Deployment', NS, 'web');
    const ctx = context(cluster);
    const applied = await restart.apply(ctx, WEB, {});

    const live = fake.get<Deployment>('Deployment', NS, 'web')!;
    const stamp = live.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
    expect(stamp).toMatch(STAMP);
    expect(applied.params).toEqual({ restartedAt: stamp, fromRevision: 1 });
    expect(live.metadata?.generation).toBe((before.metadata?.generation ?? 0) + 1);
    // Only the annotation changed in the pod template.
    const { annotations: _stamp, ...liveMeta } = live.spec!.template!.metadata!;
    expect({ ...live.spec!.template, metadata: liveMeta }).toEqual(before.spec?.template);

    expect(applied.preState).toEqual(seen);
    expect(applied.preState?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(applied.inverse).toEqual({ action: 'rollback', params: { toRevision: 1 } });
    expect(applied.detail).toMatch(/undo rolls back to revision 1/);

    const [dry, real] = [writes(fake, 'dry'), writes(fake, 'real')];
    expect(dry).toHaveLength(1);
    expect(real).toHaveLength(1);
    expect(fake.requests.indexOf(dry[0]!)).toBeLessThan(fake.requests.indexOf(real[0]!));
    expect(real[0]!.body).toEqual({
      metadata: { resourceVersion: before.metadata?.resourceVersion },
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: stamp } } } },
    });
    expect(ctx.steps.map((s) => s.name)).toEqual(['k8s.dry_run', 'k8s.apply']);
  });

  it('verifies the rollout (new revision, pods ready, no restarts), and the inverse restores the pre-state template', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web')!;
    const ctx = context(cluster);
    const applied = await restart.apply(ctx, WEB, {});
    const verified = await restart.verify(ctx, WEB, applied.params, applied);
    expect(verified).toEqual({ ok: true, message: 'rollout complete: revision 2, 2/2 pods ready, no restarts' });
    const pods = fake.list<Pod>('Pod', NS);
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(applied.params.restartedAt);
    expect(ctx.steps.at(-1)).toMatchObject({ name: 'k8s.verify', output: verified });

    const inverse = applied.inverse!;
    const undo = ACTION_CATALOG[inverse.action];
    const undone = await undo.apply(ctx, WEB, inverse.params);
    expect(undone.params).toMatchObject({ fromRevision: 2, toRevision: 1 });
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.template).toEqual(before.spec?.template);
    expect(await undo.verify(ctx, WEB, inverse.params, undone)).toMatchObject({ ok: true, message: expect.stringMatching(/revision 3, 2\/2 pods ready/) });
  });

  it('fails verification with what was seen when the new pods crash-loop', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 600 });
    const applied = await restart.apply(ctx, WEB, {});
    const t0 = Date.now();
    const verified = await restart.verify(ctx, WEB, applied.params, applied);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 600 ms: .*replicas.*web-[a-z0-9]+-[a-z0-9]+: CrashLoopBackOff \(exit 1\)/);
    expect(ctx.steps.at(-1)).toMatchObject({ name: 'k8s.verify', error: verified.message });
  });

  it('refuses a paused deployment without writing anything', async () => {
    await cluster.patch('Deployment', NS, 'web', { type: 'merge', body: { spec: { paused: true } } });
    fake.requests.length = 0;
    const ctx = context(cluster);
    await expect(restart.apply(ctx, WEB, {})).rejects.toThrow(ActionImpossible);
    await expect(restart.dryRun(ctx, WEB, {})).rejects.toThrow(/can't restart paused deployment/);
    expect(writes(fake)).toHaveLength(0);
  });

  it('reports a missing deployment as the 404 the API server answered', async () => {
    const ctx = context(cluster);
    await expect(restart.apply(ctx, { ...WEB, name: 'nope' }, {})).rejects.toMatchObject({ name: 'K8sCallFailed', status: 404 });
  });
});

describe('restart: progress deadline', () => {
  it('fails at once when the deployment exceeds its progress deadline, without waiting for the timeout', async () => {
    const fake = await startK8sFake({ rolloutStepMs: 5, progressDeadlineMs: 150 });
    try {
      const cluster = new KubernetesCluster(fake.kubeConfig());
      fake.seed(seedDeployment({ namespace: NS, name: 'web', revisions: [{ image: 'web:1', hash: 'h1' }], state: { kind: 'ready' } }));
      fake.setPodBehaviour('imagepull');
      const ctx = context(cluster, { verifyTimeoutMs: 10_000 });
      const applied = await restart.apply(ctx, WEB, {});
      const t0 = Date.now();
      const verified = await restart.verify(ctx, WEB, applied.params, applied);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(verified).toEqual({ ok: false, message: expect.stringMatching(/deployment "web" exceeded its progress deadline; .*ImagePullBackOff/) });
    } finally {
      await fake.close();
    }
  });
});

describe('restart: StatefulSet', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  const DB: TargetRef = { kind: 'StatefulSet', namespace: NS, name: 'db' };
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed([statefulSet('db', { replicas: 3 })]);
    await fake.waitFor(() => {
      const s = fake.get<StatefulSet>('StatefulSet', NS, 'db')?.status;
      return s?.readyReplicas === 3 && s.currentRevision === s.updateRevision;
    });
  });
  afterEach(() => fake.close());

  it('rolls every pod to the new revision, verified by kubectl rules; not reversible', async () => {
    const before = fake.get<StatefulSet>('StatefulSet', NS, 'db')!;
    const seen = await cluster.get('StatefulSet', NS, 'db');
    const oldUids = fake.list<Pod>('Pod', NS).map((p) => p.metadata?.uid);
    const ctx = context(cluster);
    const applied = await restart.apply(ctx, DB, {});
    expect(applied.preState).toEqual(seen);
    expect(applied.preState?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(applied.inverse).toBeNull();
    expect(applied.detail).toMatch(/not reversible/);
    expect(fake.get<StatefulSet>('StatefulSet', NS, 'db')!.spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toMatch(STAMP);
    expect(writes(fake, 'real')[0]!.path).toBe(`/apis/apps/v1/namespaces/${NS}/statefulsets/db`);

    const verified = await restart.verify(ctx, DB, applied.params, applied);
    const after = fake.get<StatefulSet>('StatefulSet', NS, 'db')!;
    expect(after.status?.updateRevision).not.toBe(before.status?.updateRevision);
    expect(verified).toEqual({ ok: true, message: `rollout complete: revision ${after.status?.updateRevision}, 3/3 pods ready, no restarts` });
    const pods = fake.list<Pod>('Pod', NS);
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    for (const p of pods) {
      expect(oldUids).not.toContain(p.metadata?.uid);
      expect(p.metadata?.labels?.['controller-revision-hash']).toBe(after.status?.updateRevision);
    }
  });

  it('fails verification when the highest ordinal comes back crash-looping (the controller then waits)', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 500 });
    const applied = await restart.apply(ctx, DB, {});
    const verified = await restart.verify(ctx, DB, applied.params, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 500 ms: waiting for 1 pods to be ready \(2\/3 ready\); db-2: CrashLoopBackOff \(exit 1\)$/);
    // db-0 and db-1 were never replaced: the rollout stalled at db-2.
    const revisions = fake.list<Pod>('Pod', NS).map((p) => [p.metadata?.name, p.metadata?.labels?.['controller-revision-hash']]);
    const update = fake.get<StatefulSet>('StatefulSet', NS, 'db')!.status?.updateRevision;
    expect(revisions.filter(([, r]) => r === update).map(([n]) => n)).toEqual(['db-2']);
  });
});

describe('restart: DaemonSet', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  const AGENT: TargetRef = { kind: 'DaemonSet', namespace: NS, name: 'agent' };
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    fake.seed([...nodes('node-a', 'node-b', 'node-c'), daemonSet('agent')]);
    await fake.waitFor(() => fake.get<DaemonSet>('DaemonSet', NS, 'agent')?.status?.numberAvailable === 3);
  });
  afterEach(() => fake.close());

  it('replaces the pod on every node and verifies updatedNumberScheduled and numberAvailable', async () => {
    const oldUids = fake.list<Pod>('Pod', NS).map((p) => p.metadata?.uid);
    const ctx = context(cluster);
    const applied = await restart.apply(ctx, AGENT, {});
    expect(applied.inverse).toBeNull();
    const verified = await restart.verify(ctx, AGENT, applied.params, applied);
    expect(verified).toEqual({ ok: true, message: 'rollout complete: current revision, 3/3 pods ready, no restarts' });
    const pods = fake.list<Pod>('Pod', NS);
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const p of pods) {
      expect(oldUids).not.toContain(p.metadata?.uid);
      expect(p.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(applied.params.restartedAt);
    }
    expect(fake.get<DaemonSet>('DaemonSet', NS, 'agent')!.status).toMatchObject({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 });
  });

  it('fails verification with the crash-looping pods it saw', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 400 });
    const applied = await restart.apply(ctx, AGENT, {});
    const verified = await restart.verify(ctx, AGENT, applied.params, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 400 ms: .*agent-[a-z0-9]{5}: CrashLoopBackOff \(exit 1\)/);
  });
});
