/**
 * Remediations and their approval decisions. Every state write goes through
 * {@link legalSources} (domain/remediation/states.ts), so no statement can move a remediation
 * along a transition the lifecycle forbids; state lists in SQL come from the domain's named sets.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type {
  DecideOutcome,
  Decision,
  Incident,
  NewRemediation,
  Remediation,
  RemediationRepository,
  TransitionFields,
} from '../../agent/ports.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { GuardrailHistory } from '../../domain/guardrails.ts';
import {
  EXECUTED,
  legalSources,
  VERIFIED,
  type Ballot,
  type DecisionRuling,
  type DecisionVerb,
  type RemediationState,
} from '../../domain/remediation/index.ts';
import { IncidentEntity, RemediationEntity } from '../schema.ts';
import { enqueueIn } from './jobs.ts';
import { decodeDecision, decodeIncident, decodeRemediation, OrmRepository, textArray } from './support.ts';

/** Actions that never touch the cluster (not counted by the guardrails). */
const NO_OP_ACTIONS = ['escalate', 'none'];

/** {@link RemediationRepository} on PostgreSQL. */
export class OrmRemediationRepository extends OrmRepository implements RemediationRepository {
  async create(input: NewRemediation): Promise<Remediation> {
    const em = this.em();
    const { plan } = input;
    const entity = em.create(RemediationEntity, {
      incident: input.incidentId,
      token: input.token,
      action: plan.action,
      target: plan.target,
      params: plan.params,
      plan: plan as unknown as Record<string, unknown>,
      state: input.state,
      approvalsRequired: Number.isFinite(plan.approvalsRequired) ? plan.approvalsRequired : 99,
      createdAt: input.now,
      updatedAt: input.now,
      expiresAt: input.expiresAt ?? null,
      undoOf: input.undoOf ?? null,
      symptomsHash: input.symptomsHash ?? null,
      confidence: input.confidence ?? null,
      origin: input.origin,
    });
    await em.flush();
    return decodeRemediation(entity);
  }

  async get(id: number): Promise<Remediation | undefined> {
    const row = await this.em().findOne(RemediationEntity, { id });
    return row ? decodeRemediation(row) : undefined;
  }

  async byToken(token: string): Promise<Remediation | undefined> {
    const row = await this.em().findOne(RemediationEntity, { token });
    return row ? decodeRemediation(row) : undefined;
  }

  async latestOf(incidentId: number): Promise<Remediation | undefined> {
    const row = await this.em().findOne(RemediationEntity, { incident: incidentId }, { orderBy: { id: 'desc' } });
    return row ? decodeRemediation(row) : undefined;
  }

  async undoOf(id: number): Promise<Remediation | undefined> {
    const row = await this.em().findOne(RemediationEntity, { undoOf: id }, { orderBy: { id: 'desc' } });
    return row ? decodeRemediation(row) : undefined;
  }

  async byIds(ids: readonly number[]): Promise<Remediation[]> {
    if (ids.length === 0) return [];
    const rows = await this.em().find(RemediationEntity, { id: { $in: [...ids] } }, { orderBy: { id: 'asc' } });
    return rows.map(decodeRemediation);
  }

  async inStates(states: readonly RemediationState[]): Promise<Remediation[]> {
    const rows = await this.em().find(RemediationEntity, { state: { $in: [...states] } }, { orderBy: { id: 'asc' } });
    return rows.map(decodeRemediation);
  }

  async transition(
    id: number,
    from: readonly RemediationState[],
    to: RemediationState,
    now: Date,
    fields: TransitionFields = {},
  ): Promise<Remediation | undefined> {
    const legal = legalSources(from, to);
    const em = this.em();
    const update: Record<string, unknown> = { state: to, updatedAt: now };
    if (fields.result !== undefined) update.result = fields.result;
    if (fields.preState !== undefined) update.preState = fields.preState;
    if (fields.snoozedUntil !== undefined) update.snoozedUntil = fields.snoozedUntil;
    if (fields.expiresAt !== undefined) update.expiresAt = fields.expiresAt;
    const count = await em.nativeUpdate(RemediationEntity, { id, state: { $in: legal } }, update);
    if (count === 0) return undefined;
    return this.get(id);
  }

