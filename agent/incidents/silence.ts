/**
 * Silence: mutes a card's alert group for some hours (new incidents of the group get no card and
 * nothing runs on its own until then) and, when Alertmanager is configured, creates a silence
 * there with the group's labels.
 */
import { authorize, type Actor, type Core, type Refusal } from './context.ts';

/** What a Silence press came to; the bot words it and refreshes the card. */
export type SilenceOutcome =
  | { kind: 'stale' }
  | { kind: 'forbidden'; reason: Refusal }
  /**
   * Muted until `until`. `alertmanager`: `silenced` (id stored), `failed` (muted in Watchkeeper
   * only), `not_configured`.
   */
  | { kind: 'silenced'; incidentId: number; hours: number; until: Date; alertmanager: 'silenced' | 'failed' | 'not_configured' };

/** Mutes the group of the card whose remediation has `token`. */
export async function silence(core: Core, token: string, hours: number, actor: Actor): Promise<SilenceOutcome> {
  const { repos, clock } = core;
  const rem = await repos.remediations.byToken(token);
  if (!rem) return { kind: 'stale' };
  const refusal = await authorize(core, actor, 'remediation.silence', `remediation:${rem.id}`, { tier: rem.plan.tier });
  if (refusal) return { kind: 'forbidden', reason: refusal };
  const incident = await repos.incidents.get(rem.incidentId);
  if (!incident) return { kind: 'stale' };
  const now = clock.now();
  const until = new Date(now.getTime() + hours * 3_600_000);
  let amId: string | undefined;
  let alertmanager: 'silenced' | 'failed' | 'not_configured' = 'not_configured';
  if (core.silences) {
    const labels = Object.keys(incident.groupLabels).length ? incident.groupLabels : { alertname: incident.alertname };
    try {
      amId = await core.silences.createSilence({
        matchers: Object.entries(labels).map(([name, value]) => ({ name, value })),
        startsAt: now,
        endsAt: until,
        createdBy: `watchkeeper (${actor.name})`,
        comment: `Silenced from Telegram, incident #${incident.id}`,
      });
      alertmanager = 'silenced';
    } catch (err) {
      alertmanager = 'failed';
      core.log.warn({ err }, 'Alertmanager silence failed');
    }
  }
  await repos.silences.add({ groupKey: incident.groupKey, until, createdBy: actor.name, now, alertmanagerSilenceId: amId });
  await core.audit(`user:${actor.id}`, 'alerts.silence', `incident:${incident.id}`, {
    input: { hours, groupKey: incident.groupKey },
    output: { until: until.toISOString(), alertmanagerSilenceId: amId ?? null },
  });
  return { kind: 'silenced', incidentId: incident.id, hours, until, alertmanager };
}
