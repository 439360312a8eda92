/**
 * `raise_memory` against the Kubernetes API fake through the real adapter: the strategic merge
 * patch on the container by name, ×1.5 rounded up to Mi and capped, request kept, verification
 * of the rollout and of the live limit, and the inverse putting the old limit back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, ActionImpossible } from '../../agent/actions/index.ts';
import type { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, StatefulSet } from '../../domain/k8s-objects.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, evidence, NS, startCluster, statefulSet, writes } from './support.ts';

const raise = ACTION_CATALOG.raise_memory;
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web', container: 'app' };
const appOf = (d: Deployment | StatefulSet | undefined) => d?.spec?.template?.spec?.containers.find((c) => c.name === 'app');

describe('raise_memory', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    // Container app: limits memory 256Mi / cpu 500m, requests memory 128Mi / cpu 100m; OOM-killed.
    fake.seed(
      seedDeployment({ namespace: NS, name: 'web', revisions: [{ image: 'web:1', hash: 'm1m1m1' }], state: { kind: 'crashloop', exitCode: 137 } }),
    );
  });
  afterEach(() => fake.close());

  it('plans ×1.5 from real evidence and dry-runs the strategic patch with dryRun=All, changing nothing', async () => {
    const prepared = raise.prepare(await evidence(cluster, WEB), { container: 'app', currentLimit: '256Mi' }, context(cluster).policy);
    expect(prepared).toMatchObject({ kind: 'ok', params: { container: 'app', limit: '384Mi', fromLimit: '256Mi' } });
    const before = fake.get('Deployment', NS, 'web');
    fake.requests.length = 0;
    await raise.dryRun(context(cluster), WEB, prepared.kind === 'ok' ? prepared.params : {});
    const dry = writes(fake, 'dry');
    expect(dry).toHaveLength(1);
    expect(dry[0]!.contentType).toMatch(/^application\/strategic-merge-patch\+json/);
    expect(writes(fake, 'real')).toHaveLength(0);
    expect(fake.get('Deployment', NS, 'web')).toEqual(before);
  });

  it('raises the limit on the container by name, keeps everything else, verifies, and the inverse restores the template', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web')!;
    const seen = await cluster.get('Deployment', NS, 'web');
    const ctx = context(cluster);
    const applied = await raise.apply(ctx, WEB, { container: 'app' });

    const live = fake.get<Deployment>('Deployment', NS, 'web')!;
    expect(appOf(live)?.resources).toEqual({ limits: { memory: '384Mi', cpu: '500m' }, requests: { memory: '128Mi', cpu: '100m' } });
    expect({ ...appOf(live), resources: undefined }).toEqual({ ...appOf(before), resources: undefined });
    expect(writes(fake, 'real')[0]!.body).toEqual({
      metadata: { resourceVersion: before.metadata?.resourceVersion },
      spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '384Mi' } } }] } } },
    });
    expect(applied.preState).toEqual(seen);
    expect(applied.params).toEqual({ container: 'app', limit: '384Mi', fromLimit: '256Mi', fromRequest: '128Mi' });
    expect(applied.inverse).toEqual({ action: 'raise_memory', params: { container: 'app', limit: '256Mi', fromLimit: '384Mi' } });
    expect(applied.detail).toBe('memory limit of app in deployment/web set from 256Mi to 384Mi (request 128Mi kept); undo sets 256Mi back');

    expect(await raise.verify(ctx, WEB, applied.params, applied)).toEqual({ ok: true, message: 'rollout complete: revision 2, 2/2 pods ready, no restarts' });

    const undone = await raise.apply(ctx, WEB, applied.inverse!.params);
    expect(undone.inverse).toEqual({ action: 'raise_memory', params: { container: 'app', limit: '384Mi', fromLimit: '256Mi' } });
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.template).toEqual(before.spec?.template);
    expect(await raise.verify(ctx, WEB, applied.inverse!.params, undone)).toMatchObject({ ok: true });
  });

  it('caps the new limit and refuses once at the cap', async () => {
    const ctx = context(cluster, { maxMemoryBytes: 300 * 1024 ** 2 });
    const applied = await raise.apply(ctx, WEB, { container: 'app' });
    expect(appOf(fake.get<Deployment>('Deployment', NS, 'web'))?.resources?.limits?.memory).toBe('300Mi');
    expect(applied.detail).toMatch(/capped at 300Mi/);
    fake.requests.length = 0;
    await expect(raise.apply(ctx, WEB, { container: 'app' })).rejects.toThrow(/already at or above the cap of 300Mi/);
    expect(writes(fake)).toHaveLength(0);
  });

  it('refuses a plan gone stale (the limit changed since planning) and an unknown container', async () => {
    await cluster.patch('Deployment', NS, 'web', {
      type: 'strategic',
      body: { spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '512Mi' } } }] } } } },
    });
    fake.requests.length = 0;
    const ctx = context(cluster);
    await expect(raise.apply(ctx, WEB, { container: 'app', limit: '384Mi', fromLimit: '256Mi' })).rejects.toThrow(/changed since planning/);
    await expect(raise.apply(ctx, WEB, { container: 'sidecar' })).rejects.toBeInstanceOf(ActionImpossible);
    expect(writes(fake)).toHaveLength(0);
  });

  it('fails verification when the new pods crash-loop, and when the limit is no longer the one applied', async () => {
    fake.setPodBehaviour('crashloop');
    const ctx = context(cluster, { verifyTimeoutMs: 400 });
    const applied = await raise.apply(ctx, WEB, { container: 'app' });
    const verified = await raise.verify(ctx, WEB, applied.params, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 400 ms: .*web-[a-z0-9]+-[a-z0-9]{5}: CrashLoopBackOff \(exit 1\)/);

    await cluster.patch('Deployment', NS, 'web', {
      type: 'strategic',
      body: { spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '300Mi' } } }] } } } },
    });
    expect(await raise.verify(ctx, WEB, applied.params, applied)).toEqual({
      ok: false,
      message: 'memory limit of app is 300Mi, not 384Mi: the change is not live (changed again or never applied)',
    });
  });

  it('raises a StatefulSet container and verifies its rollout', async () => {
    fake.seed([statefulSet('db', { replicas: 2 })]);
    await fake.waitFor(() => fake.get<StatefulSet>('StatefulSet', NS, 'db')?.status?.readyReplicas === 2);
    const ctx = context(cluster);
    const DB: TargetRef = { kind: 'StatefulSet', namespace: NS, name: 'db' };
    const applied = await raise.apply(ctx, DB, { container: 'app' });
    expect(appOf(fake.get<StatefulSet>('StatefulSet', NS, 'db'))?.resources?.limits?.memory).toBe('384Mi');
    const verified = await raise.verify(ctx, DB, applied.params, applied);
    expect(verified).toMatchObject({ ok: true, message: expect.stringMatching(/^rollout complete: revision db-[a-z0-9]+, 2\/2 pods ready, no restarts$/) });
  });
});
