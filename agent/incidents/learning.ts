/**
 * Learning from verified outcomes: the playbook's trust score (EWMA, success 1, failure 0); a
 * success drafts a runbook sent as a review card (Publish / Discard); a failure publishes an
 * anti-pattern that blocks auto-execution of that action for those symptoms for 7 days.
 */
import { formatTarget } from '../../domain/diagnosis.ts';
import { antiPattern, draftRunbook, ewma } from '../../domain/learning.ts';
import type { Remediation } from '../ports.ts';
import type { CardPublisher } from './card-publisher.ts';
import { authorize, type Actor, type Core, type Refusal } from './context.ts';
import { isNoOpAction } from './support.ts';

/** Default EWMA α of playbook trust. */
export const DEFAULT_TRUST_ALPHA = 0.3;

/**
 * Learns from a verified outcome of `rem`. Undo actions, no-op actions and remediations without
 * a symptoms hash teach nothing.
 */
export async function learnFromOutcome(core: Core, cards: CardPublisher, rem: Remediation, outcome: { ok: boolean; message: string }): Promise<void> {
  if (!rem.symptomsHash || isNoOpAction(rem.action) || rem.undoOf) return;
  const { repos, clock, settings } = core;
  const now = clock.now();
  const [incident, previous] = await Promise.all([repos.incidents.get(rem.incidentId), repos.knowledge.playbook(rem.symptomsHash, rem.action)]);
  if (!incident) return;
  const diag = incident.diagnosis;
  const trust = ewma(previous?.trustScore, outcome.ok ? 1 : 0, settings.trustAlpha ?? DEFAULT_TRUST_ALPHA);
  const playbook = await repos.knowledge.recordOutcome({
    symptomsHash: rem.symptomsHash,
    action: rem.action,
    target: formatTarget(rem.target),
    category: diag?.category ?? 'unknown',
    trustScore: trust,
    success: outcome.ok,
    now,
  });
  await core.audit('worker', 'playbook.outcome', `remediation:${rem.id}`, {
    output: { symptomsHash: rem.symptomsHash, action: rem.action, trustScore: playbook.trustScore, successes: playbook.successes, failures: playbook.failures },
  });
  if (outcome.ok) {
    const draft = draftRunbook({
      symptomsHash: rem.symptomsHash,
      target: rem.target,
      category: diag?.category ?? 'unknown',
      cause: diag?.cause ?? '',
      evidence: diag?.evidence ?? [],
      action: rem.action,
      actionDescription: rem.plan.description,
      verification: outcome.message,
      detectedAt: incident.openedAt,
      recoveredAt: now,
    });
    const id = await repos.knowledge.create({
      kind: 'runbook',
      status: 'draft',
      symptomsHash: rem.symptomsHash,
      action: rem.action,
      target: formatTarget(rem.target),
      title: draft.title,
      body: draft.markdown,
      remediationId: rem.id,
      now,
    });
    await cards.postKnowledge(id);
  } else {
    const ap = antiPattern({ symptomsHash: rem.symptomsHash, action: rem.action, target: rem.target, reason: outcome.message, now });
    await repos.knowledge.create({
      kind: 'anti_pattern',
      status: 'published',
      symptomsHash: ap.symptomsHash,
      action: ap.action,
      target: formatTarget(ap.target),
      title: `Anti-pattern: ${rem.plan.description} did not fix ${diag?.category ?? 'this failure'}`,
      body: ap.reason,
      remediationId: rem.id,
      now,
      expiresAt: ap.expiresAt,
    });
  }
}

/** What a Publish / Discard press came to; the bot words it, then refreshes the review card. */
export type KnowledgeDecisionOutcome =
  | { kind: 'stale' }
  | { kind: 'forbidden'; reason: Refusal }
  | { kind: 'already_decided'; knowledgeId: number; status: 'draft' | 'published' | 'discarded' }
  | { kind: 'published'; knowledgeId: number }
  | { kind: 'discarded'; knowledgeId: number };

/** Publishes or discards a runbook draft from its review card (approvers only; refusals audited). */
export async function decideKnowledge(core: Core, knowledgeId: number, verb: 'publish' | 'discard', actor: Actor): Promise<KnowledgeDecisionOutcome> {
  const entry = await core.repos.knowledge.get(knowledgeId);
  if (!entry) return { kind: 'stale' };
  const refusal = await authorize(core, actor, `knowledge.${verb}`, `knowledge:${knowledgeId}`);
  if (refusal) return { kind: 'forbidden', reason: refusal };
  const decided = await core.repos.knowledge.decide(knowledgeId, verb === 'publish' ? 'published' : 'discarded', actor.name);
  if (!decided) return { kind: 'already_decided', knowledgeId, status: entry.status };
  await core.audit(`user:${actor.id}`, `knowledge.${verb}`, `knowledge:${knowledgeId}`, { output: { status: decided.status } });
  return verb === 'publish' ? { kind: 'published', knowledgeId } : { kind: 'discarded', knowledgeId };
}
