/**
 * Prometheus metrics of the pipeline (prom-client). Created on a registry passed in by main.ts;
 * served at /metrics.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** The agent's counters and histograms. */
export interface AgentMetrics {
  alertsStored: Counter;
  alertsDuplicate: Counter;
  incidentsOpened: Counter;
  decisions: Counter<'decision'>;
  remediations: Counter<'action' | 'outcome'>;
  webhookSeconds: Histogram<'status'>;
}

/** Registers Watchkeeper's metrics on `registry` (names prefixed `watchkeeper_`). */
export function createAgentMetrics(registry: Registry): AgentMetrics {
  return {
    alertsStored: new Counter({ name: 'watchkeeper_alerts_stored_total', help: 'Alerts stored (first delivery)', registers: [registry] }),
    alertsDuplicate: new Counter({
      name: 'watchkeeper_alerts_duplicate_total',
      help: 'Alert redeliveries ignored (same fingerprint, startsAt, status)',
      registers: [registry],
    }),
    incidentsOpened: new Counter({ name: 'watchkeeper_incidents_opened_total', help: 'Incidents opened', registers: [registry] }),
    decisions: new Counter({
      name: 'watchkeeper_decisions_total',
      help: 'Approval decisions that moved a remediation',
      labelNames: ['decision'],
      registers: [registry],
    }),
    remediations: new Counter({
      name: 'watchkeeper_remediations_total',
      help: 'Executed remediations by outcome',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
    webhookSeconds: new Histogram({
      name: 'watchkeeper_webhook_duration_seconds',
      help: 'Alertmanager webhook handling time',
      labelNames: ['status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
