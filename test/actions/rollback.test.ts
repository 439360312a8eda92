/**
 * `rollback` against the Kubernetes API fake through the real adapter: `kubectl rollout undo`
 * (previous revision or --to-revision), the JSON patch with the resourceVersion, verification,
 * and the inverse.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_CATALOG, ActionImpossible } from '../../agent/actions/index.ts';
import type { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, ReplicaSet } from '../../domain/k8s-objects.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';
import { context, evidence, NS, startCluster, writes } from './support.ts';

const rollback = ACTION_CATALOG.rollback;
const WEB: TargetRef = { kind: 'Deployment', namespace: NS, name: 'web' };
const IMAGE = (v: string) => `registry.example.com/web:${v}`;
const imageOf = (d: Deployment | undefined) => d?.spec?.template?.spec?.containers[0]?.image;
const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } } | undefined) => o?.metadata?.annotations?.['deployment.kubernetes.io/revision'];

describe('rollback', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;
  beforeEach(async () => {
    ({ fake, cluster } = await startCluster());
    // Revision 3 (1.2) crash-loops; 1.0 and 1.1 were fine.
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'web',
        revisions: [
          { image: IMAGE('1.0'), hash: 'r1aaaa' },
          { image: IMAGE('1.1'), hash: 'r2bbbb' },
          { image: IMAGE('1.2'), hash: 'r3cccc' },
        ],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
  });
  afterEach(() => fake.close());

  it('plans from real evidence, then dry-runs a JSON patch with dryRun=All that changes nothing', async () => {
    const prepared = rollback.prepare(await evidence(cluster, WEB), {}, context(cluster).policy);
    expect(prepared).toMatchObject({ kind: 'ok', params: { fromRevision: 3, toRevision: 2 } });
    const before = fake.get<Deployment>('Deployment', NS, 'web');
    fake.requests.length = 0;
    await rollback.dryRun(context(cluster), WEB, prepared.kind === 'ok' ? prepared.params : {});
    const dry = writes(fake, 'dry');
    expect(dry).toHaveLength(1);
    expect(dry[0]!.contentType).toMatch(/^application\/json-patch\+json/);
    expect(writes(fake, 'real')).toHaveLength(0);
    expect(fake.get('Deployment', NS, 'web')).toEqual(before);
  });

  it('rolls back to the previous revision like kubectl rollout undo, then verifies; the inverse goes forward again', async () => {
    const before = fake.get<Deployment>('Deployment', NS, 'web')!;
    const seen = await cluster.get('Deployment', NS, 'web');
    const ctx = context(cluster);
    const applied = await rollback.apply(ctx, WEB, {});

    expect(applied.preState).toEqual(seen);
    expect(applied.params).toEqual({ fromRevision: 3, toRevision: 2 });
    expect(applied.inverse).toEqual({ action: 'rollback', params: { toRevision: 3 } });
    const rs2 = fake.get<ReplicaSet>('ReplicaSet', NS, 'web-r2bbbb')!;
    const live = fake.get<Deployment>('Deployment', NS, 'web')!;
    expect(imageOf(live)).toBe(IMAGE('1.1'));
    // The template is the old ReplicaSet's, without its pod-template-hash label.
    expect(live.spec?.template?.metadata?.labels).toEqual({ app: 'web' });
    expect(writes(fake, 'real')[0]!.body).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: before.metadata?.resourceVersion },
      { op: 'replace', path: '/spec/template', value: expect.objectContaining({ metadata: { labels: { app: 'web' } } }) },
    ]);

    const verified = await rollback.verify(ctx, WEB, applied.params, applied);
    expect(verified).toEqual({ ok: true, message: 'rollout complete: revision 4, 2/2 pods ready, no restarts' });
    // kubectl semantics: the reused ReplicaSet gets the next revision number.
    expect(revisionOf(fake.get<ReplicaSet>('ReplicaSet', NS, 'web-r2bbbb'))).toBe('4');
    expect(rs2.metadata?.uid).toBe(fake.get<ReplicaSet>('ReplicaSet', NS, 'web-r2bbbb')!.metadata?.uid);

    const undone = await rollback.apply(ctx, WEB, applied.inverse!.params);
    expect(undone.params).toEqual({ toRevision: 3, fromRevision: 4 });
    expect(fake.get<Deployment>('Deployment', NS, 'web')!.spec?.template).toEqual(before.spec?.template);
  });

  it('rolls back to an explicit revision (--to-revision)', async () => {
    const ctx = context(cluster);
    const applied = await rollback.apply(ctx, WEB, { toRevision: 1 });
    expect(imageOf(fake.get<Deployment>('Deployment', NS, 'web'))).toBe(IMAGE('1.0'));
    expect(applied.params).toEqual({ fromRevision: 3, toRevision: 1 });
    expect(applied.inverse).toEqual({ action: 'rollback', params: { toRevision: 3 } });
  });

  it('skips without writing when the template already matches the revision', async () => {
    const ctx = context(cluster);
    await rollback.apply(ctx, WEB, { toRevision: 2 });
    await fake.waitForRollout(NS, 'web');
    fake.requests.length = 0;
    // Revision 2 was renumbered 4; ReplicaSet r3 still holds revision 3 — going "to 4" is a no-op.
    const applied = await rollback.apply(ctx, WEB, { toRevision: 4 });
    expect(applied).toMatchObject({ inverse: null, detail: 'skipped rollback (current template already matches revision 4)' });
    expect(writes(fake)).toHaveLength(0);
  });

  it('refuses an unknown revision and a deployment without history, writing nothing', async () => {
    const ctx = context(cluster);
    await expect(rollback.apply(ctx, WEB, { toRevision: 9 })).rejects.toThrow(/revision 9 is not in the rollout history \(revisions: 1, 2, 3\)/);
    fake.seed(seedDeployment({ namespace: NS, name: 'solo', revisions: [{ image: 'solo:1', hash: 'solo1' }], state: { kind: 'ready' } }));
    await expect(rollback.apply(ctx, { ...WEB, name: 'solo' }, {})).rejects.toBeInstanceOf(ActionImpossible);
    expect(writes(fake)).toHaveLength(0);
  });

  it('fails verification with what was seen when the old revision crashes too', async () => {
    fake.setPodBehaviour(({ template }) => (template.spec?.containers[0]?.image === IMAGE('1.1') ? 'crashloop' : 'ready'));
    const ctx = context(cluster, { verifyTimeoutMs: 500 });
    const applied = await rollback.apply(ctx, WEB, {});
    const verified = await rollback.verify(ctx, WEB, applied.params, applied);
    expect(verified.ok).toBe(false);
    expect(verified.message).toMatch(/^not verified within 500 ms: .*web-r2bbbb-[a-z0-9]{5}: CrashLoopBackOff \(exit 1\)/);
  });
});
