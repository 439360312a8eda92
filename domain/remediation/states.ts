/**
 * The remediation lifecycle: its states, the allowed transitions, and the named state sets every
 * query and use case reads (the only source of these lists; SQL `where state = any($1)` is built
 * from them). Pure.
 */

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

/** Allowed transitions; every state change is checked against this table. */
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

/** A state change that {@link TRANSITIONS} does not allow: a bug in the caller, never an expected outcome. */
export class IllegalTransition extends Error {
  constructor(
    readonly from: readonly RemediationState[],
    readonly to: RemediationState,
  ) {
    super(`illegal remediation transition ${from.join('|')} → ${to}`);
    this.name = 'IllegalTransition';
  }
}

/**
 * The states among `from` that may move to `to`.
 * @throws IllegalTransition when none may (the caller asked for a move the lifecycle forbids).
 */
export function legalSources(from: readonly RemediationState[], to: RemediationState): RemediationState[] {
  const legal = from.filter((f) => canTransition(f, to));
  if (legal.length === 0) throw new IllegalTransition(from, to);
  return legal;
}

/** Waiting for a human: a card with Approve/Reject (or snoozed until it comes back). */
export const AWAITING_DECISION: readonly RemediationState[] = ['pending', 'snoozed'];

/** Not decided yet (including an auto-tier plan not yet approved): cancelled when the alert resolves. */
export const UNDECIDED: readonly RemediationState[] = ['proposed', 'pending', 'snoozed'];

/**
 * Still alive: decided or not, it has not finished. An incident (or proposal key) with a live
 * remediation gets no second one; a retried diagnosis job does not diagnose again.
 */
export const LIVE: readonly RemediationState[] = ['proposed', 'pending', 'snoozed', 'approved', 'executing', 'verifying'];

/** Touching the cluster right now (reconciled after a restart, never applied twice). */
export const IN_FLIGHT: readonly RemediationState[] = ['executing', 'verifying'];

/** Executed (or being executed): what the rate-limit guardrails count. */
export const EXECUTED: readonly RemediationState[] = ['executing', 'verifying', 'succeeded', 'failed'];

/** Finished with a verified outcome (learning, the fine-tuning export, Undo). */
export const VERIFIED: readonly RemediationState[] = ['succeeded', 'failed'];

/** True when `state` is in `set`. */
export function isIn(set: readonly RemediationState[], state: RemediationState): boolean {
  return set.includes(state);
}
