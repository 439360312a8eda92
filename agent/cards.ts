/**
 * Builds incident card views from stored state, and the callback data of their buttons.
 * Callback data is `wk:<verb>:<token>`: a verb and the remediation's opaque token, resolved in
 * PostgreSQL when pressed (never trusted to carry state). Always ≤ 64 bytes (Telegram's limit).
 */
import { formatTarget } from '../domain/diagnosis.ts';
import type { DecisionRow, IncidentRow, RemediationRow } from '../entities/store.ts';
import type { DiagnosisRecord } from './diagnose.ts';
import type { RemediationPlan } from './plan.ts';
import type { CardButton, IncidentCardView } from './ports.ts';

/** Verbs a card button can carry (one letter on the wire). */
export const CARD_VERBS = {
  a: 'approve',
  r: 'reject',
  l: 'later',
  s: 'silence_menu',
  h: 'silence_1h',
  f: 'silence_4h',
  d: 'silence_24h',
  b: 'back',
  u: 'undo',
  p: 'publish',
  q: 'discard',
} as const;

/** Hours of each silence verb. */
export const SILENCE_HOURS: Readonly<Record<string, number>> = { silence_1h: 1, silence_4h: 4, silence_24h: 24 };

/** Opaque token of a knowledge entry's review card (`k` + base-36 id). */
export function knowledgeToken(id: number): string {
  return `k${id.toString(36).padStart(4, '0')}`;
}

/** Inverse of {@link knowledgeToken}; undefined when the token is not a knowledge token. */
export function knowledgeIdOf(token: string): number | undefined {
  const m = /^k([0-9a-z]{4,15})$/.exec(token);
  return m ? parseInt(m[1], 36) : undefined;
}
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
  /** What Undo runs (through the approval flow); null when the action cannot be undone. */
  inverse?: { action: string; params: Record<string, string | number> } | null;
  /** restartedAt stamp written by a restart, to recognise our rollout after a crash. */
  restartedAt?: string;
}

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
 * Builds the card of an incident from its stored rows.
 * @param remediation newest remediation, if any; decisions are its approval decisions.
 */
export function buildIncidentCard(
  incident: IncidentRow,
  remediation: RemediationRow | undefined,
  decisions: DecisionRow[],
  extras: CardExtras = {},
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
    if (extras.trust) view.proposal.trust = extras.trust;
    if (remediation.snoozedUntil && remediation.state === 'snoozed') view.proposal.snoozedUntil = remediation.snoozedUntil;
    if (remediation.undoOf) view.proposal.undoOf = remediation.undoOf;
    const rejection = decisions.find((d) => d.decision === 'reject' && d.reason);
    if (rejection?.reason) view.proposal.rejectReason = rejection.reason;
    if (remediation.state === 'pending' && incident.status === 'open') {
      view.buttons = pendingButtons(remediation);
    } else if ((remediation.state === 'succeeded' || remediation.state === 'failed') && result?.inverse && !extras.undone) {
      view.buttons = [{ label: '↩️ Undo', data: callbackData('undo', remediation.token) }];
    }
  }
  if (extras.silencedUntil) view.silencedUntil = extras.silencedUntil;
  return view;
}

function pendingButtons(rem: RemediationRow): CardButton[] {
  const buttons: CardButton[] = [];
  if (rem.approvalsRequired > 0 && rem.action !== 'escalate' && rem.action !== 'none') {
    buttons.push({ label: '✅ Approve', data: callbackData('approve', rem.token) });
  }
  buttons.push({ label: rem.action === 'escalate' ? '🆗 Dismiss' : '❌ Reject', data: callbackData('reject', rem.token) });
  buttons.push({ label: '⏰ Later', data: callbackData('later', rem.token) });
  buttons.push({ label: '🔕 Silence', data: callbackData('silence_menu', rem.token) });
  return buttons;
}

/** The second keyboard of "Silence": durations and a way back. */
export function silenceButtons(token: string): CardButton[] {
  return [
    { label: '1 h', data: callbackData('silence_1h', token) },
    { label: '4 h', data: callbackData('silence_4h', token) },
    { label: '24 h', data: callbackData('silence_24h', token) },
    { label: '↩ Back', data: callbackData('back', token) },
  ];
}
