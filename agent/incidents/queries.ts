/**
 * Read models for the chat and the CLI: open incidents, one incident's card, proposals waiting
 * for a decision, playbooks, the fine-tuning export, and an on-demand diagnosis (nothing stored
 * but its audit row, nothing executed).
 */
import { formatTarget, type TargetRef } from '../../domain/diagnosis.ts';
import { finetuneRecord, type FinetuneRecord } from '../../domain/learning.ts';
import { AWAITING_DECISION, type RemediationState } from '../../domain/remediation/index.ts';
import { diagnose, type DiagnosisRecord } from '../diagnose.ts';
import { gatherEvidence } from '../evidence.ts';
import type { IncidentCardView, Playbook, RemediationRepository } from '../ports.ts';
import type { CardPublisher } from './card-publisher.ts';
import { authorize, type Actor, type Core, type Refusal } from './context.ts';

/** A short line per open incident, for /incidents. */
export interface IncidentSummary {
  id: number;
  severity: string;
  alertname: string;
  target?: string;
  openedAt: Date;
  /** State of its newest remediation. */
  state?: RemediationState;
}

/** A proposal waiting for a decision, for /approvals. */
export interface PendingApproval {
  incidentId: number;
  remediationId: number;
  state: RemediationState;
  description: string;
  tier: string;
  expiresAt?: Date;
  snoozedUntil?: Date;
}

/** Open incidents, newest first (one query). */
export async function openIncidents(core: Core, limit = 20): Promise<IncidentSummary[]> {
  const rows = await core.repos.incidents.listOpen(limit);
  return rows.map(({ incident: r, latestState }) => {
    const t = r.diagnosis?.target ?? r.target;
    return { id: r.id, severity: r.severity, alertname: r.alertname, target: t ? formatTarget(t) : undefined, openedAt: r.openedAt, state: latestState };
  });
}

/** The card of one incident (its newest remediation), or undefined when it does not exist. */
export async function incidentCard(core: Core, cards: CardPublisher, id: number): Promise<IncidentCardView | undefined> {
  const incident = await core.repos.incidents.get(id);
  return incident ? cards.viewOf(incident, undefined) : undefined;
}

/** Pending and snoozed proposals, oldest first. */
export async function pendingApprovals(core: Core): Promise<PendingApproval[]> {
  const rows = await core.repos.remediations.inStates(AWAITING_DECISION);
  return rows.map((r) => ({
    incidentId: r.incidentId,
    remediationId: r.id,
    state: r.state,
    description: r.plan.description,
    tier: r.plan.tier,
    expiresAt: r.expiresAt ?? undefined,
    snoozedUntil: r.snoozedUntil ?? undefined,
  }));
}

/** Learned playbooks, most trusted first. */
export function playbooks(core: Core, limit = 30): Promise<Playbook[]> {
  return core.repos.knowledge.listPlaybooks(limit);
}

/**
 * Verified incidents as fine-tuning records (evidence, diagnosis, action, outcome), one per
 * finished remediation, oldest first, secrets redacted (`watchkeeper export finetune`).
 */
export async function finetuneRecords(remediations: Pick<RemediationRepository, 'finishedWithIncidents'>): Promise<FinetuneRecord[]> {
  const rows = await remediations.finishedWithIncidents();
  return rows.map(({ remediation, incident }) => {
    const diag = incident.diagnosis;
    return finetuneRecord({
      evidence: diag?.evidence ?? [],
      diagnosis: { category: diag?.category ?? 'unknown', cause: diag?.cause ?? '', confidence: diag?.confidence ?? 0 },
      action: { kind: remediation.action, params: remediation.params, target: remediation.target },
      outcome: {
        result: remediation.state === 'succeeded' ? 'succeeded' : 'failed',
        verification: remediation.result?.message ?? '',
        timeToRecoverMs: Math.max(0, remediation.updatedAt.getTime() - incident.openedAt.getTime()),
      },
    });
  });
}

/** What /diagnose came to. */
export type DiagnoseOutcome = { kind: 'forbidden'; reason: Refusal } | { kind: 'diagnosed'; diagnosis: DiagnosisRecord };

/**
 * Diagnoses a target on demand (`/diagnose`), through the same evidence, analyzers and model
 * routing as incidents, for an operator (`workload.diagnose`; refusals audited with the id).
 * Audited as `diagnose.on_demand` with the actor's id.
 */
export async function diagnoseTarget(core: Core, target: TargetRef, actor: Actor): Promise<DiagnoseOutcome> {
  const subject = `target:${formatTarget(target)}`.slice(0, 64);
  const refusal = await authorize(core, actor, 'workload.diagnose', subject);
  if (refusal) return { kind: 'forbidden', reason: refusal };
  const t0 = Date.now();
  const evidence = await gatherEvidence(core.cluster, target, { logTailLines: core.settings.logTailLines, now: core.clock.now() });
  const diagnosis = await diagnose(evidence, core.model);
  await core.audit(`user:${actor.id}`, 'diagnose.on_demand', subject, {
    input: { user: actor.name },
    output: { source: diagnosis.source, category: diagnosis.category, action: diagnosis.action },
    durationMs: Date.now() - t0,
  });
  return { kind: 'diagnosed', diagnosis };
}
