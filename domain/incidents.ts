/**
 * How an Alertmanager delivery changes an incident. Pure; the intake persists what these rules
 * decide in one round trip (`watchkeeper_ingest`, given {@link INCIDENT_RULES} as parameters).
 *
 * - Alerts are stored once per (fingerprint, startsAt, status); a redelivery changes nothing.
 * - A new firing alert whose instance already has a resolved row is late (Alertmanager HA
 *   redelivery out of order): stored, it opens or reopens nothing.
 * - Other new firing alerts **update** the group's open incident (its severity becomes the worst
 *   of the two, in {@link SEVERITY_ORDER}), else **reopen** the newest incident of the group
 *   resolved within the dedup window, else **create** one; created or reopened → a diagnosis.
 * - When no alert of the open incident is still firing in its latest state, it **resolves**.
 */
import { SEVERITIES, type Severity } from './alerts.ts';

/** Most severe first; the order the intake ranks severities by. */
export const SEVERITY_ORDER: readonly Severity[] = SEVERITIES;

/** What an unknown severity label (`page`, `slack`) counts as. */
export const DEFAULT_SEVERITY: Severity = 'warning';

/** The parameters the intake receives from the domain. */
export interface IncidentRules {
  severityOrder: readonly Severity[];
  defaultSeverity: Severity;
}

/** The rules the intake applies (passed to `watchkeeper_ingest` on every call). */
export const INCIDENT_RULES: IncidentRules = { severityOrder: SEVERITY_ORDER, defaultSeverity: DEFAULT_SEVERITY };

/** What a delivery did to its group's incident. */
export type IncidentChange = 'created' | 'reopened' | 'updated' | 'resolved' | 'none';

/** True when a change needs the core's attention now (a diagnosis to run, a card to edit). */
export function needsFollowUp(change: IncidentChange): boolean {
  return change === 'created' || change === 'reopened' || change === 'resolved';
}
