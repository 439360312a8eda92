/**
 * Scheduled jobs (node-cron). Each run has its own try/catch: a failing run is logged and the
 * schedule goes on.
 */
import type { ScheduledTask } from 'node-cron';
import { scheduleJob } from './schedule.ts';
import type { Logger } from 'pino';
import type { Agent } from '../agent/index.ts';
import { scheduleDriftScan, type ScheduledDrift } from './drift.ts';
import { startCoverageSchedules, type CoverageScheduleOptions } from './coverage.ts';
import type { CoverageService } from '../agent/coverage/index.ts';

/** Options for {@link startSchedules}. */
export interface ScheduleOptions {
  /** IANA time zone of the schedules. */
  timezone: string;
  /** Drift scanning, when drift sources are configured. */
  drift?: ScheduledDrift;
  /** Cron expression of the drift scan (default hourly). */
  driftCron?: string;
  /** Coverage evaluation (hourly) and daily digest, when enabled. */
  coverage?: CoverageScheduleOptions & { service: Pick<CoverageService, 'run' | 'postDigest'> };
}

/** A running set of schedules. */
export interface Schedules {
  stop(): Promise<void>;
}

/**
 * Starts the schedules:
 * - `approval-expiry`, every minute: undecided cards past their TTL are expired and edited.
 * - `snooze-wake`, every minute: cards snoozed with "Later" whose time has come are re-posted.
 * - `drift-scan`, hourly by default (DRIFT_SCAN_CRON), when drift sources are configured.
 * - coverage evaluation (hourly) and the daily digest (COVERAGE_DIGEST_TIME), when enabled.
 */
export function startSchedules(agent: Agent, log: Logger, opts: ScheduleOptions): Schedules {
  const tasks: ScheduledTask[] = [];
  const add = (name: string, expression: string, run: () => Promise<unknown>) =>
    tasks.push(scheduleJob(log, name, expression, run, { timezone: opts.timezone }));
  add('approval-expiry', '* * * * *', () => agent.expireApprovals());
  add('snooze-wake', '* * * * *', () => agent.wakeSnoozed());
  const driftSchedule = opts.drift
    ? scheduleDriftScan(opts.drift, log, { cron: opts.driftCron ?? '0 * * * *', timezone: opts.timezone })
    : undefined;
  const coverageSchedule = opts.coverage ? startCoverageSchedules(opts.coverage.service, log, opts.coverage) : undefined;
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.destroy()));
      await driftSchedule?.stop();
      await coverageSchedule?.stop();
    },
  };
}
