/**
 * The durable job worker: claims queued jobs from PostgreSQL and runs their handlers with bounded
 * concurrency. Jobs are written in the same transaction as what caused them (an alert, an
 * approval), so nothing is lost on restart; a job whose process died is requeued on start.
 */
import type { Logger } from 'pino';
import type { ClaimedJob, Clock, Job, JobQueue } from './ports.ts';

/** Runs one job; throwing means "retry later" (up to `maxAttempts`). */
export type JobHandler = (job: Job) => Promise<void>;

/** Options for {@link JobWorker}. */
export interface WorkerOptions {
  /** Jobs run at once (default 8; verification jobs wait for rollouts). */
  concurrency?: number;
  /** Poll interval when idle, ms (default 500); {@link JobWorker.nudge} wakes it at once. */
  pollMs?: number;
  /** Attempts before a job is marked failed (default 5). */
  maxAttempts?: number;
  /** First retry delay, ms, doubled per attempt (default 1000). */
  retryBaseMs?: number;
}

/** Polls the job queue and runs each claimed job with the handler. */
export class JobWorker {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private draining: Promise<void> | undefined;
  private readonly opts: Required<WorkerOptions>;

  constructor(
    private readonly queue: JobQueue,
    private readonly handle: JobHandler,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: WorkerOptions = {},
  ) {
    this.opts = { concurrency: 8, pollMs: 500, maxAttempts: 5, retryBaseMs: 1000, ...options };
  }

  /** Requeues jobs orphaned by a previous process, then starts polling. */
  async start(): Promise<void> {
    // A job still "running" at start-up belonged to a process that is gone.
    const requeued = await this.queue.requeueStale(new Date(this.clock.now().getTime() + 1));
    if (requeued) this.log.warn({ requeued }, 'requeued jobs left running by a previous process');
    this.stopped = false;
    this.schedule(0);
  }

  /** Wakes the worker now (after a commit that queued a job). */
  nudge(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Stops claiming jobs and waits for running ones (at most `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A claim in progress must finish (and its job start) before the database goes away.
    await this.draining;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), ms);
    this.timer.unref?.();
  }

  private drain(): Promise<void> {
    if (this.stopped) return this.draining ?? Promise.resolve();
    if (this.draining) {
      // A wake-up during a claim: claim again right after it instead of waiting for the poll.
      this.wokenWhileDraining = true;
      return this.draining;
    }
    this.draining = this.drainOnce().finally(() => {
      this.draining = undefined;
      const again = this.wokenWhileDraining;
      this.wokenWhileDraining = false;
      if (!this.stopped) this.schedule(again ? 0 : this.opts.pollMs);
    });
    return this.draining;
  }

  private wokenWhileDraining = false;

  private async drainOnce(): Promise<void> {
    while (!this.stopped && this.running < this.opts.concurrency) {
      let job: ClaimedJob | undefined;
      try {
        job = await this.queue.claim(this.clock.now());
      } catch (err) {
        this.log.error({ err }, 'could not claim a job; database unavailable?');
        break;
      }
      if (!job) break;
      this.run(job);
    }
  }

  private run(job: ClaimedJob): void {
    this.running++;
    const p = this.execute(job).finally(() => {
      this.running--;
      this.inFlight.delete(p);
      this.nudge();
    });
    this.inFlight.add(p);
  }

  private async execute(claimed: ClaimedJob): Promise<void> {
    const job = claimed.job;
    const log = this.log.child({ job: claimed.id, kind: claimed.kind, attempt: claimed.attempts });
    try {
      if (!job) throw new Error(`unknown job "${claimed.kind}" (or its payload)`);
      await this.handle(job);
      await this.queue.complete(claimed.id);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retry = claimed.attempts < this.opts.maxAttempts && job !== undefined;
      const retryAt = retry ? new Date(this.clock.now().getTime() + this.opts.retryBaseMs * 2 ** (claimed.attempts - 1)) : undefined;
      log.error({ err, retryAt }, retry ? 'job failed; will retry' : 'job failed for good');
      try {
        await this.queue.fail(claimed.id, message, retryAt);
      } catch (dbErr) {
        log.error({ err: dbErr }, 'could not record job failure; it will be requeued on restart');
      }
    }
  }
}
