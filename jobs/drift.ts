/**
 * The scheduled drift scan (node-cron, in the configured time zone; hourly by default). A report is
 * posted only when the set of drifted items changed since the last scan (the service decides). One
 * run at a time; a failing run is logged and the schedule goes on. (The service's rollback poll is
 * not a cron job: main.ts starts it with `drift.start()`.)
 */
import type { ScheduledTask } from 'node-cron';
import { scheduleJob } from './schedule.ts';
import type { Logger } from 'pino';
import type { DriftScanResult } from '../agent/drift/index.ts';

/** What the schedule needs from the drift service. */
export interface ScheduledDrift {
  scan(options?: { source?: string }): Promise<DriftScanResult[]>;
}

/** Options of {@link scheduleDriftScan}. */
export interface DriftScheduleOptions {
  /** node-cron expression (config `drift.scanCron`, default `0 * * * *`). */
  cron: string;
  /** IANA time zone (config `timezone`). */
  timezone: string;
}

/**
 * Schedules the drift scan.
 * @returns a handle whose `stop()` ends the schedule.
 * @throws Error when the cron expression is invalid (caught at start-up, not at the first run).
 * @example const driftSchedule = scheduleDriftScan(drift, log, { cron: config.drift.scanCron, timezone: config.timezone });
 */
export function scheduleDriftScan(drift: ScheduledDrift, log: Logger, opts: DriftScheduleOptions): { stop(): Promise<void> } {
  const task: ScheduledTask = scheduleJob(log, 'drift-scan', opts.cron, () => drift.scan(), { timezone: opts.timezone, level: 'info', label: 'drift scan' });
  return {
    async stop() {
      await task.destroy();
    },
  };
}
