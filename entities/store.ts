/**
 * The persistence the agent uses: every read and write of Watchkeeper's tables, each a single
 * statement or one transaction. Hot paths (alert intake, job claims, state transitions) are plain
 * SQL for speed and atomicity; the schema itself comes from the entities and migrations.
 *
 * All methods throw the driver's error when PostgreSQL fails; callers decide whether that is a
 * 503 (webhook), a retry (jobs) or a polite error (chat).
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { AlertGroup } from '../domain/alerts.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import { canTransition, type RemediationState } from '../domain/remediation/index.ts';
import {
  AuditLogEntity,
  ChatMessageEntity,
  IncidentEntity,
  KnowledgeEntryEntity,
  PlaybookEntity,
  RemediationEntity,
  SilenceEntity,
} from './schema.ts';

/** What one webhook delivery changed. */
export interface IngestResult {
  /** Alerts in the payload. */
  received: number;
  /** Alerts stored now (the rest were redeliveries). */
  stored: number;
  incidentId?: number;
  /** created/reopened: a diagnosis was queued; resolved: the card will be edited. */
  incidentChange: 'created' | 'reopened' | 'updated' | 'resolved' | 'none';
}

/** Options for {@link Store.ingest}. */
export interface IngestOptions {
  /** A group re-firing within this many seconds after resolving reopens its incident. */
  dedupWindowS: number;
  /** Summary line for a new incident (from annotations). */
  summary: string;
  /** Target from the first alert's labels, if any. */
  target?: TargetRef;
}

/** The intake statement: the whole of {@link Store.ingest} in one call, all values bound. */
const INGEST_SQL = 'select watchkeeper_ingest($1, $2, $3::jsonb, $4::timestamptz, $5, $6, $7::jsonb, $8::jsonb) as r';

/** The jsonb watchkeeper_ingest returns (incidentId absent when no incident is involved). */
interface IngestRow {
  received: number;
  stored: number;
  incidentId?: number | null;
  incidentChange: IngestResult['incidentChange'];
}

function toIngestResult(r: IngestRow): IngestResult {
  const result: IngestResult = { received: r.received, stored: r.stored, incidentChange: r.incidentChange };
  if (r.incidentId != null) result.incidentId = r.incidentId;
  return result;
}

/** A unique violation, as MikroORM wraps it or as the pg driver raises it (SQLSTATE 23505). */
function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | null)?.code === '23505';
}

/** A claimed job. */
export interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
}

/** Incident as the agent reads it. */
export interface IncidentRow {
  id: number;
  groupKey: string;
  status: 'open' | 'resolved';
  alertname: string;
  severity: string;
  summary: string;
  target: TargetRef | null;
  groupLabels: Record<string, string>;
  diagnosis: Record<string, unknown> | null;
  openedAt: Date;
  lastAlertAt: Date;
  resolvedAt: Date | null;
}

/** Remediation as the agent reads it. */
export interface RemediationRow {
  id: number;
  incidentId: number;
  token: string;
  action: string;
  target: TargetRef;
  params: Record<string, string | number>;
  plan: Record<string, unknown>;
  state: RemediationState;
  approvalsRequired: number;
  preState: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  snoozedUntil: Date | null;
  undoOf: number | null;
  symptomsHash: string | null;
  confidence: number | null;
}

/** A decision as stored. */
export interface DecisionRow {
  userId: number;
  userName: string;
  decision: string;
  reason: string | null;
  decidedAt: Date;
}

/** An audit row to write. */
export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string;
  input?: unknown;
  output?: unknown;
  durationMs?: number;
  error?: string;
}

/** A learned playbook. */
export interface PlaybookRow {
  id: number;
  symptomsHash: string;
  action: string;
  target: string;
  category: string;
  /** EWMA of verified outcomes, 0–1. */
  trustScore: number;
  successes: number;
  failures: number;
  lastOutcomeAt: Date;
  published: boolean;
}

/** A runbook draft or anti-pattern. */
export interface KnowledgeRow {
  id: number;
  kind: 'runbook' | 'anti_pattern';
  status: 'draft' | 'published' | 'discarded';
  symptomsHash: string;
  action: string;
  target: string;
  title: string;
  body: string;
}

