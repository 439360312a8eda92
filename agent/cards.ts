/**
 * Builds incident card views from stored state, and the callback data of their buttons.
 * Callback data is `wk:<verb>:<token>`: a verb and the remediation's opaque token, resolved in
 * PostgreSQL when pressed (never trusted to carry state). Always ≤ 64 bytes (Telegram's limit).
 */
import { formatTarget } from '../domain/diagnosis.ts';
import { TERMINAL_STATES } from '../domain/remediation.ts';
import type { DecisionRow, IncidentRow, RemediationRow } from '../entities/store.ts';
import type { DiagnosisRecord } from './diagnose.ts';
import type { RemediationPlan } from './plan.ts';
import type { CardButton, IncidentCardView } from './ports.ts';

/** Verbs a card button can carry. */
export const CARD_VERBS = { a: 'approve', r: 'reject' } as const;
export type CardVerb = (typeof CARD_VERBS)[keyof typeof CARD_VERBS];

/** Callback data for a verb on a remediation token. */
export function callbackData(verb: CardVerb, token: string): string {
  const code = (Object.entries(CARD_VERBS).find(([, v]) => v === verb) ?? ['?'])[0];
  return `wk:${code}:${token}`;
}

/** Parses callback data; undefined when it is not Watchkeeper's. */
export function parseCallbackData(data: string): { verb: CardVerb; token: string } | undefined {
  const m = /^wk:([a-z]):([A-Za-z0-9_-]{4,16})$/.exec(data);
  if (!m) return undefined;
  const verb = CARD_VERBS[m[1] as keyof typeof CARD_VERBS];
  return verb ? { verb, token: m[2] } : undefined;
}

/** Result stored on a finished (or progressing) remediation. */
export interface ExecutionResult {
  ok: boolean;
  message: string;
  /** ISO time of the last update. */
  at: string;
  /** Steps so far, e.g. `dry-run ok`, `applied (revision 3)`. */
  steps?: string[];
}

/**
 * Builds the card of an incident from its stored rows.
 * @param remediation newest remediation, if any; decisions are its approval decisions.
 */
export function buildIncidentCard(
  incident: IncidentRow,
  remediation: RemediationRow | undefined,
  decisions: DecisionRow[],
): IncidentCardView {
  const diag = incident.diagnosis as DiagnosisRecord | null;
  const view: IncidentCardView = {
    incidentId: incident.id,
    status: incident.status,
    severity: incident.severity,
    alertname: incident.alertname,
    summary: incident.summary,
    target: diag?.target ? formatTarget(diag.target) : incident.target ? formatTarget(incident.target) : undefined,
    openedAt: incident.openedAt,
    resolvedAt: incident.resolvedAt ?? undefined,
    buttons: [],
  };
  if (diag) {
    view.diagnosis = {
      source: diag.source === 'model' ? (diag.model ?? 'model') : 'rules only',
      category: diag.category,
      cause: diag.cause,
      evidence: diag.evidence.slice(0, 5),
      confidence: diag.confidence,
      gaps: diag.gaps.slice(0, 3),
    };
  }
  if (remediation) {
    const plan = remediation.plan as unknown as RemediationPlan;
    const approvals = decisions.filter((d) => d.decision === 'approve');
    const last = decisions[decisions.length - 1];
    const result = remediation.result as ExecutionResult | null;
    view.proposal = {
      remediationId: remediation.id,
      action: remediation.action,
      description: plan.description,
      tier: plan.tier,
      score: plan.blastRadius.score,
      reasons: plan.blastRadius.reasons,
      state: remediation.state,
      approvals: { required: remediation.approvalsRequired, given: approvals.map((d) => ({ name: d.userName, at: d.decidedAt })) },
      decidedBy: last ? { name: last.userName, at: last.decidedAt, decision: last.decision } : undefined,
      result: result ? { ok: result.ok, message: result.message, at: new Date(result.at) } : undefined,
    };
    if (plan.notes?.length) view.proposal.reasons = [...plan.notes, ...view.proposal.reasons];
    if (plan.dryRun && !plan.dryRun.ok) view.proposal.reasons.push(`dry-run failed: ${plan.dryRun.message}`);
    if (remediation.state === 'pending' && incident.status === 'open' && !TERMINAL_STATES.includes(remediation.state)) {
      view.buttons = buttonsFor(remediation);
    }
  }
  return view;
}

function buttonsFor(rem: RemediationRow): CardButton[] {
  const buttons: CardButton[] = [];
  if (rem.approvalsRequired > 0 && rem.action !== 'escalate' && rem.action !== 'none') {
    buttons.push({ label: '✅ Approve', data: callbackData('approve', rem.token) });
  }
  buttons.push({ label: rem.action === 'escalate' ? '🆗 Dismiss' : '❌ Reject', data: callbackData('reject', rem.token) });
  return buttons;
}
