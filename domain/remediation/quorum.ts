/**
 * Approval quorum: what one button press does to a remediation, given who already decided.
 * Pure; the repository calls it under the remediation's row lock and persists the answer, so
 * double taps and racing approvers are serialised and exactly one press moves `pending` on.
 */
import type { RemediationState } from './states.ts';

/** What a person can press on a pending card. */
export type DecisionVerb = 'approve' | 'reject' | 'later';

/** One stored decision. */
export interface Ballot {
  userId: number;
  decision: DecisionVerb;
}

/** What {@link applyDecision} rules. */
export type DecisionRuling =
  /** Pending past its approval TTL: expire it now (rather than wait for the sweep) and refuse. */
  | { kind: 'expire' }
  /** Not pending (decided, expired, cancelled…): refuse. */
  | { kind: 'not_pending' }
  /** This person already pressed this button: refuse (a second approver must be someone else). */
  | { kind: 'already_voted' }
  /** An approval recorded; the quorum is not reached yet. */
  | { kind: 'recorded'; approvals: number }
  /**
   * Record the ballot and move the remediation to `to`. `replacesLater`: delete this person's
   * earlier Later first ("Later is not a vote": the same person may snooze again).
   */
  | { kind: 'transition'; to: 'approved' | 'rejected' | 'snoozed'; replacesLater: boolean; approvals: number };

/**
 * Rules a press: expiry first, then "only pending cards are decided", then one ballot per person
 * and verb, then the quorum — `max(1, approvalsRequired)` distinct approvers (a remediation that
 * needs no approval, like an escalation, is never approved into execution).
 * @param rem the remediation as locked.
 * @param ballots decisions stored before this press.
 * @param press who pressed what.
 */
export function applyDecision(
  rem: { state: RemediationState; approvalsRequired: number; expiresAt: Date | null },
  ballots: readonly Ballot[],
  press: Ballot,
  now: Date,
): DecisionRuling {
  if (isExpired(rem, now)) return { kind: 'expire' };
  if (rem.state !== 'pending') return { kind: 'not_pending' };
  const approvers = new Set(ballots.filter((b) => b.decision === 'approve').map((b) => b.userId));
  if (press.decision === 'later') return { kind: 'transition', to: 'snoozed', replacesLater: true, approvals: approvers.size };
  if (ballots.some((b) => b.userId === press.userId && b.decision === press.decision)) return { kind: 'already_voted' };
  if (press.decision === 'reject') return { kind: 'transition', to: 'rejected', replacesLater: false, approvals: approvers.size };
  approvers.add(press.userId);
  if (approvers.size < Math.max(1, rem.approvalsRequired)) return { kind: 'recorded', approvals: approvers.size };
  return { kind: 'transition', to: 'approved', replacesLater: false, approvals: approvers.size };
}

/**
 * When a pending card expires, or when a snoozed one comes back and is pending again.
 * @param ttlS approval window in seconds (APPROVAL_TTL_S).
 */
export function approvalDeadline(from: Date, ttlS: number): Date {
  return new Date(from.getTime() + ttlS * 1000);
}

/** True when a pending card's approval window has passed at `now`. */
export function isExpired(rem: { state: RemediationState; expiresAt: Date | null }, now: Date): boolean {
  return rem.state === 'pending' && rem.expiresAt !== null && rem.expiresAt.getTime() < now.getTime();
}
