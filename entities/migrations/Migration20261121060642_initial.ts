import { Migration } from '@mikro-orm/migrations';

export class Migration20261121060642_initial extends Migration {

  override name = 'Migration20261121060642_initial';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" ("id" bigserial primary key, "at" timestamptz not null, "actor" varchar(255) not null, "action" varchar(64) not null, "subject" varchar(64) null, "input" jsonb null, "output" jsonb null, "duration_ms" int null, "error" text null);`);
    this.addSql(`create index "audit_log_subject_index" on "audit_log" ("subject");`);

    this.addSql(`create table "incident" ("id" serial primary key, "group_key" text not null, "status" text not null, "alertname" varchar(255) not null, "severity" varchar(32) not null, "summary" text not null, "target" jsonb null, "group_labels" jsonb not null, "diagnosis" jsonb null, "opened_at" timestamptz not null, "last_alert_at" timestamptz not null, "resolved_at" timestamptz null);`);
    this.addSql(`create index "incident_status_index" on "incident" ("status");`);
    this.addSql(`create unique index "incident_open_group_key_unique" on "incident" ("group_key") where "status" = 'open';`);
    this.addSql(`alter table "incident" add constraint "incident_status_check" check ("status" in ('open', 'resolved'));`);

    this.addSql(`create table "alert" ("id" bigserial primary key, "fingerprint" varchar(64) not null, "status" text not null, "starts_at" timestamptz not null, "ends_at" timestamptz null, "alertname" varchar(255) not null, "severity" varchar(32) not null, "labels" jsonb not null, "annotations" jsonb not null, "generator_url" text null, "group_key" text not null, "receiver" varchar(255) not null, "incident_id" int null, "received_at" timestamptz not null);`);
    this.addSql(`create index "alert_incident_id_index" on "alert" ("incident_id");`);
    this.addSql(`alter table "alert" add constraint "alert_fingerprint_starts_at_status_unique" unique ("fingerprint", "starts_at", "status");`);
    this.addSql(`alter table "alert" add constraint "alert_status_check" check ("status" in ('firing', 'resolved'));`);

    this.addSql(`create table "job" ("id" bigserial primary key, "kind" varchar(32) not null, "payload" jsonb not null, "state" text not null, "attempts" int not null default 0, "run_at" timestamptz not null, "locked_at" timestamptz null, "last_error" text null, "created_at" timestamptz not null);`);
    this.addSql(`create index "job_state_run_at_index" on "job" ("state", "run_at");`);
    this.addSql(`alter table "job" add constraint "job_state_check" check ("state" in ('queued', 'running', 'done', 'failed'));`);

    this.addSql(`create table "remediation" ("id" serial primary key, "incident_id" int not null, "token" varchar(16) not null, "action" varchar(32) not null, "target" jsonb not null, "params" jsonb not null, "plan" jsonb not null, "state" varchar(16) not null, "approvals_required" int not null, "pre_state" jsonb null, "result" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "expires_at" timestamptz null);`);
    this.addSql(`alter table "remediation" add constraint "remediation_token_unique" unique ("token");`);
    this.addSql(`create index "remediation_state_index" on "remediation" ("state");`);
    this.addSql(`create index "remediation_incident_id_index" on "remediation" ("incident_id");`);

    this.addSql(`create table "chat_message" ("id" serial primary key, "chat_id" bigint not null, "message_id" int not null, "kind" varchar(32) not null, "incident_id" int null, "remediation_id" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "chat_message_incident_id_index" on "chat_message" ("incident_id");`);
    this.addSql(`alter table "chat_message" add constraint "chat_message_chat_message_unique" unique ("chat_id", "message_id");`);

    this.addSql(`create table "approval_decision" ("id" serial primary key, "remediation_id" int not null, "user_id" bigint not null, "user_name" varchar(255) not null, "decision" varchar(16) not null, "reason" text null, "decided_at" timestamptz not null);`);
    this.addSql(`alter table "approval_decision" add constraint "approval_decision_once_per_user" unique ("remediation_id", "user_id", "decision");`);

    this.addSql(`alter table "alert" add constraint "alert_incident_id_foreign" foreign key ("incident_id") references "incident" ("id") on delete set null;`);

    this.addSql(`alter table "remediation" add constraint "remediation_incident_id_foreign" foreign key ("incident_id") references "incident" ("id");`);

    this.addSql(`alter table "chat_message" add constraint "chat_message_incident_id_foreign" foreign key ("incident_id") references "incident" ("id") on delete set null;`);
    this.addSql(`alter table "chat_message" add constraint "chat_message_remediation_id_foreign" foreign key ("remediation_id") references "remediation" ("id") on delete set null;`);

    this.addSql(`alter table "approval_decision" add constraint "approval_decision_remediation_id_foreign" foreign key ("remediation_id") references "remediation" ("id");`);
  }

}