  /**
   * Records a press under a row lock (`for update`), so double taps and racing approvers are
   * serialised; `rule` decides, this persists: the ballot, the transition, and for an approval
   * completing the quorum an `execute` job — all in one transaction.
   */
  async decide(
    input: { token: string; userId: number; userName: string; decision: DecisionVerb; now: Date; snoozeUntil?: Date },
    rule: (rem: { state: RemediationState; approvalsRequired: number; expiresAt: Date | null }, ballots: Ballot[], press: Ballot, now: Date) => DecisionRuling,
  ): Promise<DecideOutcome> {
    return this.em().transactional(async (em) => {
      const locked = await em.execute<Array<{ id: number; state: RemediationState; approvals_required: number; expires_at: string | Date | null }>>(
        `select id, state, approvals_required, expires_at from remediation where token = ? for update`,
        [input.token],
      );
      const row = locked[0];
      if (!row) return { kind: 'not_found' } as const;
      const ballots = await decisionsIn(em, row.id);
      const ruling = rule(
        { state: row.state, approvalsRequired: row.approvals_required, expiresAt: row.expires_at === null ? null : new Date(row.expires_at) },
        ballots,
        { userId: input.userId, decision: input.decision },
        input.now,
      );
      const current = async () => ({
        remediation: decodeRemediation(await em.findOneOrFail(RemediationEntity, { id: row.id }, { refresh: true })),
        decisions: await decisionsIn(em, row.id),
      });
      const move = async (to: RemediationState, extra = '', params: unknown[] = []) => {
        const legal = legalSources([row.state], to);
        await em.execute(`update remediation set state = ?, updated_at = ?${extra} where id = ? and state = any(?::text[])`, [to, input.now, ...params, row.id, textArray(legal)], 'run');
      };
      const insertBallot = () =>
        em.execute(
          `insert into approval_decision (remediation_id, user_id, user_name, decision, reason, decided_at)
           values (?, ?, ?, ?, null, ?) on conflict on constraint approval_decision_once_per_user do nothing`,
          [row.id, input.userId, input.userName, input.decision, input.now],
          'run',
        );
      switch (ruling.kind) {
        case 'expire':
          await move('expired');
          return { kind: 'not_pending', ...(await current()) } as const;
        case 'not_pending':
          return { kind: 'not_pending', ...(await current()) } as const;
        case 'already_voted':
          return { kind: 'already_voted', ...(await current()) } as const;
        case 'recorded':
          await insertBallot();
          return { kind: 'recorded', approvals: ruling.approvals, ...(await current()) } as const;
        case 'transition':
          if (ruling.replacesLater) {
            await em.execute(`delete from approval_decision where remediation_id = ? and user_id = ? and decision = 'later'`, [row.id, input.userId], 'run');
          }
          await insertBallot();
          if (ruling.to === 'snoozed') await move('snoozed', ', snoozed_until = ?', [input.snoozeUntil ?? input.now]);
          else await move(ruling.to);
          if (ruling.to === 'approved') await enqueueIn(em, { kind: 'execute', remediationId: row.id }, input.now);
          return { kind: 'decided', ...(await current()) } as const;
      }
    });
  }

  async autoApprove(id: number, now: Date): Promise<boolean> {
    const legal = legalSources(['proposed'], 'approved');
    return this.em().transactional(async (em) => {
      const r = await em.execute<{ affectedRows: number }>(
        `update remediation set state = 'approved', updated_at = ? where id = ? and state = any(?::text[])`,
        [now, id, textArray(legal)],
        'run',
      );
      if (r.affectedRows === 0) return false;
      await enqueueIn(em, { kind: 'execute', remediationId: id }, now);
      return true;
    });
  }