/** Outcome of {@link Store.decide}. */
export type DecideOutcome =
  | { kind: 'not_found' }
  | { kind: 'not_pending'; remediation: RemediationRow; decisions: DecisionRow[] }
  | { kind: 'already_voted'; remediation: RemediationRow; decisions: DecisionRow[] }
  | { kind: 'recorded'; remediation: RemediationRow; decisions: DecisionRow[]; approvals: number }
  | { kind: 'decided'; remediation: RemediationRow; decisions: DecisionRow[] };

/** Postgres access for the agent. Construct once per process with the ORM; it forks per call. */
export class Store {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  /** True when PostgreSQL answers `select 1` (for /readyz). Never throws. */
  async ping(): Promise<boolean> {
    try {
      await this.em().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stores one Alertmanager delivery idempotently and groups it into an incident, in one
   * transaction, queueing follow-up jobs (transactional outbox):
   * - alerts are inserted once per (fingerprint, startsAt, status); a redelivery changes nothing;
   * - new firing alerts join the group's open incident, reopen one resolved within the dedup
   *   window, or open a new one (→ `diagnose` job);
   * - when every alert of the open incident is resolved, the incident resolves (→ `incident-resolved` job).
   * Retries itself on a unique-constraint race with a concurrent delivery of the same group.
   * The work is one call of the PL/pgSQL function `watchkeeper_ingest` (one round trip, one
   * transaction), with bound parameters.
   */
  async ingest(group: AlertGroup, now: Date, opts: IngestOptions): Promise<IngestResult> {
    // One statement, its own transaction: watchkeeper_ingest (migration 20261121070000) does what
    // the former ingestTx did, with every value bound as a parameter (the alerts as one jsonb).
    const pool = await this.orm.driver.getConnection().getNativeClient();
    const values = [
      group.groupKey,
      group.receiver,
      JSON.stringify(group.alerts),
      now.toISOString(),
      opts.dedupWindowS,
      opts.summary,
      opts.target ? JSON.stringify(opts.target) : null,
      JSON.stringify(group.groupLabels),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await pool.query<{ r: IngestRow }>({ name: 'watchkeeper_ingest', text: INGEST_SQL, values });
        return toIngestResult(rows[0].r);
      } catch (err) {
        // a concurrent delivery opened the group's incident first (incident_open_group_key_unique)
        if (attempt < 3 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  private async enqueueTx(em: EntityManager, kind: string, payload: Record<string, unknown>, runAt: Date): Promise<void> {
    await em.execute(
      `insert into job (kind, payload, state, attempts, run_at, created_at) values (?, ?, 'queued', 0, ?, ?)`,
      [kind, JSON.stringify(payload), runAt, runAt],
      'run',
    );
  }

  /**
   * Opens an incident that no alert raised (drift, coverage): one open incident per `groupKey`;
   * an existing open one is returned instead.
   */
  async openSyntheticIncident(input: {
    groupKey: string;
    alertname: string;
    summary: string;
    target: TargetRef;
    diagnosis: Record<string, unknown>;
    now: Date;
  }): Promise<number> {
    const [row] = await this.em().execute<Array<{ id: number }>>(
      `insert into incident (group_key, status, alertname, severity, summary, target, group_labels, diagnosis, opened_at, last_alert_at)
       values (?, 'open', ?, 'info', ?, ?, '{}', ?, ?, ?)
       on conflict (group_key) where status = 'open' do update set summary = excluded.summary, diagnosis = excluded.diagnosis, last_alert_at = excluded.last_alert_at
       returning id`,
      [input.groupKey, input.alertname, input.summary, JSON.stringify(input.target), JSON.stringify(input.diagnosis), input.now, input.now],
    );
    return row.id;
  }

  /** Queues a job to run at `runAt`. */
  async enqueue(kind: string, payload: Record<string, unknown>, runAt: Date): Promise<void> {
    await this.enqueueTx(this.em(), kind, payload, runAt);
  }

  /**
   * Claims the oldest due job (`FOR UPDATE SKIP LOCKED`, so several workers never take the same one).
   * @returns undefined when nothing is due.
   */
  async claimJob(now: Date): Promise<JobRow | undefined> {
    const rows = await this.em().execute<Array<{ id: string; kind: string; payload: Record<string, unknown>; attempts: number }>>(
      `update job set state = 'running', locked_at = ?, attempts = attempts + 1
       where id = (select id from job where state = 'queued' and run_at <= ? order by run_at, id for update skip locked limit 1)
       returning id, kind, payload, attempts`,
      [now, now],
    );
    const r = rows[0];
    return r ? { id: Number(r.id), kind: r.kind, payload: r.payload, attempts: r.attempts } : undefined;
  }

  /** Marks a job done. */
  async completeJob(id: number): Promise<void> {
    await this.em().execute(`update job set state = 'done', locked_at = null, last_error = null where id = ?`, [id], 'run');
  }

  /** Records a failure: requeued at `retryAt`, or failed for good when `retryAt` is undefined. */
  async failJob(id: number, error: string, retryAt?: Date): Promise<void> {
    await this.em().execute(
      `update job set state = ?, locked_at = null, last_error = ?, run_at = coalesce(?, run_at) where id = ?`,
      [retryAt ? 'queued' : 'failed', error.slice(0, 4000), retryAt ?? null, id],
      'run',
    );
  }

  /**
   * Requeues jobs left `running` by a process that died (locked before `lockedBefore`).
   * @returns how many were requeued.
   */
  async requeueStaleJobs(lockedBefore: Date): Promise<number> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update job set state = 'queued', locked_at = null where state = 'running' and locked_at < ?`,
      [lockedBefore],
      'run',
    );
    return r.affectedRows;
  }

  /** Counts jobs per state (for tests and metrics). */
  async jobCounts(): Promise<Record<string, number>> {
    const rows = await this.em().execute<Array<{ state: string; n: number }>>(
      'select state, count(*)::int as n from job group by state',
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** One incident, or undefined. */
  async getIncident(id: number): Promise<IncidentRow | undefined> {
    const row = await this.em().findOne(IncidentEntity, { id });
    return row ? toIncidentRow(row) : undefined;
  }

  /** Open incidents, newest first (at most `limit`). */
  async listOpenIncidents(limit = 50): Promise<IncidentRow[]> {
    const rows = await this.em().find(IncidentEntity, { status: 'open' }, { orderBy: { id: 'desc' }, limit });
    return rows.map(toIncidentRow);
  }

  /** Stores the diagnosis (and the resolved target) of an incident. */
  async setDiagnosis(incidentId: number, diagnosis: Record<string, unknown>, target: TargetRef | null): Promise<void> {
    await this.em().nativeUpdate(IncidentEntity, { id: incidentId }, { diagnosis, target });
  }

  /** Creates a remediation in `state` with its opaque callback token. */
  async createRemediation(input: {
    incidentId: number;
    token: string;
    action: string;
    target: TargetRef;
    params: Record<string, string | number>;
    plan: Record<string, unknown>;
    state: RemediationState;
    approvalsRequired: number;
    now: Date;
    expiresAt?: Date;
    undoOf?: number;
    symptomsHash?: string;
    confidence?: number;
  }): Promise<RemediationRow> {
    const em = this.em();
    const entity = em.create(RemediationEntity, {
      incident: input.incidentId,
      token: input.token,
      action: input.action,
      target: input.target,
      params: input.params,
      plan: input.plan,
      state: input.state,
      approvalsRequired: Number.isFinite(input.approvalsRequired) ? input.approvalsRequired : 99,
      createdAt: input.now,
      updatedAt: input.now,
      expiresAt: input.expiresAt ?? null,
      undoOf: input.undoOf ?? null,
      symptomsHash: input.symptomsHash ?? null,
      confidence: input.confidence ?? null,
    });
    await em.flush();
    return toRemediationRow(entity);
  }

  /** A remediation by id. */
  async getRemediation(id: number): Promise<RemediationRow | undefined> {
    const row = await this.em().findOne(RemediationEntity, { id });
    return row ? toRemediationRow(row) : undefined;
  }

  /** Remediations by id (one query), in id order; ids not found are left out. */
  async remediationsById(ids: readonly number[]): Promise<RemediationRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.em().find(RemediationEntity, { id: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
    return rows.map(toRemediationRow);
  }

  /** A remediation by its callback token. */
  async findRemediationByToken(token: string): Promise<RemediationRow | undefined> {
    const row = await this.em().findOne(RemediationEntity, { token });
    return row ? toRemediationRow(row) : undefined;
  }

  /** The newest remediation of an incident. */
  async latestRemediation(incidentId: number): Promise<RemediationRow | undefined> {
    const row = await this.em().findOne(RemediationEntity, { incident: incidentId }, { orderBy: { id: 'desc' } });
    return row ? toRemediationRow(row) : undefined;
  }

  /** The remediation that undoes `remediationId`, if one was proposed. */
  async undoOf(remediationId: number): Promise<RemediationRow | undefined> {
    const row = await this.em().findOne(RemediationEntity, { undoOf: remediationId }, { orderBy: { id: 'desc' } });
    return row ? toRemediationRow(row) : undefined;
  }

  /** Decisions on a remediation, oldest first. */
  async decisions(remediationId: number): Promise<DecisionRow[]> {
    return this.decisionsTx(this.em(), remediationId);
  }

  /**
   * One atomic conditional transition: `from` (any of) → `to`, with optional field updates.
   * @returns the updated row, or undefined when the remediation was not in a `from` state (someone else won).
   */
  async transition(
    id: number,
    from: readonly RemediationState[],
    to: RemediationState,
    now: Date,
    fields: {
      result?: Record<string, unknown>;
      preState?: Record<string, unknown>;
      plan?: Record<string, unknown>;
      snoozedUntil?: Date | null;
      expiresAt?: Date | null;
    } = {},
  ): Promise<RemediationRow | undefined> {
    const legal = from.filter((f) => canTransition(f, to));
    if (legal.length === 0) throw new Error(`illegal remediation transition ${from.join('|')} → ${to}`);
    const em = this.em();
    const count = await em.nativeUpdate(
      RemediationEntity,
      { id, state: { $in: legal } },
      { state: to, updatedAt: now, ...fields },
    );
    if (count === 0) return undefined;
    return this.getRemediation(id);
  }

  /**
   * Records a decision and, when it completes the remediation's approvals (or rejects it),
   * transitions it — all under a row lock, so double taps and racing approvers are serialised:
   * exactly one transaction moves `pending` on. An approval that completes the set queues an
   * `execute` job in the same transaction.
   */
  async decide(input: {
    token: string;
    userId: number;
    userName: string;
    decision: 'approve' | 'reject' | 'later';
    reason?: string;
    now: Date;
    /** For `later`: when the card comes back. */
    snoozeUntil?: Date;
  }): Promise<DecideOutcome> {
    return this.em().transactional(async (em) => {
      const locked = await em.execute<Array<{ id: number; state: RemediationState; approvals_required: number; expired: boolean }>>(
        `select id, state, approvals_required, (expires_at is not null and expires_at < ?) as expired from remediation where token = ? for update`,
        [input.now, input.token],
      );
      const rem = locked[0];
      if (!rem) return { kind: 'not_found' } as const;
      if (rem.state === 'pending' && rem.expired) {
        // Past its time: expire it now rather than wait for the sweep, and refuse the decision.
        await em.execute(`update remediation set state = 'expired', updated_at = ? where id = ?`, [input.now, rem.id], 'run');
        rem.state = 'expired';
      }
      const current = async () => ({
        remediation: toRemediationRow((await em.findOneOrFail(RemediationEntity, { id: rem.id }, { refresh: true }))!),
        decisions: await this.decisionsTx(em, rem.id),
      });
      if (rem.state !== 'pending') return { kind: 'not_pending', ...(await current()) } as const;
      if (input.decision === 'later') {
        // Snoozes are not votes: the same person may snooze again after the card comes back.
        await em.execute(`delete from approval_decision where remediation_id = ? and user_id = ? and decision = 'later'`, [rem.id, input.userId], 'run');
      }
      const inserted = await em.execute<Array<{ id: number }>>(
        `insert into approval_decision (remediation_id, user_id, user_name, decision, reason, decided_at)
         values (?, ?, ?, ?, ?, ?) on conflict on constraint approval_decision_once_per_user do nothing returning id`,
        [rem.id, input.userId, input.userName, input.decision, input.reason ?? null, input.now],
      );
      if (inserted.length === 0) return { kind: 'already_voted', ...(await current()) } as const;
      if (input.decision === 'reject') {
        await em.execute(`update remediation set state = 'rejected', updated_at = ? where id = ?`, [input.now, rem.id], 'run');
        return { kind: 'decided', ...(await current()) } as const;
      }
      if (input.decision === 'later') {
        await em.execute(`update remediation set state = 'snoozed', snoozed_until = ?, updated_at = ? where id = ?`, [
          input.snoozeUntil ?? input.now,
          input.now,
          rem.id,
        ], 'run');
        return { kind: 'decided', ...(await current()) } as const;
      }
      const [{ n }] = await em.execute<Array<{ n: number }>>(
        `select count(distinct user_id)::int as n from approval_decision where remediation_id = ? and decision = 'approve'`,
        [rem.id],
      );
      // A remediation that needs no approval (escalation) is never approved into execution.
      if (n < Math.max(1, rem.approvals_required)) return { kind: 'recorded', approvals: n, ...(await current()) } as const;
      await em.execute(`update remediation set state = 'approved', updated_at = ? where id = ?`, [input.now, rem.id], 'run');
      await this.enqueueTx(em, 'execute', { remediationId: rem.id }, input.now);
      return { kind: 'decided', ...(await current()) } as const;
    });
  }

  private async decisionsTx(em: EntityManager, remediationId: number): Promise<DecisionRow[]> {
    const rows = await em.execute<Array<Omit<DecisionRow, 'decidedAt'> & { decidedAt: string | Date }>>(
      `select user_id::float8 as "userId", user_name as "userName", decision, reason, decided_at as "decidedAt"
       from approval_decision where remediation_id = ? order by id`,
      [remediationId],
    );
    // Raw queries return timestamptz as text; entities get Dates.
    return rows.map((r) => ({ ...r, decidedAt: new Date(r.decidedAt) }));
  }

  /** Auto-execution: `proposed` → `approved` with an `execute` job, in one transaction. */
  async autoApprove(id: number, now: Date): Promise<boolean> {
    return this.em().transactional(async (em) => {
      const r = await em.execute<{ affectedRows: number }>(
        `update remediation set state = 'approved', updated_at = ? where id = ? and state = 'proposed'`,
        [now, id],
        'run',
      );
      if (r.affectedRows === 0) return false;
      await this.enqueueTx(em, 'execute', { remediationId: id }, now);
      return true;
    });
  }

  /** Cancels undecided remediations of an incident (e.g. its alert resolved). @returns ids cancelled. */
  async cancelPending(incidentId: number, now: Date): Promise<number[]> {
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = 'cancelled', updated_at = ? where incident_id = ? and state in ('proposed','pending','snoozed') returning id`,
      [now, incidentId],
    );
    return rows.map((r) => r.id);
  }

  /** Remediations whose approval window passed while pending. */
  async expirePending(now: Date): Promise<RemediationRow[]> {
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = 'expired', updated_at = ? where state = 'pending' and expires_at < ? returning id`,
      [now, now],
    );
    return this.remediationsById(rows.map((r) => r.id));
  }

  /** Remediations left in executing/verifying (after a crash), to reconcile. */
  async inFlightRemediations(): Promise<RemediationRow[]> {
    const rows = await this.em().find(RemediationEntity, { state: { $in: ['executing', 'verifying'] } });
    return rows.map(toRemediationRow);
  }

  /**
   * What the guardrails need from history: executed actions in the hour before `now` overall and on
   * the target, and the last failed action on the target.
   */
  async guardrailHistory(target: TargetRef, now: Date): Promise<{ executedInLastHour: number; executedOnTargetInLastHour: number; lastFailureOnTargetAt?: Date }> {
    const hourAgo = new Date(now.getTime() - 3_600_000);
    const executed = `state in ('executing','verifying','succeeded','failed') and action not in ('escalate','none')`;
    const sameTarget = `target->>'kind' = ? and target->>'namespace' = ? and target->>'name' = ?`;
    const [row] = await this.em().execute<Array<{ all: number; mine: number; last_failure: string | null }>>(
      `select
         (select count(*)::int from remediation where ${executed} and updated_at >= ?) as all,
         (select count(*)::int from remediation where ${executed} and updated_at >= ? and ${sameTarget}) as mine,
         (select max(updated_at) from remediation where state = 'failed' and ${sameTarget}) as last_failure`,
      [hourAgo, hourAgo, target.kind, target.namespace, target.name, target.kind, target.namespace, target.name],
    );
    return {
      executedInLastHour: row.all,
      executedOnTargetInLastHour: row.mine,
      lastFailureOnTargetAt: row.last_failure ? new Date(row.last_failure) : undefined,
    };
  }

  /** Since when an unexpired anti-pattern blocks `action` for `symptomsHash` (undefined when none). */
  async antiPatternSince(symptomsHash: string, action: string, now: Date): Promise<Date | undefined> {
    const [row] = await this.em().execute<Array<{ since: string | null }>>(
      `select max(created_at) as since from knowledge_entry
       where kind = 'anti_pattern' and status <> 'discarded' and symptoms_hash = ? and action = ? and (expires_at is null or expires_at > ?)`,
      [symptomsHash, action, now],
    );
    return row?.since ? new Date(row.since) : undefined;
  }

  /** Snoozed remediations whose time has come; each is moved back to pending (one statement). */
  async wakeSnoozed(now: Date, approvalTtlS: number): Promise<RemediationRow[]> {
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = 'pending', snoozed_until = null, updated_at = ?, expires_at = ?
       where state = 'snoozed' and snoozed_until <= ? returning id`,
      [now, new Date(now.getTime() + approvalTtlS * 1000), now],
    );
    return this.remediationsById(rows.map((r) => r.id));
  }

  /** Pending (and snoozed) remediations, oldest first. */
  async openRemediations(): Promise<RemediationRow[]> {
    const rows = await this.em().find(RemediationEntity, { state: { $in: ['pending', 'snoozed'] } }, { orderBy: { id: 'asc' } });
    return rows.map(toRemediationRow);
  }

  /** Mutes an alert group until `until`. */
  async addSilence(input: { groupKey: string; until: Date; createdBy: string; now: Date; alertmanagerSilenceId?: string }): Promise<void> {
    const em = this.em();
    em.create(SilenceEntity, {
      groupKey: input.groupKey,
      until: input.until,
      createdBy: input.createdBy,
      createdAt: input.now,
      alertmanagerSilenceId: input.alertmanagerSilenceId ?? null,
    });
    await em.flush();
  }

  /** The end of the longest active silence on a group, or undefined. */
  async silencedUntil(groupKey: string, now: Date): Promise<Date | undefined> {
    const [row] = await this.em().execute<Array<{ until: string | null }>>(
      `select max(until) as until from silence where group_key = ? and until > ?`,
      [groupKey, now],
    );
    return row?.until ? new Date(row.until) : undefined;
  }

  /** Stores the reason given with a rejection. */
  async setDecisionReason(remediationId: number, userId: number, reason: string): Promise<boolean> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update approval_decision set reason = ? where remediation_id = ? and user_id = ? and decision = 'reject'`,
      [reason.slice(0, 2000), remediationId, userId],
      'run',
    );
    return r.affectedRows > 0;
  }

  /** A playbook for (symptoms hash, action), if learned. */
  async getPlaybook(symptomsHash: string, action: string): Promise<PlaybookRow | undefined> {
    const row = await this.em().findOne(PlaybookEntity, { symptomsHash, action });
    return row ? toPlaybookRow(row) : undefined;
  }

  /** Records a verified outcome: creates or updates the playbook with its new trust score. */
  async recordOutcome(input: {
    symptomsHash: string;
    action: string;
    target: string;
    category: string;
    trustScore: number;
    success: boolean;
    now: Date;
  }): Promise<PlaybookRow> {
    const [row] = await this.em().execute<Array<Record<string, unknown>>>(
      `insert into playbook (symptoms_hash, action, target, category, trust_score, successes, failures, last_outcome_at, published)
       values (?, ?, ?, ?, ?, ?, ?, ?, false)
       on conflict on constraint playbook_symptoms_action_unique do update set
         trust_score = excluded.trust_score, target = excluded.target, category = excluded.category,
         successes = playbook.successes + excluded.successes, failures = playbook.failures + excluded.failures,
         last_outcome_at = excluded.last_outcome_at
       returning id, symptoms_hash as "symptomsHash", action, target, category, trust_score as "trustScore",
                 successes, failures, last_outcome_at as "lastOutcomeAt", published`,
      [input.symptomsHash, input.action, input.target, input.category, input.trustScore, input.success ? 1 : 0, input.success ? 0 : 1, input.now],
    );
    return toPlaybookRow(row);
  }

  /** Playbooks, most trusted first. */
  async listPlaybooks(limit = 50): Promise<PlaybookRow[]> {
    const rows = await this.em().find(PlaybookEntity, {}, { orderBy: { trustScore: 'desc', id: 'asc' }, limit });
    return rows.map(toPlaybookRow);
  }

  /** Creates a knowledge entry (runbook draft or anti-pattern). */
  async createKnowledge(input: {
    kind: 'runbook' | 'anti_pattern';
    status: 'draft' | 'published';
    symptomsHash: string;
    action: string;
    target: string;
    title: string;
    body: string;
    remediationId?: number;
    now: Date;
    expiresAt?: Date;
  }): Promise<number> {
    const em = this.em();
    const e = em.create(KnowledgeEntryEntity, {
      kind: input.kind,
      status: input.status,
      symptomsHash: input.symptomsHash,
      action: input.action,
      target: input.target,
      title: input.title,
      body: input.body,
      remediation: input.remediationId ?? null,
      createdAt: input.now,
      expiresAt: input.expiresAt ?? null,
      decidedBy: null,
    });
    await em.flush();
    return e.id;
  }

  /**
   * Publishes or discards a draft (one conditional update) and, when publishing a runbook, marks
   * the playbook of the same (symptoms hash, action) published.
   * @returns false when the entry was not a draft any more.
   */
  async decideKnowledge(id: number, status: 'published' | 'discarded', by: string): Promise<KnowledgeRow | undefined> {
    return this.em().transactional(async (em) => {
      const rows = await em.execute<Array<Record<string, unknown>>>(
        `update knowledge_entry set status = ?, decided_by = ? where id = ? and status = 'draft'
         returning id, kind, status, symptoms_hash as "symptomsHash", action, target, title, body`,
        [status, by, id],
      );
      const row = rows[0] as unknown as KnowledgeRow | undefined;
      if (row && status === 'published' && row.kind === 'runbook') {
        await em.execute(`update playbook set published = true where symptoms_hash = ? and action = ?`, [row.symptomsHash, row.action], 'run');
      }
      return row;
    });
  }

  /** One knowledge entry. */
  async getKnowledge(id: number): Promise<KnowledgeRow | undefined> {
    const row = await this.em().findOne(KnowledgeEntryEntity, { id });
    return row
      ? { id: row.id, kind: row.kind, status: row.status, symptomsHash: row.symptomsHash, action: row.action, target: row.target, title: row.title, body: row.body }
      : undefined;
  }

  /**
   * Finished remediations with their incident's diagnosis, oldest first (for the fine-tuning export).
   * Only verified outcomes (succeeded/failed) are returned.
   */
  async finishedRemediations(): Promise<Array<{ remediation: RemediationRow; incident: IncidentRow }>> {
    const em = this.em();
    const rems = (await em.find(RemediationEntity, { state: { $in: ['succeeded', 'failed'] } }, { orderBy: { id: 'asc' } })).map(toRemediationRow);
    const ids = [...new Set(rems.map((r) => r.incidentId))];
    const incidents = new Map(
      (ids.length ? await em.find(IncidentEntity, { id: { $in: ids } }) : []).map((i) => [i.id, toIncidentRow(i)] as const),
    );
    return rems.flatMap((remediation) => {
      const incident = incidents.get(remediation.incidentId);
      return incident ? [{ remediation, incident }] : [];
    });
  }

  /** Appends an audit row. */
  async audit(entry: AuditEntry, now: Date): Promise<void> {
    const em = this.em();
    em.create(AuditLogEntity, {
      at: now,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject ?? null,
      input: entry.input ?? null,
      output: entry.output ?? null,
      durationMs: entry.durationMs === undefined ? null : Math.round(entry.durationMs),
      error: entry.error ?? null,
    });
    await em.flush();
  }

  /** Audit rows about a subject (e.g. `remediation:4`), oldest first. */
  async auditTrail(subject: string): Promise<AuditEntry[]> {
    const rows = await this.em().find(AuditLogEntity, { subject }, { orderBy: { id: 'asc' } });
    return rows.map((r) => ({
      actor: r.actor,
      action: r.action,
      subject: r.subject ?? undefined,
      input: r.input,
      output: r.output,
      durationMs: r.durationMs ?? undefined,
      error: r.error ?? undefined,
    }));
  }

  /** Remembers the chat message of a card. */
  async saveCardMessage(input: { chatId: number; messageId: number; kind: string; incidentId?: number; remediationId?: number; now: Date }): Promise<void> {
    const em = this.em();
    em.create(ChatMessageEntity, {
      chatId: input.chatId,
      messageId: input.messageId,
      kind: input.kind,
      incident: input.incidentId ?? null,
      remediation: input.remediationId ?? null,
      createdAt: input.now,
      updatedAt: input.now,
    });
    await em.flush();
  }

  /** Card messages of an incident. */
  async cardMessages(incidentId: number): Promise<Array<{ chatId: number; messageId: number; kind: string; remediationId: number | null }>> {
    return this.em().execute(
      `select chat_id::float8 as "chatId", message_id as "messageId", kind, remediation_id as "remediationId"
       from chat_message where incident_id = ? order by id`,
      [incidentId],
    );
  }

  /** Card messages showing a knowledge entry (review cards). */
  async knowledgeCardMessages(knowledgeId: number): Promise<Array<{ chatId: number; messageId: number }>> {
    return this.em().execute(
      `select chat_id::float8 as "chatId", message_id as "messageId" from chat_message where kind = ? order by id`,
      [`knowledge:${knowledgeId}`],
    );
  }
}

function toPlaybookRow(e: unknown): PlaybookRow {
  const r = e as Record<string, unknown>;
  return {
    id: Number(r.id),
    symptomsHash: r.symptomsHash as string,
    action: r.action as string,
    target: r.target as string,
    category: r.category as string,
    trustScore: Number(r.trustScore),
    successes: Number(r.successes),
    failures: Number(r.failures),
    lastOutcomeAt: new Date(r.lastOutcomeAt as string | Date),
    published: Boolean(r.published),
  };
}

function toIncidentRow(e: InstanceType<typeof IncidentEntity.class> | Record<string, unknown>): IncidentRow {
  const r = e as unknown as IncidentRow;
  return {
    id: r.id,
    groupKey: r.groupKey,
    status: r.status,
    alertname: r.alertname,
    severity: r.severity,
    summary: r.summary,
    target: r.target ?? null,
    groupLabels: r.groupLabels,
    diagnosis: r.diagnosis ?? null,
    openedAt: r.openedAt,
    lastAlertAt: r.lastAlertAt,
    resolvedAt: r.resolvedAt ?? null,
  };
}

function toRemediationRow(e: unknown): RemediationRow {
  const r = e as Record<string, unknown> & { incident: { id: number } | number };
  return {
    id: r.id as number,
    incidentId: typeof r.incident === 'number' ? r.incident : r.incident.id,
    token: r.token as string,
    action: r.action as string,
    target: r.target as TargetRef,
    params: r.params as Record<string, string | number>,
    plan: r.plan as Record<string, unknown>,
    state: r.state as RemediationState,
    approvalsRequired: r.approvalsRequired as number,
    preState: (r.preState as Record<string, unknown> | null) ?? null,
    result: (r.result as Record<string, unknown> | null) ?? null,
    createdAt: r.createdAt as Date,
    updatedAt: r.updatedAt as Date,
    expiresAt: (r.expiresAt as Date | null) ?? null,
    snoozedUntil: (r.snoozedUntil as Date | null) ?? null,
    undoOf: (r.undoOf as number | null) ?? null,
    symptomsHash: (r.symptomsHash as string | null) ?? null,
    confidence: (r.confidence as number | null) ?? null,
  };
}
