/**
 * Remediation plans, blast-radius scoring, tiers and the remediation state machine. Pure.
 */
import type { ActionKind, TargetRef } from './diagnosis.ts';

/** Lifecycle of a remediation (issue "Safe remediation"). */
export const REMEDIATION_STATES = [
  'proposed',
  'pending',
  'approved',
  'executing',
  'verifying',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'blocked',
  'snoozed',
  'cancelled',
] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];

/** States from which nothing more happens. */
export const TERMINAL_STATES: readonly RemediationState[] = ['succeeded', 'failed', 'rejected', 'expired', 'blocked', 'cancelled'];

/** Allowed transitions; every state change in the store is checked against this table. */
export const TRANSITIONS: Readonly<Record<RemediationState, readonly RemediationState[]>> = {
  proposed: ['pending', 'blocked', 'approved', 'cancelled'],
  pending: ['approved', 'rejected', 'expired', 'snoozed', 'cancelled'],
  snoozed: ['pending', 'expired', 'cancelled'],
  approved: ['executing', 'cancelled'],
  executing: ['verifying', 'failed'],
  verifying: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  rejected: [],
  expired: [],
  blocked: [],
  cancelled: [],
};

/** True when `from → to` is a legal transition. */
export function canTransition(from: RemediationState, to: RemediationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Who must approve: `auto` runs at once, `human` needs one approver, `dual` two, `blocked` none may. */
export type Tier = 'auto' | 'human' | 'dual' | 'blocked';

/**
 * Tier for a blast-radius score 0–100: auto ≤ 10, human 11–50, dual 51–99, blocked 100.
 * A score that is not a number fails closed (`blocked`), never open (`auto`).
 */
export function tierForScore(score: number): Tier {
  if (Number.isNaN(score) || score >= 100) return 'blocked';
  if (score > 50) return 'dual';
  if (score > 10) return 'human';
  return 'auto';
}

/** Approvals a tier needs before executing. */
export function approvalsRequired(tier: Tier): number {
  switch (tier) {
    case 'auto':
      return 0;
    case 'human':
      return 1;
    case 'dual':
      return 2;
    case 'blocked':
      return Number.POSITIVE_INFINITY;
  }
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

/** Escapes a string for literal use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Human wording of an action, for cards. */
export function describeAction(action: ActionKind, target: TargetRef, params: Record<string, unknown> = {}): string {
  const t = `${target.kind.toLowerCase()}/${target.name}`;
  switch (action) {
    case 'restart':
      return `rollout restart ${t}`;
    case 'rollback':
      return params.toRevision ? `rollout undo ${t} to revision ${params.toRevision}` : `rollout undo ${t}`;
    case 'scale':
      return `scale ${t} to ${params.replicas ?? '?'} replicas`;
    case 'delete_pod':
      return `delete pod ${params.pod ?? target.name}`;
    case 'raise_memory':
      return `raise memory limit of ${params.container ?? 'container'} in ${t}`;
    case 'escalate':
      return 'escalate to a human (no automatic action)';
    case 'apply_manifest':
      return `server-side apply ${params.summary ?? `${params.count ?? 'the'} manifest(s)`}`;
    case 'none':
      return 'no action';
  }
}