  async transitionAllOf(incidentId: number, from: readonly RemediationState[], to: RemediationState, now: Date): Promise<number[]> {
    const legal = legalSources(from, to);
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = ?, updated_at = ? where incident_id = ? and state = any(?::text[]) returning id`,
      [to, now, incidentId, textArray(legal)],
    );
    return rows.map((r) => r.id);
  }

  async expireDue(now: Date): Promise<Remediation[]> {
    const legal = legalSources(['pending'], 'expired');
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = 'expired', updated_at = ? where state = any(?::text[]) and expires_at < ? returning id`,
      [now, textArray(legal), now],
    );
    return this.byIds(rows.map((r) => r.id));
  }

  async wakeDue(now: Date, expiresAt: Date): Promise<Remediation[]> {
    const legal = legalSources(['snoozed'], 'pending');
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update remediation set state = 'pending', snoozed_until = null, updated_at = ?, expires_at = ?
       where state = any(?::text[]) and snoozed_until <= ? returning id`,
      [now, expiresAt, textArray(legal), now],
    );
    return this.byIds(rows.map((r) => r.id));
  }

  decisions(id: number): Promise<Decision[]> {
    return decisionsIn(this.em(), id);
  }

  async setRejectReason(id: number, userId: number, reason: string): Promise<boolean> {
    const r = await this.em().execute<{ affectedRows: number }>(
      `update approval_decision set reason = ? where remediation_id = ? and user_id = ? and decision = 'reject'`,
      [reason.slice(0, 2000), id, userId],
      'run',
    );
    return r.affectedRows > 0;
  }

  async guardrailHistory(target: TargetRef, now: Date): Promise<GuardrailHistory> {
    const hourAgo = new Date(now.getTime() - 3_600_000);
    const executed = `state = any(?::text[]) and action <> all(?::text[])`;
    const sameTarget = `target->>'kind' = ? and target->>'namespace' = ? and target->>'name' = ?`;
    const t = [target.kind, target.namespace, target.name];
    const [row] = await this.em().execute<Array<{ all: number; mine: number; last_failure: string | null }>>(
      `select
         (select count(*)::int from remediation where ${executed} and updated_at >= ?) as all,
         (select count(*)::int from remediation where ${executed} and updated_at >= ? and ${sameTarget}) as mine,
         (select max(updated_at) from remediation where state = 'failed' and ${sameTarget}) as last_failure`,
      [textArray(EXECUTED), textArray(NO_OP_ACTIONS), hourAgo, textArray(EXECUTED), textArray(NO_OP_ACTIONS), hourAgo, ...t, ...t],
    );
    const history: GuardrailHistory = { executedInLastHour: row.all, executedOnTargetInLastHour: row.mine };
    if (row.last_failure) history.lastFailureOnTargetAt = new Date(row.last_failure);
    return history;
  }

  async finishedWithIncidents(): Promise<Array<{ remediation: Remediation; incident: Incident }>> {
    const em = this.em();
    const rems = (await em.find(RemediationEntity, { state: { $in: [...VERIFIED] } }, { orderBy: { id: 'asc' } })).map(decodeRemediation);
    const ids = [...new Set(rems.map((r) => r.incidentId))];
    const incidents = new Map((ids.length ? await em.find(IncidentEntity, { id: { $in: ids } }) : []).map((i) => [i.id, decodeIncident(i)] as const));
    return rems.flatMap((remediation) => {
      const incident = incidents.get(remediation.incidentId);
      return incident ? [{ remediation, incident }] : [];
    });
  }
}

async function decisionsIn(em: EntityManager, remediationId: number): Promise<Decision[]> {
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `select user_id::float8 as "userId", user_name as "userName", decision, reason, decided_at as "decidedAt"
     from approval_decision where remediation_id = ? order by id`,
    [remediationId],
  );
  return rows.map(decodeDecision);
}
