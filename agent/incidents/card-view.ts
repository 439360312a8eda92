/**
 * Builds card views — data, no chat format — from stored state. The bot renders them and turns
 * each {@link IncidentCardAction} into a button.
 */
import { ACTION_TRAITS } from '../../domain/actions/catalog.ts';
import { formatTarget } from '../../domain/diagnosis.ts';
import { isNoOpAction } from './support.ts';
import type { Decision, Incident, IncidentCardAction, IncidentCardView, KnowledgeCardView, KnowledgeEntry, Remediation } from '../ports.ts';

/** Extra facts a card shows. */
export interface CardExtras {
  /** Playbook trust for this (symptoms, action), 0–1, with its history. */
  trust?: { score: number; successes: number; failures: number };
  /** The alert group is muted until then. */
  silencedUntil?: Date;
  /** An Undo of this remediation already exists. */
  undone?: boolean;
}

/**
 * The card of an incident from its stored values.
 * @param remediation the remediation this card shows, if any; `decisions` are its approval decisions.
 */
export function buildIncidentCard(incident: Incident, remediation: Remediation | undefined, decisions: readonly Decision[], extras: CardExtras = {}): IncidentCardView {
  const diag = incident.diagnosis;
  const view: IncidentCardView = {
    incidentId: incident.id,
    status: incident.status,
    severity: incident.severity,
    alertname: incident.alertname,
    summary: incident.summary,
    target: diag?.target ? formatTarget(diag.target) : incident.target ? formatTarget(incident.target) : undefined,
    openedAt: incident.openedAt,
    resolvedAt: incident.resolvedAt ?? undefined,
    actions: [],
  };
  if (diag) {
    view.diagnosis = {
      source: diag.source,
      ...(diag.model ? { model: diag.model } : {}),
      category: diag.category,
      cause: diag.cause,
      evidence: diag.evidence.slice(0, 5),
      confidence: diag.confidence,
      gaps: diag.gaps.slice(0, 3),
    };
  }
  if (remediation) {
    const { plan, result } = remediation;
    const approvals = decisions.filter((d) => d.decision === 'approve');
    const last = decisions[decisions.length - 1];
    view.proposal = {
      remediationId: remediation.id,
      token: remediation.token,
      action: remediation.action,
      description: plan.description,
      tier: plan.tier,
      score: plan.blastRadius.score,
      reasons: [...(plan.notes ?? []), ...plan.blastRadius.reasons],
      state: remediation.state,
      approvals: { required: remediation.approvalsRequired, given: approvals.map((d) => ({ name: d.userName, at: d.decidedAt })) },
      decidedBy: last ? { name: last.userName, at: last.decidedAt, decision: last.decision } : undefined,
      result: result ? { ok: result.ok, message: result.message, at: new Date(result.at) } : undefined,
    };
    if (plan.dryRun && !plan.dryRun.ok) view.proposal.reasons.push(`dry-run failed: ${plan.dryRun.message}`);
    if (extras.trust) view.proposal.trust = extras.trust;
    if (remediation.snoozedUntil && remediation.state === 'snoozed') view.proposal.snoozedUntil = remediation.snoozedUntil;
    if (remediation.undoOf) view.proposal.undoOf = remediation.undoOf;
    const rejection = decisions.find((d) => d.decision === 'reject' && d.reason);
    if (rejection?.reason) view.proposal.rejectReason = rejection.reason;
    if (result?.reapproval) view.proposal.skipped = 'tier_rose';
    if (remediation.state === 'pending' && incident.status === 'open') {
      view.actions = pendingActions(remediation);
    } else if ((remediation.state === 'succeeded' || remediation.state === 'failed') && result?.inverse && !extras.undone) {
      view.actions = ['undo'];
    }
  }
  if (extras.silencedUntil) view.silencedUntil = extras.silencedUntil;
  return view;
}

/** Approve (when there is something to approve), Reject or Dismiss, Later, Silence. */
function pendingActions(rem: Remediation): IncidentCardAction[] {
  const actions: IncidentCardAction[] = [];
  if (rem.approvalsRequired > 0 && !isNoOpAction(rem.action)) actions.push('approve');
  actions.push(ACTION_TRAITS[rem.action].handsOver ? 'dismiss' : 'reject', 'later', 'silence');
  return actions;
}

/** The review card of a knowledge entry: Publish / Discard while it is a draft. */
export function buildKnowledgeCard(e: KnowledgeEntry): KnowledgeCardView {
  return {
    knowledgeId: e.id,
    kind: e.kind,
    status: e.status,
    title: e.title,
    body: e.body,
    ...(e.decidedBy ? { decidedBy: e.decidedBy } : {}),
    actions: e.status === 'draft' ? ['publish', 'discard'] : [],
  };
}
