/** The drift scan schedule: runs the scan on its cron, survives a failing run, stops cleanly. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { scheduleDriftScan, type ScheduledDrift } from '../../jobs/drift.ts';

function fakeDrift(fail = false): ScheduledDrift & { scans: number } {
  return {
    scans: 0,
    async scan() {
      this.scans++;
      if (fail) throw new Error('cluster unreachable');
      return [];
    },
  };
}

describe('scheduleDriftScan', () => {
  it('scans on its schedule and stops cleanly', async () => {
    const drift = fakeDrift();
    const handle = scheduleDriftScan(drift, pino({ level: 'silent' }), { cron: '* * * * * *', timezone: 'UTC' });
    await new Promise((r) => setTimeout(r, 2300));
    expect(drift.scans).toBeGreaterThanOrEqual(1);
    await handle.stop();
    const after = drift.scans;
    await new Promise((r) => setTimeout(r, 1200));
    expect(drift.scans).toBe(after);
  });

  it('keeps going after a failing run', async () => {
    const drift = fakeDrift(true);
    const handle = scheduleDriftScan(drift, pino({ level: 'silent' }), { cron: '* * * * * *', timezone: 'UTC' });
    await new Promise((r) => setTimeout(r, 2300));
    expect(drift.scans).toBeGreaterThanOrEqual(2);
    await handle.stop();
  });

  it('refuses an invalid cron expression at start-up', () => {
    expect(() => scheduleDriftScan(fakeDrift(), pino({ level: 'silent' }), { cron: '61 * * * *', timezone: 'UTC' })).toThrow(/not a valid cron expression/);
  });
});
