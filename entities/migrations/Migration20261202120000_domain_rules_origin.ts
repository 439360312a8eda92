import { Migration } from '@mikro-orm/migrations';

/**
 * `watchkeeper_ingest` takes the severity order and the severity unknown labels count as from the
 * domain (domain/incidents.ts INCIDENT_RULES) instead of a copy in SQL; the 8-argument version of
 * 20261121070000 is dropped. Otherwise the same function, same single round trip.
 * Also: `remediation.origin` (alert, drift, coverage, undo, command), back-filled from what
 * older rows show (undo_of set → undo; their incident's group key drift:… / coverage-rule:…).
 */
export class Migration20261202120000_domain_rules_origin extends Migration {

  override name = 'Migration20261202120000_domain_rules_origin';

  override up(): void | Promise<void> {
    this.addSql(`drop function if exists watchkeeper_ingest(text, text, jsonb, timestamptz, double precision, text, jsonb, jsonb);`);
    this.addSql(`create or replace function watchkeeper_ingest(
  p_group_key text,
  p_receiver text,
  p_alerts jsonb,
  p_now timestamptz,
  p_dedup_window_s double precision,
  p_summary text,
  p_target jsonb,
  p_group_labels jsonb,
  p_severities text[],
  p_default_severity text
) returns jsonb
language plpgsql
volatile
as $fn$
declare
  c_severities constant text[] := p_severities;
  c_default_rank constant int := array_position(p_severities, p_default_severity);
  v_received int := jsonb_array_length(p_alerts);
  v_ids bigint[];
  v_fingerprints text[];
  v_starts timestamptz[];
  v_statuses text[];
  v_severities text[];
  v_stored int;
  v_firing int;
  v_firing_rank int;
  v_rank int;
  v_severity text;
  v_incident_id int;
  v_incident_severity text;
  v_link_after boolean := false;
  v_still_firing int;
  v_change text := 'none';
begin
  select i.id, i.severity into v_incident_id, v_incident_severity
    from incident i where i.group_key = p_group_key and i.status = 'open' for update;

  with ins as (
    insert into alert (fingerprint, status, starts_at, ends_at, alertname, severity, labels, annotations,
                       generator_url, group_key, receiver, received_at, incident_id)
    select x.fingerprint, x.status, x."startsAt", x."endsAt", x.alertname, x.severity, x.labels, x.annotations,
           x."generatorURL", p_group_key, p_receiver, p_now, v_incident_id
      from jsonb_to_recordset(p_alerts) as x(fingerprint text, status text, "startsAt" timestamptz, "endsAt" timestamptz,
                                             alertname text, severity text, labels jsonb, annotations jsonb, "generatorURL" text)
    on conflict on constraint alert_fingerprint_starts_at_status_unique do nothing
    returning id, fingerprint, starts_at, status, severity
  )
  select coalesce(array_agg(ins.id), '{}'), count(*), array_agg(ins.fingerprint), array_agg(ins.starts_at),
         array_agg(ins.status), array_agg(ins.severity)
    into v_ids, v_stored, v_fingerprints, v_starts, v_statuses, v_severities
    from ins;

  if v_stored = 0 then
    return jsonb_build_object('received', v_received, 'stored', 0, 'incidentChange', 'none');
  end if;

  -- New firing alerts, minus late ones (their instance already has a resolved row, possibly one
  -- inserted just now), and the rank of their worst severity.
  -- (The statements reading alert run through EXECUTE, planned for their actual values and the
  -- table's current size at each call: a cached generic plan, made while the table was small — a
  -- fresh database, a truncate — would keep its sequential scans as the table grows.)
  execute $q$
    select count(*), min(coalesce(array_position($1, lower(a.severity)), $6))
      from unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[]) as a(fingerprint, starts_at, status, severity)
     where a.status = 'firing'
       and not exists (select 1 from alert r where r.fingerprint = a.fingerprint and r.starts_at = a.starts_at and r.status = 'resolved')$q$
    into v_firing, v_firing_rank
    using c_severities, v_fingerprints, v_starts, v_statuses, v_severities, c_default_rank;

  if v_incident_id is null then
    -- None was open before the insert: look again, where the former code looked (a concurrent
    -- delivery may have opened one meanwhile); the alerts are then linked below.
    select i.id, i.severity into v_incident_id, v_incident_severity
      from incident i where i.group_key = p_group_key and i.status = 'open' for update;
    v_link_after := v_incident_id is not null;
  end if;

  if v_firing > 0 then
    if v_incident_id is not null then
      v_rank := least(v_firing_rank, coalesce(array_position(c_severities, lower(v_incident_severity)), c_default_rank));
      update incident set last_alert_at = p_now, severity = c_severities[v_rank] where id = v_incident_id;
      v_change := 'updated';
    else
      v_severity := c_severities[v_firing_rank];
      update incident set status = 'open', resolved_at = null, last_alert_at = p_now, severity = v_severity
       where id = (select i.id from incident i
                    where i.group_key = p_group_key and i.status = 'resolved'
                      and i.resolved_at >= p_now - p_dedup_window_s * interval '1 second'
                    order by i.resolved_at desc limit 1 for update)
      returning id into v_incident_id;
      if v_incident_id is not null then
        v_change := 'reopened';
      else
        insert into incident (group_key, status, alertname, severity, summary, target, group_labels, opened_at, last_alert_at)
        values (p_group_key, 'open', p_alerts -> 0 ->> 'alertname', v_severity, p_summary, p_target, p_group_labels, p_now, p_now)
        returning id into v_incident_id;
        v_change := 'created';
      end if;
      insert into job (kind, payload, state, attempts, run_at, created_at)
      values ('diagnose', jsonb_build_object('incidentId', v_incident_id), 'queued', 0, p_now, p_now);
      v_link_after := true;
    end if;
  end if;

  if v_incident_id is null then
    -- resolved (or late) alerts of a group with no open incident: stored only
    return jsonb_build_object('received', v_received, 'stored', v_stored, 'incidentChange', v_change);
  end if;

  if v_link_after then
    execute 'update alert set incident_id = $1 where id = any($2)' using v_incident_id, v_ids;
  end if;

  if v_firing < v_stored then
    execute $q$
      select count(*) from (
        select distinct on (fingerprint) status from alert where incident_id = $1
         order by fingerprint, starts_at desc, (status = 'resolved') desc, id desc) latest
       where latest.status = 'firing'$q$
      into v_still_firing
      using v_incident_id;
    if v_still_firing = 0 then
      update incident set status = 'resolved', resolved_at = p_now where id = v_incident_id;
      insert into job (kind, payload, state, attempts, run_at, created_at)
      values ('incident-resolved', jsonb_build_object('incidentId', v_incident_id), 'queued', 0, p_now, p_now);
      v_change := 'resolved';
    end if;
  end if;

  return jsonb_build_object('received', v_received, 'stored', v_stored, 'incidentId', v_incident_id, 'incidentChange', v_change);
end;
$fn$;`);
    this.addSql(`alter table "remediation" add "origin" varchar(16) not null default 'alert';`);
    this.addSql(`update "remediation" r set "origin" = case
        when r.undo_of is not null then 'undo'
        when i.group_key like 'drift:%' then 'drift'
        when i.group_key like 'coverage-rule:%' then 'coverage'
        else 'alert' end
      from "incident" i where i.id = r.incident_id;`);
    this.addSql(`alter table "remediation" add constraint "remediation_origin_check" check ("origin" in ('alert', 'drift', 'coverage', 'undo', 'command'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "remediation" drop constraint if exists "remediation_origin_check";`);
    this.addSql(`alter table "remediation" drop column "origin";`);
    this.addSql(`drop function if exists watchkeeper_ingest(text, text, jsonb, timestamptz, double precision, text, jsonb, jsonb, text[], text);`);
  }

}
