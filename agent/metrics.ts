/**
 * Prometheus metrics of the pipeline (prom-client). Created on a registry passed in by main.ts;
 * served at /metrics.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobQueueStats } from './ports.ts';

/** The agent's counters and histograms. */
export interface AgentMetrics {
  alertsStored: Counter;
  alertsDuplicate: Counter;
  incidentsOpened: Counter;
  decisions: Counter<'decision'>;
  remediations: Counter<'action' | 'outcome'>;
  webhookSeconds: Histogram<'status'>;
  /** Claimed jobs by kind and how they ended (`done`, `retry`, `failed`, `lease_lost`). */
  jobs: Counter<'kind' | 'outcome'>;
  /** 1 while this replica is the leader running the singleton work, else 0. */
  leader: Gauge;
  /**
   * Where `watchkeeper_jobs_queued` and `watchkeeper_job_oldest_queued_age_seconds` read the
   * queue at scrape time (main.ts sets it; unset, both gauges stay 0).
   */
  watchJobQueue(stats: () => Promise<JobQueueStats>): void;
}

/** Registers Watchkeeper's metrics on `registry` (names prefixed `watchkeeper_`). */
export function createAgentMetrics(registry: Registry): AgentMetrics {
  let queueStats: (() => Promise<JobQueueStats>) | undefined;
  // Both gauges read the queue once per scrape: the first collect() fetches, the second reuses it.
  let pending: Promise<JobQueueStats | undefined> | undefined;
  const readQueue = () => {
    pending ??= (queueStats ? queueStats().catch(() => undefined) : Promise.resolve(undefined)).finally(() =>
      setTimeout(() => (pending = undefined), 0).unref(),
    );
    return pending;
  };
  jobQueueGauges(registry, readQueue);
  return {
    jobs: new Counter({
      name: 'watchkeeper_jobs_total',
      help: 'Claimed jobs by kind and outcome (done, retry, failed, lease_lost)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    leader: new Gauge({
      name: 'watchkeeper_leader',
      help: '1 while this replica is the leader (schedules, Telegram long polling), else 0',
      registers: [registry],
    }),
    watchJobQueue(stats) {
      queueStats = stats;
    },
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

/** The two queue gauges, read from the database at scrape time (a failed read keeps the last value). */
function jobQueueGauges(registry: Registry, read: () => Promise<JobQueueStats | undefined>): void {
  new Gauge({
    name: 'watchkeeper_jobs_queued',
    help: 'Jobs due and waiting for a worker (all replicas)',
    registers: [registry],
    async collect() {
      const s = await read();
      if (s) this.set(s.queued);
    },
  });
  new Gauge({
    name: 'watchkeeper_job_oldest_queued_age_seconds',
    help: 'Age of the oldest due job still waiting, seconds (0 when none)',
    registers: [registry],
    async collect() {
      const s = await read();
      if (s) this.set(s.oldestQueuedAgeSeconds);
    },
  });
}
