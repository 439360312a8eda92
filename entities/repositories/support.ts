/**
 * What the repositories share: a forked EntityManager per call, the unique-violation test, and
 * the decoders that turn rows into the core's typed domain values (once, here).
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Decision, Incident, Playbook, Remediation } from '../../agent/ports.ts';
import type { Applied } from '../../agent/actions/types.ts';
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import type { RemediationPlan } from '../../agent/plan.ts';
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import type { DecisionVerb, ExecutionResult, RemediationOrigin, RemediationState } from '../../domain/remediation/index.ts';

/** Base of a repository: one ORM per process, a fork of its EntityManager per call. */
export abstract class OrmRepository {
  constructor(protected readonly orm: MikroORM) {}

  protected em(): EntityManager {
    return this.orm.em.fork();
  }
}

/** A unique violation, as MikroORM wraps it or as the pg driver raises it (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof UniqueConstraintViolationException || (err as { code?: unknown } | null)?.code === '23505';
}

/** A timestamptz as raw queries return it (text) or entities do (Date). */
function toDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(v as string);
}

function toDateOrNull(v: unknown): Date | null {
  return v === null || v === undefined ? null : toDate(v);
}

/** Decodes an incident row (entity or raw with camelCase aliases). */
export function decodeIncident(e: unknown): Incident {
  const r = e as Record<string, unknown>;
  return {
    id: Number(r.id),
    groupKey: r.groupKey as string,
    status: r.status as Incident['status'],
    alertname: r.alertname as string,
    severity: r.severity as string,
    summary: r.summary as string,
    target: (r.target as TargetRef | null | undefined) ?? null,
    groupLabels: (r.groupLabels as Record<string, string> | undefined) ?? {},
    diagnosis: (r.diagnosis as DiagnosisRecord | null | undefined) ?? null,
    openedAt: toDate(r.openedAt),
    lastAlertAt: toDate(r.lastAlertAt),
    resolvedAt: toDateOrNull(r.resolvedAt),
  };
}

/** Decodes a remediation row (entity, `incident` as a reference or id). */
export function decodeRemediation(e: unknown): Remediation {
  const r = e as Record<string, unknown> & { incident: { id: number } | number };
  return {
    id: Number(r.id),
    incidentId: typeof r.incident === 'number' ? r.incident : r.incident.id,
    token: r.token as string,
    action: r.action as ActionKind,
    target: r.target as TargetRef,
    params: r.params as Record<string, string | number>,
    plan: r.plan as unknown as RemediationPlan,
    state: r.state as RemediationState,
    approvalsRequired: Number(r.approvalsRequired),
    preState: (r.preState as Applied | null | undefined) ?? null,
    result: (r.result as ExecutionResult | null | undefined) ?? null,
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
    expiresAt: toDateOrNull(r.expiresAt),
    snoozedUntil: toDateOrNull(r.snoozedUntil),
    undoOf: (r.undoOf as number | null | undefined) ?? null,
    symptomsHash: (r.symptomsHash as string | null | undefined) ?? null,
    confidence: (r.confidence as number | null | undefined) ?? null,
    origin: ((r.origin as RemediationOrigin | undefined) ?? 'alert'),
  };
}

/** Decodes a decision row (raw, camelCase aliases). */
export function decodeDecision(r: Record<string, unknown>): Decision {
  return {
    userId: Number(r.userId),
    userName: r.userName as string,
    decision: r.decision as DecisionVerb,
    reason: (r.reason as string | null) ?? null,
    decidedAt: toDate(r.decidedAt),
  };
}

/** Decodes a playbook row. */
export function decodePlaybook(e: unknown): Playbook {
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
    lastOutcomeAt: toDate(r.lastOutcomeAt),
    published: Boolean(r.published),
  };
}

/**
 * A PostgreSQL text[] literal (`{"a","b"}`) for binding a list as one parameter (`= any(?::text[])`):
 * the driver does not expand arrays itself.
 */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
