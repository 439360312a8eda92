/**
 * Intake: one Alertmanager delivery stored and grouped into an incident in milliseconds; the slow
 * work (diagnosis, card edits) is queued with it and the job worker is woken.
 */
import { targetFromLabels, type AlertGroup } from '../../domain/alerts.ts';
import { needsFollowUp } from '../../domain/incidents.ts';
import type { IngestResult } from '../ports.ts';
import type { Core } from './context.ts';

/** Longest summary stored for a new incident, characters. */
const SUMMARY_MAX = 500;

/**
 * Stores a validated Alertmanager delivery (domain/incidents.ts says how it changes the incident).
 * @throws the database error when PostgreSQL is unreachable (the webhook answers 503).
 */
export async function ingestAlerts(core: Core, group: AlertGroup): Promise<IngestResult> {
  const first = group.alerts.find((a) => a.status === 'firing') ?? group.alerts[0];
  const summary = first.annotations.summary || first.annotations.message || first.annotations.description || first.alertname;
  const result = await core.repos.incidents.ingest(group, core.clock.now(), {
    dedupWindowS: core.settings.dedupWindowS,
    summary: summary.slice(0, SUMMARY_MAX),
    target: targetFromLabels(first.labels),
  });
  core.metrics?.alertsStored.inc(result.stored);
  core.metrics?.alertsDuplicate.inc(result.received - result.stored);
  if (result.incidentChange === 'created') core.metrics?.incidentsOpened.inc();
  if (needsFollowUp(result.incidentChange)) core.nudge();
  return result;
}
