/**
 * The words of the answers to card buttons: each outcome the core returns → the text of
 * `answerCallbackQuery` (≤ 200 characters) and whether it is shown as an alert.
 */
import type { DecisionOutcome, KnowledgeDecisionOutcome, SilenceOutcome, UndoOutcome } from '../../agent/index.ts';

/** A callback answer. */
export interface CallbackAnswer {
  text: string;
  /** Shown as a modal alert (refusals). */
  alert: boolean;
}

/** The answer to a card that is no longer valid. */
export const STALE_TEXT = 'This card is no longer valid.';

/** The answer to a refused press. */
export function refusalText(reason: 'not_an_approver' | 'needs_admin' | 'nothing_to_approve'): string {
  switch (reason) {
    case 'not_an_approver':
      return '⛔ You are not on the approver list; nothing was changed.';
    case 'needs_admin':
      return '⛔ This action needs two admins (dual approval); you are an approver.';
    case 'nothing_to_approve':
      return 'This card has nothing to approve.';
  }
}

/** `Already approved by Alice at 12:03 UTC; now executing.` — for a press on a decided card. */
export function alreadyDecidedText(state: string, last?: { userName: string; decision: string; decidedAt: Date }): string {
  if (!last) return `This proposal is already ${state}.`;
  const verb = last.decision === 'approve' ? 'approved' : 'rejected';
  const when = `${last.decidedAt.toISOString().slice(11, 16)} UTC`;
  return `Already ${verb} by ${last.userName} at ${when}${state !== verb ? `; now ${state}` : ''}.`;
}

/** Answer to Approve / Reject / Later. */
export function decisionAnswer(o: DecisionOutcome): CallbackAnswer {
  switch (o.kind) {
    case 'stale':
      return { text: STALE_TEXT, alert: false };
    case 'forbidden':
      return { text: refusalText(o.reason), alert: true };
    case 'already_decided':
      return { text: alreadyDecidedText(o.state, o.last), alert: false };
    case 'already_voted':
      return { text: 'You have already decided on this card; a second approver must be someone else.', alert: false };
    case 'approval_recorded':
      return { text: `Approval ${o.approvals} of ${o.required} recorded; waiting for another admin.`, alert: false };
    case 'approved':
      return { text: '✅ Approved — executing now.', alert: false };
    case 'snoozed':
      return { text: `⏰ Snoozed for ${o.minutes} min; the card comes back then.`, alert: false };
    case 'dismissed':
      return { text: '🆗 Dismissed.', alert: false };
    case 'rejected':
      return { text: '❌ Rejected.', alert: false };
  }
}

/** Answer to a Silence duration. */
export function silenceAnswer(o: SilenceOutcome): CallbackAnswer {
  switch (o.kind) {
    case 'stale':
      return { text: STALE_TEXT, alert: false };
    case 'forbidden':
      return { text: refusalText(o.reason), alert: true };
    case 'silenced': {
      const am = o.alertmanager === 'silenced' ? ' (also in Alertmanager)' : o.alertmanager === 'failed' ? ' (Alertmanager silence failed; muted in Watchkeeper only)' : '';
      return { text: `🔕 Silenced for ${o.hours} h${am}.`, alert: false };
    }
  }
}

/** Answer to Undo. */
export function undoAnswer(o: UndoOutcome): CallbackAnswer {
  switch (o.kind) {
    case 'stale':
      return { text: STALE_TEXT, alert: false };
    case 'forbidden':
      return { text: refusalText(o.reason), alert: true };
    case 'nothing_to_undo':
      return { text: 'Nothing to undo for this card.', alert: false };
    case 'already_proposed':
      return { text: `Undo already proposed (state: ${o.state}).`, alert: false };
    case 'proposed':
      return { text: '↩️ Undo proposed as a new card; it needs approval like any action.', alert: false };
  }
}

/** Answer to Publish / Discard on a runbook review card. */
export function knowledgeAnswer(o: KnowledgeDecisionOutcome): CallbackAnswer {
  switch (o.kind) {
    case 'stale':
      return { text: STALE_TEXT, alert: false };
    case 'forbidden':
      return { text: refusalText(o.reason), alert: true };
    case 'already_decided':
      return { text: `Already ${o.status}.`, alert: false };
    case 'published':
      return { text: '📗 Runbook published.', alert: false };
    case 'discarded':
      return { text: '🗑 Draft discarded.', alert: false };
  }
}
