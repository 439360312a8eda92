/**
 * Coverage schedules (node-cron): the hourly discovery + evaluation and the daily digest at a
 * configured local time and time zone. Each run has its own try/catch: a failing run is logged
 * and the schedule goes on; runs of one schedule never overlap.
 */
import type { ScheduledTask } from 'node-cron';
import { scheduleJob } from './schedule.ts';
import type { Logger } from 'pino';
import type { CoverageService } from '../agent/coverage/index.ts';

/** Options of {@link startCoverageSchedules}. */
export interface CoverageScheduleOptions {
  /** IANA time zone of both schedules, e.g. `Europe/Berlin`. */
  timezone: string;
  /** Digest time, `HH:MM` (24 h) in `timezone`, e.g. `09:00`. */
  digestTime: string;
  /** Cron expression of the evaluation (default `7 * * * *`: hourly, off the full hour). */
  evaluationCron?: string;
  /**
   * Run one evaluation this many ms after start, so `/coverage` has data before the first hourly
   * run (default 15 000; `null` to wait for the schedule).
   */
  firstRunAfterMs?: number | null;
}

/** Running coverage schedules. */
export interface CoverageSchedules {
  /** Stops both schedules (a run in progress finishes on its own). */
  stop(): Promise<void>;
}

/**
 * `HH:MM` → the cron expression `M H * * *`.
 * @throws Error when the time is not a valid 24-hour `HH:MM`.
 */
export function digestCron(time: string): string {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time.trim());
  if (!m) throw new Error(`digest time must be HH:MM (24 h), got "${time}"`);
  return `${Number(m[2])} ${Number(m[1])} * * *`;
}

/**
 * Starts the schedules:
 * - `coverage-evaluation` (hourly by default): discovery, evaluation, pruning of old history;
 * - `coverage-digest` (daily at `digestTime`): posts the digest (re-evaluating first when stale);
 * - one evaluation shortly after start (`firstRunAfterMs`).
 * @returns a handle to stop them.
 */
export function startCoverageSchedules(coverage: Pick<CoverageService, 'run' | 'postDigest'>, log: Logger, opts: CoverageScheduleOptions): CoverageSchedules {
  const tasks: ScheduledTask[] = [];
  const add = (name: string, expression: string, run: () => Promise<unknown>) =>
    tasks.push(scheduleJob(log, name, expression, run, { timezone: opts.timezone, level: 'info', label: 'coverage job' }));
  add('coverage-evaluation', opts.evaluationCron ?? '7 * * * *', async () => {
    const { discovery, evaluation } = await coverage.run();
    return { discovery: discovery.status, assets: evaluation.assets, evaluation: evaluation.status, overall: evaluation.summary.overall, changedCells: evaluation.changedCells };
  });
  add('coverage-digest', digestCron(opts.digestTime), () => coverage.postDigest());
  const firstRunAfterMs = opts.firstRunAfterMs === undefined ? 15_000 : opts.firstRunAfterMs;
  const first = firstRunAfterMs === null ? undefined : setTimeout(() => void tasks[0].execute().catch(() => {}), firstRunAfterMs);
  first?.unref();
  return {
    async stop() {
      if (first) clearTimeout(first);
      await Promise.all(tasks.map((t) => t.destroy()));
    },
  };
}
