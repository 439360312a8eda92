/**
 * The executor over in-memory ports and an in-memory cluster: the blast radius is re-scored on
 * live state right before applying, and an approval that no longer covers the live tier is not
 * applied (a named result, the card says why, approval is asked again on a new card).
 */
import { describe, expect, it } from 'vitest';
import { Executor } from '../../../agent/incidents/executor.ts';
import { MemoryCluster } from '../../../agent/memory-cluster.ts';
import type { ClusterPort } from '../../../agent/ports.ts';
import type { KObject } from '../../../domain/k8s-objects.ts';
import { seeded, testCore } from './memory.ts';

/** A Deployment `web` with `replicas` desired and `available` available, in `namespace`. */
function deployment(namespace: string, replicas: number, available: number): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace, uid: 'u1', generation: 1, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1' }] } } },
    status: { observedGeneration: 1, replicas, updatedReplicas: replicas, readyReplicas: available, availableReplicas: available },
  } as KObject;
}

/** The cluster, with every write recorded (the in-memory cluster refuses writes: "offline"). */
function recording(objects: KObject[]): { cluster: ClusterPort; writes: string[] } {
  const inner = new MemoryCluster(objects);
  const writes: string[] = [];
  const cluster = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'patch' || prop === 'delete' || prop === 'applyObject') writes.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { cluster, writes };
}

describe('Executor', () => {
  it('does not apply when the live blast radius needs more approvals than were given, and asks again', async () => {
    // Approved by one approver (human tier); live, a critical namespace's Deployment has been
    // scaled to 20 with only 2 available: a restart now scores dual (55).
    const { cluster, writes } = recording([deployment('shop-prod', 20, 2)]);
    const t = testCore({ cluster });
    const { rem, incident } = await seeded(t, { state: 'approved', plan: { tier: 'human', target: { kind: 'Deployment', namespace: 'shop-prod', name: 'web' } }, incident: { target: { kind: 'Deployment', namespace: 'shop-prod', name: 'web' } } });
    await t.repos.cards.save({ ref: { chatId: -100, messageId: 7 }, kind: 'incident', incidentId: incident.id, remediationId: rem.id, now: t.clock.now() });

    const outcome = await new Executor(t.core, t.cards).run(rem.id);

    expect(outcome).toMatchObject({ kind: 'skipped_tier_rose', approvedTier: 'human', liveTier: 'dual' });
    expect(writes).toEqual([]);
    const old = t.repos.remediationRows.get(rem.id)!;
    expect(old.state).toBe('cancelled');
    expect(old.result).toMatchObject({ ok: false, reapproval: { from: 'human', to: 'dual' } });
    expect(old.result!.message).toMatch(/^not applied: blast radius rose since approval: 25 \(human\) → \d+ \(dual\)/);
    // The old card says why and offers nothing; a new card asks two admins.
    expect(t.notifier.shown(7)).toMatchObject({ proposal: { state: 'cancelled', skipped: 'tier_rose' }, actions: [] });
    const again = t.repos.remediationRows.get(outcome.kind === 'skipped_tier_rose' ? outcome.reasked : -1)!;
    expect(again).toMatchObject({ state: 'pending', approvalsRequired: 2, origin: 'alert', plan: { tier: 'dual', autoExecute: false } });
    expect(t.notifier.posted).toHaveLength(1);
    expect(t.notifier.posted[0].view).toMatchObject({ proposal: { remediationId: again.id, tier: 'dual', state: 'pending' }, actions: ['approve', 'reject', 'later', 'silence'] });
    expect(t.notifier.posted[0].view.proposal!.reasons[0]).toMatch(/^approval asked again: blast radius rose/);
    expect(t.repos.actions()).toContain('remediation.skipped');
    expect(t.outcomes).toEqual([expect.objectContaining({ remediationId: rem.id, state: 'cancelled' })]);
  });

  it('an auto-tier remediation whose live score needs a human is not applied', async () => {
    const { cluster, writes } = recording([deployment('shop-prod', 1, 0)]);
    const t = testCore({ cluster });
    const { rem } = await seeded(t, { state: 'approved', plan: { tier: 'auto', target: { kind: 'Deployment', namespace: 'shop-prod', name: 'web' } } });
    expect((await new Executor(t.core, t.cards).run(rem.id)).kind).toBe('skipped_tier_rose');
    expect(writes).toEqual([]);
  });

  it('applies when the approvals still cover the live tier (re-score recorded as a step)', async () => {
    // Healthy 3 replicas in a plain namespace: the live tier is within what was approved. The
    // in-memory cluster then refuses the write ("offline"), which fails the execution.
    const { cluster, writes } = recording([deployment('shop', 3, 3)]);
    const t = testCore({ cluster });
    const { rem } = await seeded(t, { state: 'approved', plan: { tier: 'human' } });
    const outcome = await new Executor(t.core, t.cards).run(rem.id);
    expect(outcome.kind).toBe('failed');
    expect(writes.length).toBeGreaterThan(0);
    const failed = t.repos.remediationRows.get(rem.id)!;
    expect(failed.state).toBe('failed');
    expect(failed.result!.steps![0]).toMatch(/^blast radius re-scored on live state: \d+\/100 \((auto|human)\)$/);
    expect(t.outcomes).toEqual([expect.objectContaining({ remediationId: rem.id, state: 'failed' })]);
  });

  it('a duplicate job of a remediation no longer approved does nothing', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'rejected' });
    expect(await new Executor(t.core, t.cards).run(rem.id)).toEqual({ kind: 'not_approved' });
    expect(t.repos.auditRows).toEqual([]);
  });
});
