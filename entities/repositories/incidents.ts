/**
 * Incidents: the Alertmanager intake (one round trip to `watchkeeper_ingest`), reads, and the
 * incidents that host proposals.
 */
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import type { Incident, IncidentRepository, IngestOptions, IngestResult } from '../../agent/ports.ts';
import type { AlertGroup } from '../../domain/alerts.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import { INCIDENT_RULES } from '../../domain/incidents.ts';
import type { RemediationState } from '../../domain/remediation/index.ts';
import { IncidentEntity } from '../schema.ts';
import { decodeIncident, isUniqueViolation, OrmRepository } from './support.ts';

/** The intake statement: the whole of {@link OrmIncidentRepository.ingest} in one call, all values bound. */
const INGEST_SQL = 'select watchkeeper_ingest($1, $2, $3::jsonb, $4::timestamptz, $5, $6, $7::jsonb, $8::jsonb, $9::text[], $10) as r';

/** The jsonb watchkeeper_ingest returns (incidentId absent when no incident is involved). */
interface IngestRow {
  received: number;
  stored: number;
  incidentId?: number | null;
  incidentChange: IngestResult['incidentChange'];
}

/** {@link IncidentRepository} on PostgreSQL. */
export class OrmIncidentRepository extends OrmRepository implements IncidentRepository {
  /** True when PostgreSQL answers `select 1` (for /readyz). Never throws. */
  async ping(): Promise<boolean> {
    try {
      await this.em().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stores one Alertmanager delivery idempotently and groups it into an incident, in one
   * transaction, queueing follow-up jobs (transactional outbox) — the grouping rules of
   * domain/incidents.ts, carried out by the PL/pgSQL function `watchkeeper_ingest` (migrations
   * 20261121070000 and 20261202120000) in one round trip with bound parameters; the severity
   * order is the domain's, passed in.
   * Retries itself on a unique-constraint race with a concurrent delivery of the same group.
   */
  async ingest(group: AlertGroup, now: Date, opts: IngestOptions): Promise<IngestResult> {
    const pool = await this.orm.driver.getConnection().getNativeClient();
    const values = [
      group.groupKey,
      group.receiver,
      JSON.stringify(group.alerts),
      now.toISOString(),
      opts.dedupWindowS,
      opts.summary,
      opts.target ? JSON.stringify(opts.target) : null,
      JSON.stringify(group.groupLabels),
      INCIDENT_RULES.severityOrder,
      INCIDENT_RULES.defaultSeverity,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await pool.query<{ r: IngestRow }>({ name: 'watchkeeper_ingest', text: INGEST_SQL, values });
        const r = rows[0].r;
        const result: IngestResult = { received: r.received, stored: r.stored, incidentChange: r.incidentChange };
        if (r.incidentId != null) result.incidentId = r.incidentId;
        return result;
      } catch (err) {
        // a concurrent delivery opened the group's incident first (incident_open_group_key_unique)
        if (attempt < 3 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async get(id: number): Promise<Incident | undefined> {
    const row = await this.em().findOne(IncidentEntity, { id });
    return row ? decodeIncident(row) : undefined;
  }

  /** Open incidents, newest first, with their newest remediation's state (one query). */
  async listOpen(limit: number): Promise<Array<{ incident: Incident; latestState?: RemediationState }>> {
    const rows = await this.em().execute<Array<Record<string, unknown>>>(
      `select i.id, i.group_key as "groupKey", i.status, i.alertname, i.severity, i.summary, i.target,
              i.group_labels as "groupLabels", i.diagnosis, i.opened_at as "openedAt", i.last_alert_at as "lastAlertAt",
              i.resolved_at as "resolvedAt",
              (select r.state from remediation r where r.incident_id = i.id order by r.id desc limit 1) as "latestState"
         from incident i where i.status = 'open' order by i.id desc limit ?`,
      [limit],
    );
    return rows.map((r) => {
      const incident = decodeIncident(r);
      return r.latestState ? { incident, latestState: r.latestState as RemediationState } : { incident };
    });
  }

  async setDiagnosis(id: number, diagnosis: DiagnosisRecord, target: TargetRef | null): Promise<void> {
    await this.em().nativeUpdate(IncidentEntity, { id }, { diagnosis: diagnosis as unknown as Record<string, unknown>, target });
  }

  /** One open incident per `groupKey`: an existing open one is updated and returned instead. */
  async openForProposal(input: { groupKey: string; alertname: string; summary: string; target: TargetRef; diagnosis: DiagnosisRecord; now: Date }): Promise<number> {
    const [row] = await this.em().execute<Array<{ id: number }>>(
      `insert into incident (group_key, status, alertname, severity, summary, target, group_labels, diagnosis, opened_at, last_alert_at)
       values (?, 'open', ?, 'info', ?, ?, '{}', ?, ?, ?)
       on conflict (group_key) where status = 'open' do update set summary = excluded.summary, diagnosis = excluded.diagnosis, last_alert_at = excluded.last_alert_at
       returning id`,
      [input.groupKey, input.alertname, input.summary, JSON.stringify(input.target), JSON.stringify(input.diagnosis), input.now, input.now],
    );
    return row.id;
  }
}
