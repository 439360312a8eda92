/**
 * The durable job queue (`job` table): jobs are written in the same transaction as what caused
 * them (an alert, an approval), claimed with `FOR UPDATE SKIP LOCKED`, and decoded into the
 * core's {@link Job} union on the way out.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ClaimedJob, Job, JobQueue } from '../../agent/ports.ts';
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

  async claim(now: Date): Promise<ClaimedJob | undefined> {
    const rows = await this.em().execute<Array<{ id: string; kind: string; payload: Record<string, unknown>; attempts: number }>>(
      `update job set state = 'running', locked_at = ?, attempts = attempts + 1
       where id = (select id from job where state = 'queued' and run_at <= ? order by run_at, id for update skip locked limit 1)
       returning id, kind, payload, attempts`,
      [now, now],
    );
    const r = rows[0];
    return r ? { id: Number(r.id), kind: r.kind, attempts: r.attempts, job: decodeJob(r.kind, r.payload ?? {}) } : undefined;
  }

  async complete(id: number): Promise<void> {
    await this.em().execute(`update job set state = 'done', locked_at = null, last_error = null where id = ?`, [id], 'run');
  }

  async fail(id: number, error: string, retryAt?: Date): Promise<void> {
    await this.em().execute(
      `update job set state = ?, locked_at = null, last_error = ?, run_at = coalesce(?, run_at) where id = ?`,
      [retryAt ? 'queued' : 'failed', error.slice(0, 4000), retryAt ?? null, id],
      'run',
    );
  }

  async requeueStale(lockedBefore: Date): Promise<number> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update job set state = 'queued', locked_at = null where state = 'running' and locked_at < ?`,
      [lockedBefore],
      'run',
    );
    return r.affectedRows;
  }

  /** Counts jobs per state (tests and metrics). */
  async counts(): Promise<Record<string, number>> {
    const rows = await this.em().execute<Array<{ state: string; n: number }>>('select state, count(*)::int as n from job group by state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }
}
