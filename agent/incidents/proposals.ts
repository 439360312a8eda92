/**
 * Proposals: catalog actions that no alert raised — a drift rollback, a generated alerting rule —
 * put through the normal approval flow (scored by blast radius, dry-run first, decided by
 * approvers, executed, verified, audited). Each is hosted by an incident keyed by the proposal's
 * key, so it has a card like any other.
 */
import { isIn, LIVE } from '../../domain/remediation/index.ts';
import type { DiagnosisRecord } from '../diagnose.ts';
import { planProposal } from '../plan.ts';
import type { ProposalRequest } from '../ports.ts';
import type { CardPublisher } from './card-publisher.ts';
import type { Core } from './context.ts';
import { storePlanned } from './support.ts';

/**
 * Proposes an action; while the key's incident has a live remediation, that one is returned
 * instead of a second.
 * @returns ids of the hosting incident and the remediation.
 */
export async function proposeAction(core: Core, cards: CardPublisher, input: ProposalRequest): Promise<{ incidentId: number; remediationId: number }> {
  const { repos, clock, cluster, settings } = core;
  const now = clock.now();
  // What the card shows as the "diagnosis": the proposer's own account of why.
  const diagnosis: DiagnosisRecord = {
    source: 'rules',
    category: (input.category ?? 'unknown') as DiagnosisRecord['category'],
    cause: input.summary,
    evidence: input.evidence ?? [],
    confidence: 1,
    action: input.action,
    params: input.params,
    findings: [],
    gaps: [],
    target: input.target,
    fallbackReasons: [],
  };
  const incidentId = await repos.incidents.openForProposal({ groupKey: input.key, alertname: input.title, summary: input.summary, target: input.target, diagnosis, now });
  const existing = await repos.remediations.latestOf(incidentId);
  if (existing && isIn(LIVE, existing.state)) return { incidentId, remediationId: existing.id };
  const plan = await planProposal(cluster, input.target, input.action, input.params, settings.policy, now);
  const rem = await storePlanned(core, incidentId, plan, now, { origin: input.origin ?? 'command' });
  await core.audit(input.actor ? `user:${input.actor.id}` : 'worker', 'remediation.propose', `incident:${incidentId}`, {
    input: { key: input.key, origin: rem.origin },
    output: { action: plan.action, tier: plan.tier, score: plan.blastRadius.score, dryRun: plan.dryRun },
  });
  await cards.publish(incidentId, { remediation: rem });
  return { incidentId, remediationId: rem.id };
}
