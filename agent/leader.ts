/**
 * The election loop shared by the leader-election adapters, after client-go's
 * `tools/leaderelection`: every `retryPeriod` a candidate tries to acquire the lock, a leader
 * tries to renew it, and a leader that could not renew for `renewDeadline` steps down (before
 * its lease of `leaseDuration` runs out for the others). Unlike client-go, a replica that lost
 * leadership keeps campaigning instead of exiting.
 */
import type { Logger } from 'pino';
import type { LeaderCallbacks, LeaderElector } from './ports.ts';

/** The lock a {@link LeaderElection} campaigns for (a Kubernetes Lease, a PostgreSQL advisory lock). */
export interface LeaderLock {
  /**
   * Acquires the lock, or renews it when held.
   * @returns true when this replica holds it after the call, false when another does.
   * @throws on infrastructure failures (counted as a failed renewal).
   */
  tryAcquireOrRenew(): Promise<boolean>;
  /** Gives the lock up (best effort; only called while held). */
  release(): Promise<void>;
  /**
   * True when a failed renewal means the lock is gone (a session lock whose connection broke):
   * the leader steps down at once instead of after `renewDeadline`.
   */
  readonly lostOnFailure?: boolean;
  /**
   * For a candidate: ms until the current holder's claim runs out as this replica observed it
   * (undefined when unknown). The next attempt is made then rather than at the next retry period.
   */
  expiresInMs?(): number | undefined;
  /** Registers a callback the lock calls as soon as it knows it was lost (a closed connection): the loop reacts at once. */
  onLost?(notify: () => void): void;
  /** Frees what the lock holds open (connections) after the loop ends. */
  close?(): Promise<void>;
}

/** Election timings, ms (client-go's defaults: 15 000 / 10 000 / 2 000). */
export interface ElectionTimings {
  /** How long a holder's claim is valid without renewal (the Lease's leaseDurationSeconds). */
  leaseDurationMs: number;
  /** How long a leader keeps failing to renew before it steps down (< leaseDurationMs). */
  renewDeadlineMs: number;
  /** Interval between attempts (< renewDeadlineMs); candidates add up to 20 % jitter. */
  retryPeriodMs: number;
}

/** client-go's defaults. */
export const DEFAULT_ELECTION_TIMINGS: ElectionTimings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** A {@link LeaderElector} over a {@link LeaderLock}. */
export class LeaderElection implements LeaderElector {
  private leader = false;
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: () => void = () => {};

  constructor(
    readonly identity: string,
    private readonly lock: LeaderLock,
    private readonly timings: ElectionTimings,
    private readonly log: Logger,
  ) {}

  isLeader(): boolean {
    return this.leader;
  }

  start(callbacks: LeaderCallbacks): void {
    if (this.loop) return;
    this.stopped = false;
    this.lock.onLost?.(() => this.wake());
    this.loop = this.campaign(callbacks);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  private async campaign(callbacks: LeaderCallbacks): Promise<void> {
    let lastRenew = 0;
    while (!this.stopped) {
      let held = false;
      try {
        held = await this.lock.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn({ err, leader: this.leader }, this.leader ? 'could not renew leadership' : 'could not try to acquire leadership');
      }
      if (this.stopped) {
        // Stopped while trying: a lock just acquired is given back below.
        if (held && !this.leader) await this.lock.release().catch(() => {});
        break;
      }
      const now = Date.now();
      if (held) {
        lastRenew = now;
        if (!this.leader) {
          this.leader = true;
          this.log.info({ identity: this.identity }, 'became the leader');
          await this.call('onStartedLeading', callbacks);
        }
      } else if (this.leader && (this.lock.lostOnFailure || now - lastRenew >= this.timings.renewDeadlineMs)) {
        this.leader = false;
        this.log.warn({ identity: this.identity }, 'lost leadership');
        await this.call('onStoppedLeading', callbacks);
      }
      let waitMs = this.timings.retryPeriodMs + (this.leader ? 0 : Math.random() * 0.2 * this.timings.retryPeriodMs);
      const expiresIn = this.leader ? undefined : this.lock.expiresInMs?.();
      if (expiresIn !== undefined && expiresIn >= 0 && expiresIn < waitMs) waitMs = expiresIn + 1;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (this.leader) {
      this.leader = false;
      await this.call('onStoppedLeading', callbacks);
      await this.lock.release().catch((err) => this.log.warn({ err }, 'could not release leadership'));
      this.log.info({ identity: this.identity }, 'released leadership');
    }
    await this.lock.close?.().catch(() => {});
  }

  private async call(which: keyof LeaderCallbacks, callbacks: LeaderCallbacks): Promise<void> {
    try {
      await callbacks[which]();
    } catch (err) {
      this.log.error({ err }, `${which} failed`);
    }
  }
}
