/**
 * Sweeps and lifecycle jobs: expire undecided cards past their TTL, bring snoozed cards back,
 * cancel what an incident's resolution made moot.
 */
import { approvalDeadline, UNDECIDED } from '../../domain/remediation/index.ts';
import type { CardPublisher } from './card-publisher.ts';
import type { Core } from './context.ts';

/** Expires pending cards past their TTL and edits them. @returns how many expired. */
export async function expireApprovals(core: Core, cards: CardPublisher): Promise<number> {
  const expired = await core.repos.remediations.expireDue(core.clock.now());
  for (const rem of expired) {
    await core.audit('system', 'remediation.expired', `remediation:${rem.id}`, {});
    await core.told({ remediationId: rem.id, origin: rem.origin, state: rem.state });
    await cards.refreshQuietly(rem.incidentId);
  }
  return expired.length;
}

/** Brings snoozed cards back: pending again (with a new deadline), re-posted as a new message. @returns how many woke. */
export async function wakeSnoozed(core: Core, cards: CardPublisher): Promise<number> {
  const now = core.clock.now();
  const woken = await core.repos.remediations.wakeDue(now, approvalDeadline(now, core.settings.approvalTtlS));
  for (const rem of woken) {
    await core.audit('system', 'remediation.unsnoozed', `remediation:${rem.id}`, {});
    try {
      await cards.postAndRefresh(rem.incidentId, rem.id);
    } catch (err) {
      core.log.warn({ err, remediation: rem.id }, 'could not re-post a snoozed card');
    }
  }
  return woken.length;
}

/** The `incident-resolved` job: undecided remediations are cancelled and the cards edited. */
export async function onIncidentResolved(core: Core, cards: CardPublisher, incidentId: number): Promise<void> {
  const cancelled = await core.repos.remediations.transitionAllOf(incidentId, UNDECIDED, 'cancelled', core.clock.now());
  await core.audit('alertmanager', 'incident.resolved', `incident:${incidentId}`, { output: { cancelledRemediations: cancelled } });
  await cards.refresh(incidentId);
}
