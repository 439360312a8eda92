/**
 * The durable job queue (`job` table): jobs are written in the same transaction as what caused
 * them (an alert, an approval), claimed with `FOR UPDATE SKIP LOCKED` under a lease (`locked_by`,
 * `locked_until`) that the holder renews and anyone may take over once it expires, and decoded
 * into the core's {@link Job} union on the way out.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClaimedJob, Job, JobLease, JobQueue, JobQueueStats } from '../../agent/ports.ts';
import { OrmRepository } from './support.ts';

/** The payload a job kind is stored with (the jsonb `payload` column). */
function payloadOf(job: Job): Record<string, unknown> {
  switch (job.kind) {
    case 'diagnose':
    case 'incident-resolved':
      return { incidentId: job.incidentId };
    case 'execute':
      return { remediationId: job.remediationId };
  }
}

/** Decodes a stored (kind, payload); undefined when the kind or its payload is not one the core knows. */
export function decodeJob(kind: string, payload: Record<string, unknown>): Job | undefined {
  const id = (key: string) => (Number.isInteger(Number(payload[key])) && payload[key] !== null ? Number(payload[key]) : undefined);
  switch (kind) {
    case 'diagnose':
    case 'incident-resolved': {
      const incidentId = id('incidentId');
      return incidentId === undefined ? undefined : { kind, incidentId };
    }
    case 'execute': {
      const remediationId = id('remediationId');
      return remediationId === undefined ? undefined : { kind, remediationId };
    }
    default:
      return undefined;
  }
}

/** Inserts a job inside the caller's transaction (`em`). */
export async function enqueueIn(em: EntityManager, job: Job, runAt: Date): Promise<void> {
  await em.execute(
    `insert into job (kind, payload, state, attempts, run_at, created_at) values (?, ?, 'queued', 0, ?, ?)`,
    [job.kind, JSON.stringify(payloadOf(job)), runAt, runAt],
    'run',
  );
}

/** {@link JobQueue} on PostgreSQL. */
export class OrmJobQueue extends OrmRepository implements JobQueue {
  /** Queues a job to run at `runAt` (tests and tools; the core's jobs are queued with what caused them). */
  async enqueue(job: Job, runAt: Date): Promise<void> {
    await enqueueIn(this.em(), job, runAt);
  }

  async claim(now: Date, lease: JobLease): Promise<ClaimedJob | undefined> {
    // One statement: the row lock taken by the sub-select (skipping rows other claimers hold)
    // lasts until the update commits, so two workers never claim the same job. A running job
    // whose lease has expired is claimable like a queued one; so is one left by a version
    // without leases (locked_until null).
    const rows = await this.em().execute<Array<{ id: string; kind: string; payload: Record<string, unknown>; attempts: number }>>(
      `update job set state = 'running', locked_at = ?, locked_by = ?, locked_until = ?, attempts = attempts + 1
       where id = (
         select id from job
         where (state = 'queued' and run_at <= ?) or (state = 'running' and (locked_until is null or locked_until < ?))
         order by run_at, id for update skip locked limit 1)
       returning id, kind, payload, attempts`,
      [now, lease.holder, new Date(now.getTime() + lease.durationMs), now, now],
    );
    const r = rows[0];
    return r ? { id: Number(r.id), kind: r.kind, attempts: r.attempts, job: decodeJob(r.kind, r.payload ?? {}) } : undefined;
  }

  async renew(ids: number[], lease: JobLease, now: Date): Promise<number[]> {
    if (!ids.length) return [];
    const rows = await this.em().execute<Array<{ id: string }>>(
      `update job set locked_until = ? where id = any(?::bigint[]) and state = 'running' and locked_by = ? returning id`,
      [new Date(now.getTime() + lease.durationMs), `{${ids.map((id) => Math.trunc(id)).join(',')}}`, lease.holder],
    );
    return rows.map((r) => Number(r.id));
  }

  async complete(id: number, holder: string): Promise<boolean> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update job set state = 'done', locked_at = null, locked_by = null, locked_until = null, last_error = null
       where id = ? and state = 'running' and locked_by = ?`,
      [id, holder],
      'run',
    );
    return r.affectedRows > 0;
  }

  async fail(id: number, holder: string, error: string, retryAt?: Date): Promise<boolean> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update job set state = ?, locked_at = null, locked_by = null, locked_until = null, last_error = ?, run_at = coalesce(?, run_at)
       where id = ? and state = 'running' and locked_by = ?`,
      [retryAt ? 'queued' : 'failed', error.slice(0, 4000), retryAt ?? null, id, holder],
      'run',
    );
    return r.affectedRows > 0;
  }

  async stats(now: Date): Promise<JobQueueStats> {
    const [r] = await this.em().execute<Array<{ queued: number; oldest: Date | null }>>(
      `select count(*)::int as queued, min(run_at) as oldest from job where state = 'queued' and run_at <= ?`,
      [now],
    );
    const oldest = r?.oldest ? new Date(r.oldest).getTime() : undefined;
    return { queued: r?.queued ?? 0, oldestQueuedAgeSeconds: oldest === undefined ? 0 : Math.max(0, (now.getTime() - oldest) / 1000) };
  }

  /** Counts jobs per state (tests and metrics). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.em().execute<Array<{ state: string; n: number }>>('select state, count(*)::int as n from job group by state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}
