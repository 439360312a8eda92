/**
 * Leader election on a PostgreSQL session advisory lock, against the real server: one holder at
 * a time; a holder whose connection is killed (as when its process dies) loses it at once and
 * the other candidate takes it; release hands it over; the election loop steps down at once.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from '../../agent/leader.ts';
import { AdvisoryLeaderLock } from '../../entities/advisory-lock.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

describe('AdvisoryLeaderLock', () => {
  let db: TestDatabase;
  const locks: AdvisoryLeaderLock[] = [];
  const lockOf = (name: string) => {
    const l = new AdvisoryLeaderLock({ url: db.url, name });
    locks.push(l);
    return l;
  };
  /** Terminates the backends holding the leader lock's session (the process "died"). */
  const killLeaderSessions = () =>
    db.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'watchkeeper-leader' and datname = current_database() and pid in (select pid from pg_locks where locktype = 'advisory' and granted)`);
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const l of locks) await l.close();
    await db?.drop();
  });

  it('one holder at a time; a killed session loses the lock and the other candidate takes it', async () => {
    const a = lockOf('one');
    const b = lockOf('one');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(true); // renewal: the session is alive
    expect(await lockOf('other').tryAcquireOrRenew()).toBe(true); // another name is another lock
    await killLeaderSessions();
    await expect(a.tryAcquireOrRenew()).rejects.toThrow();
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(await a.tryAcquireOrRenew()).toBe(false); // a reconnects as a candidate
    await b.release();
    expect(await a.tryAcquireOrRenew()).toBe(true);
  });

  it('LeaderElection over it steps down as soon as the connection is gone, and the other leads', async () => {
    const log = pino({ level: 'silent' });
    const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 20 };
    const events: string[] = [];
    const waiters = new Map<string, () => void>();
    const seen = (e: string) => new Promise<void>((r) => (events.includes(e) ? r() : waiters.set(e, r)));
    const on = (e: string) => {
      events.push(e);
      waiters.get(e)?.();
    };
    const a = new LeaderElection('a', lockOf('two'), timings, log);
    a.start({ onStartedLeading: () => on('a+'), onStoppedLeading: () => on('a-') });
    await seen('a+');
    const b = new LeaderElection('b', lockOf('two'), timings, log);
    b.start({ onStartedLeading: () => on('b+'), onStoppedLeading: () => on('b-') });
    await killLeaderSessions();
    await seen('a-');
    await seen('b+');
    await a.stop();
    await b.stop();
    // a stepped down once and never led again while b held the lock; b led until it stopped.
    expect(events.filter((e) => e.startsWith('a'))).toEqual(['a+', 'a-']);
    expect(events.filter((e) => e.startsWith('b'))).toEqual(['b+', 'b-']);
  });
});
