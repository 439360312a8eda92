/**
 * Approve · Reject · Later on an incident card, and the optional reason after a rejection. Who
 * may press is read from the one permission table (domain/authz.ts) by user id; the press is
 * ruled by the approval quorum (domain/remediation/quorum.ts) under a row lock, so double taps
 * and racing approvers are safe: exactly one press moves the remediation on.
 */
import { ACTION_TRAITS } from '../../domain/actions/catalog.ts';
import { applyDecision, type DecisionVerb, type RemediationState } from '../../domain/remediation/index.ts';
import type { Decision } from '../ports.ts';
import { authorize, type Actor, type Core, type Refusal } from './context.ts';
import { isNoOpAction } from './support.ts';

/** What a press on Approve / Reject / Later came to. The bot words it and then refreshes the card. */
export type DecisionOutcome =
  /** The token is unknown (a card from a wiped database, forged data). */
  | { kind: 'stale' }
  | { kind: 'forbidden'; reason: Refusal }
  /** Decided before (or expired, cancelled): `last` is the last decision, if any. */
  | { kind: 'already_decided'; incidentId: number; state: RemediationState; last?: Pick<Decision, 'userName' | 'decision' | 'decidedAt'> }
  /** This person already pressed this; a second approver must be someone else. */
  | { kind: 'already_voted'; incidentId: number }
  /** One approval of several recorded. */
  | { kind: 'approval_recorded'; incidentId: number; approvals: number; required: number }
  | { kind: 'approved'; incidentId: number }
  /** Rejected; `askReason`: the bot may ask the person for a reason ({@link setRejectReason}). */
  | { kind: 'rejected'; incidentId: number; token: string; askReason: boolean }
  /** An escalation dismissed (its Reject reads "Dismiss"). */
  | { kind: 'dismissed'; incidentId: number }
  | { kind: 'snoozed'; incidentId: number; minutes: number };

/** Default snooze of "Later", minutes. */
export const DEFAULT_SNOOZE_MINUTES = 30;

/** Applies a button press on a remediation card. Refusals are audited with the actor's id. */
export async function decide(core: Core, token: string, verb: DecisionVerb, actor: Actor): Promise<DecisionOutcome> {
  const { repos, clock } = core;
  const now = clock.now();
  const rem = await repos.remediations.byToken(token);
  if (!rem) return { kind: 'stale' };
  const subject = `remediation:${rem.id}`;
  const refusal = await authorize(core, actor, `remediation.${verb}`, subject, { tier: rem.plan.tier });
  if (refusal) return { kind: 'forbidden', reason: refusal };
  if (verb === 'approve' && (rem.approvalsRequired < 1 || isNoOpAction(rem.action))) {
    // Only reachable with forged callback data: such cards carry no Approve button.
    await core.audit(`user:${actor.id}`, 'remediation.approve.denied', subject, { error: 'nothing to approve' });
    return { kind: 'forbidden', reason: 'nothing_to_approve' };
  }
  const minutes = core.settings.snoozeMinutes ?? DEFAULT_SNOOZE_MINUTES;
  const snoozeUntil = verb === 'later' ? new Date(now.getTime() + minutes * 60_000) : undefined;
  const outcome = await repos.remediations.decide({ token, userId: actor.id, userName: actor.name, decision: verb, now, snoozeUntil }, applyDecision);
  if (outcome.kind === 'not_found') return { kind: 'stale' };
  const current = outcome.remediation;
  const incidentId = current.incidentId;
  switch (outcome.kind) {
    case 'not_pending': {
      const last = outcome.decisions[outcome.decisions.length - 1];
      return { kind: 'already_decided', incidentId, state: current.state, ...(last ? { last } : {}) };
    }
    case 'already_voted':
      return { kind: 'already_voted', incidentId };
    case 'recorded':
      await core.audit(`user:${actor.id}`, `remediation.${verb}`, subject, { output: { approvals: outcome.approvals, required: current.approvalsRequired } });
      return { kind: 'approval_recorded', incidentId, approvals: outcome.approvals, required: current.approvalsRequired };
    case 'decided':
      if (current.state === 'approved') core.nudge();
      await core.audit(`user:${actor.id}`, `remediation.${verb}`, subject, { output: { state: current.state } });
      core.metrics?.decisions.inc({ decision: verb });
      if (current.state === 'rejected') {
        await core.told({ remediationId: current.id, origin: current.origin, state: current.state });
      }
      switch (current.state) {
        case 'approved':
          return { kind: 'approved', incidentId };
        case 'snoozed':
          return { kind: 'snoozed', incidentId, minutes };
        default:
          return ACTION_TRAITS[current.action].handsOver ? { kind: 'dismissed', incidentId } : { kind: 'rejected', incidentId, token, askReason: true };
      }
  }
}

/**
 * Stores the optional reason given after a rejection (asked by the bot in a conversation) and
 * refreshes the card.
 * @returns false when the card is gone or this person did not reject it.
 */
export async function setRejectReason(core: Core, refresh: (incidentId: number) => Promise<void>, token: string, actor: Actor, reason: string): Promise<boolean> {
  const rem = await core.repos.remediations.byToken(token);
  if (!rem) return false;
  const ok = await core.repos.remediations.setRejectReason(rem.id, actor.id, reason.trim());
  if (ok) {
    await core.audit(`user:${actor.id}`, 'remediation.reject_reason', `remediation:${rem.id}`, { input: { reason: reason.trim() } });
    await refresh(rem.incidentId);
  }
  return ok;
}
