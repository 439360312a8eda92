/**
 * Small helpers the use cases share.
 */
import { randomBytes } from 'node:crypto';
import { ACTION_TRAITS } from '../../domain/actions/catalog.ts';
import { symptomsHash } from '../../domain/learning.ts';
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import { approvalDeadline, type ExecutionResult, type InverseAction, type RemediationOrigin } from '../../domain/remediation/index.ts';
import type { DiagnosisRecord } from '../diagnose.ts';
import type { RemediationPlan } from '../plan.ts';
import type { Remediation } from '../ports.ts';
import type { Core } from './context.ts';

/** Actions that never touch the cluster (their `noOp` trait): nothing to approve, execute or learn from. */
export function isNoOpAction(action: ActionKind): boolean {
  return ACTION_TRAITS[action].noOp;
}

/** An {@link ExecutionResult} stamped `at`. */
export function executionResult(ok: boolean, message: string, at: Date, steps: string[], inverse: InverseAction | null): ExecutionResult {
  return { ok, message, at: at.toISOString(), steps, inverse };
}

/**
 * Stores a planned remediation: `blocked` when the plan is, `proposed` when it may run on its
 * own (auto tier), else `pending` a decision; with a fresh opaque token (12 base64url characters)
 * and the approval deadline from settings.
 */
export function storePlanned(
  core: Core,
  incidentId: number,
  plan: RemediationPlan,
  now: Date,
  extra: { origin: RemediationOrigin; undoOf?: number; symptomsHash?: string; confidence?: number },
): Promise<Remediation> {
  return core.repos.remediations.create({
    incidentId,
    token: randomBytes(9).toString('base64url'),
    plan,
    state: plan.tier === 'blocked' ? 'blocked' : plan.autoExecute ? 'proposed' : 'pending',
    now,
    expiresAt: approvalDeadline(now, core.settings.approvalTtlS),
    ...extra,
  });
}

/** Symptoms hash of a diagnosis (16 hex chars), keying playbooks and anti-patterns. */
export function symptomsHashOf(d: DiagnosisRecord, target: TargetRef): string {
  const primary = d.findings[0];
  return symptomsHash({
    targetKind: target.kind,
    namespace: target.namespace,
    workload: target.name,
    category: d.category,
    analyzer: primary?.analyzer ?? 'none',
    cause: primary?.cause ?? d.cause,
  });
}
