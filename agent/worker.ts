/**
 * The durable job worker: claims queued jobs from PostgreSQL and runs their handlers with bounded
 * concurrency. Jobs are written in the same transaction as what caused them (an alert, an
 * approval), so nothing is lost on restart. Each claim is a lease held by this worker and
 * renewed while the job runs; a job whose holder died, or could not record the job's end (the
 * database was down), is claimed again by any worker once its lease expires — no restart needed,
 * and several replicas never run the same job at once while its holder is alive.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ClaimedJob, Clock, Job, JobLease, JobQueue } from './ports.ts';

/** Runs one job; throwing means "retry later" (up to `maxAttempts`). */
export type JobHandler = (job: Job) => Promise<void>;

/** How a claimed job ended, as counted in `watchkeeper_jobs_total{outcome}`. */
export type JobOutcome = 'done' | 'retry' | 'failed' | 'lease_lost';

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
  /**
   * How long a claim holds a job, ms (default 30 000); renewed every third of it while the job
   * runs. A job whose holder stopped renewing is taken over this long after the last renewal.
   */
  leaseMs?: number;
  /** This worker's identity in `job.locked_by` (default `<hostname>/<pid>/<random>`; unique per process). */
  holder?: string;
  /** Told when a claimed job ends (metrics). */
  onJobEnd?: (kind: string, outcome: JobOutcome) => void;
}

/** Polls the job queue and runs each claimed job with the handler. */
export class JobWorker {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Ids of the jobs this worker runs now (their leases are renewed). */
  private readonly held = new Set<number>();
  /** Ids whose lease this worker lost while running them (another worker may have them). */
  private readonly lost = new Set<number>();
  private draining: Promise<void> | undefined;
  private readonly opts: Required<Omit<WorkerOptions, 'onJobEnd'>> & Pick<WorkerOptions, 'onJobEnd'>;
  /** The lease every claim of this worker takes. */
  readonly lease: JobLease;

  constructor(
    private readonly queue: JobQueue,
    private readonly handle: JobHandler,
    private readonly clock: Clock,
    private readonly log: Logger,
    options: WorkerOptions = {},
  ) {
    this.opts = {
      concurrency: 8,
      pollMs: 500,
      maxAttempts: 5,
      retryBaseMs: 1000,
      leaseMs: 30_000,
      holder: `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`,
      ...options,
    };
    this.lease = { holder: this.opts.holder, durationMs: this.opts.leaseMs };
  }

  /**
   * Starts polling. Jobs left running by a process that is gone are not requeued here: they are
   * claimed like queued ones once their lease expires (another replica may still hold them).
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.schedule(0);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(10, Math.floor(this.opts.leaseMs / 3)));
    this.renewTimer.unref?.();
  }

  /** Wakes the worker now (after a commit that queued a job). */
  nudge(): void {
    if (!this.stopped) this.schedule(0);
  }

  /** Stops claiming jobs and waits for running ones (at most `timeoutMs`); their leases are renewed meanwhile. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // A claim in progress must finish (and its job start) before the database goes away.
    await this.draining;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  /** Extends the leases of the running jobs; a job no longer held is logged and its end not recorded by us. */
  private async renew(): Promise<void> {
    const ids = [...this.held].filter((id) => !this.lost.has(id));
    if (!ids.length) return;
    let kept: number[];
    try {
      kept = await this.queue.renew(ids, this.lease, this.clock.now());
    } catch (err) {
      this.log.warn({ err, jobs: ids.length }, 'could not renew job leases; database unavailable?');
      return;
    }
    const keptSet = new Set(kept);
    for (const id of ids) {
      if (keptSet.has(id) || !this.held.has(id)) continue;
      this.lost.add(id);
      this.log.warn({ job: id }, 'lost the lease of a running job (it expired and another worker may run it)');
    }
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
        job = await this.queue.claim(this.clock.now(), this.lease);
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
    this.held.add(job.id);
    const p = this.execute(job).finally(() => {
      this.running--;
      this.held.delete(job.id);
      this.lost.delete(job.id);
      this.inFlight.delete(p);
      this.nudge();
    });
    this.inFlight.add(p);
  }

  private async execute(claimed: ClaimedJob): Promise<void> {
    const job = claimed.job;
    const log = this.log.child({ job: claimed.id, kind: claimed.kind, attempt: claimed.attempts });
    const holder = this.lease.holder;
    let outcome: JobOutcome;
    try {
      if (!job) throw new Error(`unknown job "${claimed.kind}" (or its payload)`);
      await this.handle(job);
      try {
        outcome = (await this.queue.complete(claimed.id, holder)) ? 'done' : 'lease_lost';
      } catch (dbErr) {
        log.error({ err: dbErr }, 'could not record the end of a job; it runs again when its lease expires');
        outcome = 'lease_lost';
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const retry = claimed.attempts < this.opts.maxAttempts && job !== undefined;
      const retryAt = retry ? new Date(this.clock.now().getTime() + this.opts.retryBaseMs * 2 ** (claimed.attempts - 1)) : undefined;
      log.error({ err, retryAt }, retry ? 'job failed; will retry' : 'job failed for good');
      try {
        outcome = (await this.queue.fail(claimed.id, holder, message, retryAt)) ? (retry ? 'retry' : 'failed') : 'lease_lost';
      } catch (dbErr) {
        log.error({ err: dbErr }, 'could not record job failure; it runs again when its lease expires');
        outcome = 'lease_lost';
      }
    }
    if (outcome === 'lease_lost') log.warn('job ended after its lease was lost; its end is left to the lease (not recorded here)');
    this.opts.onJobEnd?.(claimed.kind, outcome);
  }
}
