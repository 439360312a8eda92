/**
 * Undo: proposes the inverse of a finished remediation as a new card, through the same approval
 * flow as any action.
 */
import { isIn, VERIFIED, type RemediationState } from '../../domain/remediation/index.ts';
import { planInverse } from '../plan.ts';
import { authorize, type Actor, type Core, type Refusal } from './context.ts';
import { storePlanned } from './support.ts';

/** What an Undo press came to. On `proposed` the bot posts the new card (`agent.showProposal`). */
export type UndoOutcome =
  | { kind: 'stale' }
  | { kind: 'forbidden'; reason: Refusal }
  /** Not finished, or the action cannot be undone. */
  | { kind: 'nothing_to_undo' }
  | { kind: 'already_proposed'; state: RemediationState }
  | { kind: 'proposed'; incidentId: number; remediationId: number };

/** Plans and stores the inverse of the remediation with `token`. */
export async function undo(core: Core, token: string, actor: Actor): Promise<UndoOutcome> {
  const { repos, clock, cluster, settings } = core;
  const rem = await repos.remediations.byToken(token);
  if (!rem) return { kind: 'stale' };
  const refusal = await authorize(core, actor, 'remediation.undo', `remediation:${rem.id}`, { tier: rem.plan.tier });
  if (refusal) return { kind: 'forbidden', reason: refusal };
  const inverse = rem.result?.inverse;
  if (!inverse || !isIn(VERIFIED, rem.state)) return { kind: 'nothing_to_undo' };
  const existing = await repos.remediations.undoOf(rem.id);
  if (existing) return { kind: 'already_proposed', state: existing.state };
  const plan = await planInverse(cluster, rem, inverse, settings.policy);
  const created = await storePlanned(core, rem.incidentId, plan, clock.now(), { origin: 'undo', undoOf: rem.id, symptomsHash: rem.symptomsHash ?? undefined });
  await core.audit(`user:${actor.id}`, 'remediation.undo_proposed', `remediation:${rem.id}`, {
    output: { undo: created.id, action: plan.action, params: plan.params },
  });
  return { kind: 'proposed', incidentId: rem.incidentId, remediationId: created.id };
}
