/**
 * Leader election on a coordination.k8s.io/v1 Lease against the Kubernetes fake over HTTP:
 * create, respect a live holder, take over after leaseDurationSeconds of silence (observed
 * locally), 409 between simultaneous candidates, release on stop. Time is driven by each lock's
 * clock, as client-go's tests drive theirs.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from '../../agent/leader.ts';
import { KubernetesLeaseLock } from '../../agent/k8s/lease.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';

const NS = 'watchkeeper';

describe('KubernetesLeaseLock', () => {
  let fake: K8sFake;
  beforeAll(async () => {
    fake = await startK8sFake();
    fake.seed([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
  });
  afterAll(async () => {
    await fake?.close();
  });

  /** A lock on Lease `name` whose clock is `clock.t` (ms). */
  const lockOf = (name: string, identity: string, clock: { t: number }) =>
    new KubernetesLeaseLock(fake.kubeConfig(), { name, namespace: NS, identity, leaseDurationSeconds: 15, now: () => clock.t });
  const leaseSpec = (name: string) => (fake.get<any>('Lease', NS, name) as any)?.spec;

  it('creates the Lease, keeps it while renewed, and hands it over only after leaseDurationSeconds without a change', async () => {
    const clock = { t: 1_000_000 };
    const a = lockOf('one', 'pod-a', clock);
    const b = lockOf('one', 'pod-b', clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(leaseSpec('one')).toMatchObject({ holderIdentity: 'pod-a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(String(leaseSpec('one').renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(await b.tryAcquireOrRenew()).toBe(false); // b first sees the record now
    clock.t += 10_000;
    expect(await a.tryAcquireOrRenew()).toBe(true); // renewed: the record changes
    clock.t += 10_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // 20 s after b first saw it, but it changed since
    clock.t += 14_000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // 14 s since b saw the renewal
    clock.t += 1_001;
    expect(await b.tryAcquireOrRenew()).toBe(true); // 15 s of silence: pod-a is gone
    expect(leaseSpec('one')).toMatchObject({ holderIdentity: 'pod-b', leaseTransitions: 1 });
    expect(await a.tryAcquireOrRenew()).toBe(false); // the old holder comes back and finds b's Lease
    expect(leaseSpec('one').holderIdentity).toBe('pod-b');
  });

  it('of two candidates on an expired Lease exactly one wins (resourceVersion, 409 for the other)', async () => {
    const clock = { t: 2_000_000 };
    const old = lockOf('two', 'pod-old', clock);
    expect(await old.tryAcquireOrRenew()).toBe(true);
    const candidates = Array.from({ length: 4 }, (_, i) => lockOf('two', `pod-${i}`, clock));
    for (const c of candidates) expect(await c.tryAcquireOrRenew()).toBe(false);
    clock.t += 16_000;
    const results = await Promise.all(candidates.map((c) => c.tryAcquireOrRenew()));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(leaseSpec('two').holderIdentity).toBe(`pod-${results.indexOf(true)}`);
  });

  it('release empties the holder so a candidate takes over at once', async () => {
    const clock = { t: 3_000_000 };
    const a = lockOf('three', 'pod-a', clock);
    const b = lockOf('three', 'pod-b', clock);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.release();
    expect(leaseSpec('three')).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(leaseSpec('three')).toMatchObject({ holderIdentity: 'pod-b', leaseDurationSeconds: 15, leaseTransitions: 1 });
  });

  it('LeaderElection: one leader at a time; a stopped leader releases and the other starts leading', async () => {
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 20 };
    const log = pino({ level: 'silent' });
    const events: string[] = [];
    const elect = (id: string) => {
      const e = new LeaderElection(id, new KubernetesLeaseLock(fake.kubeConfig(), { name: 'four', namespace: NS, identity: id, leaseDurationSeconds: 15 }), timings, log);
      return e;
    };
    const a = elect('pod-a');
    const b = elect('pod-b');
    let started!: () => void;
    const aLeads = new Promise<void>((r) => (started = r));
    a.start({ onStartedLeading: () => (events.push('a+'), started()), onStoppedLeading: () => void events.push('a-') });
    await aLeads;
    let bStarted!: () => void;
    const bLeads = new Promise<void>((r) => (bStarted = r));
    b.start({ onStartedLeading: () => (events.push('b+'), bStarted()), onStoppedLeading: () => void events.push('b-') });
    // b campaigns against a live leader; a's renewals keep it out.
    for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 20));
    expect(b.isLeader()).toBe(false);
    await a.stop();
    await bLeads;
    await b.stop();
    expect(events).toEqual(['a+', 'a-', 'b+', 'b-']);
  });
});
