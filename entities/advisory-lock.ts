/**
 * Leader election on PostgreSQL: a session-level advisory lock held on a dedicated connection
 * (`pg_try_advisory_lock`). The lock lives as long as the session: a leader that dies, or whose
 * connection breaks, loses it at once, and PostgreSQL lets the next candidate take it. Used when
 * Watchkeeper does not run in a Kubernetes cluster (see agent/k8s/lease.ts for the Lease).
 */
import pg from 'pg';
import type { LeaderLock } from '../agent/leader.ts';

/** First key of Watchkeeper's advisory locks ('WK'); the second is hashtext(name). */
const ADVISORY_CLASS = 0x574b;

/** Options for {@link AdvisoryLeaderLock}. */
export interface AdvisoryLockOptions {
  /** PostgreSQL connection string (the database Watchkeeper uses). */
  url: string;
  /** Lock name; replicas electing the same leader use the same name (default `watchkeeper`). */
  name?: string;
  /** Connect and query timeout, ms (default 5000). */
  timeoutMs?: number;
}

/** A {@link LeaderLock} on a PostgreSQL session advisory lock. */
export class AdvisoryLeaderLock implements LeaderLock {
  /** A broken connection has dropped the lock with it. */
  readonly lostOnFailure = true;
  private client: pg.Client | undefined;
  private held = false;
  private readonly name: string;
  private readonly timeoutMs: number;
  private lost: () => void = () => {};

  constructor(private readonly options: AdvisoryLockOptions) {
    this.name = options.name ?? 'watchkeeper';
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async tryAcquireOrRenew(): Promise<boolean> {
    if (this.held) {
      if (!this.client) {
        this.held = false;
        throw new Error('lost the leader advisory lock: its connection closed');
      }
      try {
        // The lock is the session's: a live session still holds it.
        await this.client.query('select 1');
        return true;
      } catch (err) {
        this.drop();
        this.held = false;
        throw err;
      }
    }
    const client = this.client ?? (await this.connect());
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::int, hashtext($2)) as ok', [ADVISORY_CLASS, this.name]);
      this.held = rows[0]?.ok === true;
      return this.held;
    } catch (err) {
      this.drop();
      throw err;
    }
  }

  onLost(notify: () => void): void {
    this.lost = notify;
  }

  async release(): Promise<void> {
    if (!this.held || !this.client) return;
    this.held = false;
    await this.client.query('select pg_advisory_unlock($1::int, hashtext($2))', [ADVISORY_CLASS, this.name]);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.held = false;
    await c?.end().catch(() => {});
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'watchkeeper-leader',
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
    });
    // A broken socket must not crash the process: the next attempt sees the lock gone.
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    this.client = client;
    return client;
  }

  /** Forgets a broken connection (and ends it, which frees the lock if the server still has it). */
  private drop(which: pg.Client | undefined = this.client): void {
    if (!which || which !== this.client) return;
    this.client = undefined;
    void which.end().catch(() => {});
    if (this.held) this.lost();
  }
}
