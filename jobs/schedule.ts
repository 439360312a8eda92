/**
 * The one error funnel of scheduled work: each run is timed, logged, and a failure is logged and
 * left for the next time — a failing run never stops its schedule or the process.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

/** Options for {@link scheduleJob}. */
export interface JobScheduleOptions {
  /** IANA time zone of the cron expression. */
  timezone: string;
  /** Log level of a successful run (default `debug`; `info` for runs people look for). */
  level?: 'debug' | 'info';
  /** What the log lines call a run (default `scheduled job`), e.g. `coverage job`, `drift scan`. */
  label?: string;
}

/**
 * Schedules `run` with node-cron (runs never overlap).
 * @param name job name in logs and in node-cron's registry.
 * @param expression cron expression, e.g. `* * * * *`.
 * @returns the node-cron task (`destroy()` stops it, `execute()` runs it now).
 * @throws Error when the expression is invalid (at start-up, not at the first run).
 */
export function scheduleJob(
  log: Logger,
  name: string,
  expression: string,
  run: () => Promise<unknown>,
  opts: JobScheduleOptions,
): ScheduledTask {
  if (!cron.validate(expression)) throw new Error(`schedule ${name}: "${expression}" is not a valid cron expression`);
  const jlog = log.child({ component: 'jobs', job: name });
  const label = opts.label ?? 'scheduled job';
  return cron.schedule(
    expression,
    async () => {
      const t0 = Date.now();
      try {
        const result = await run();
        jlog[opts.level ?? 'debug']({ result, ms: Date.now() - t0 }, `${label} done`);
      } catch (err) {
        jlog.error({ err }, `${label} failed; will run again at its next time`);
      }
    },
    { name, timezone: opts.timezone, noOverlap: true },
  );
}
