import { Migration } from '@mikro-orm/migrations';

export class Migration20261121063621_safe_remediation extends Migration {

  override name = 'Migration20261121063621_safe_remediation';

  override up(): void | Promise<void> {
    this.addSql(`create table "playbook" ("id" serial primary key, "symptoms_hash" varchar(16) not null, "action" varchar(32) not null, "target" varchar(255) not null, "category" varchar(32) not null, "trust_score" double precision not null, "successes" int not null default 0, "failures" int not null default 0, "last_outcome_at" timestamptz not null, "published" boolean not null default false);`);
    this.addSql(`alter table "playbook" add constraint "playbook_symptoms_action_unique" unique ("symptoms_hash", "action");`);

    this.addSql(`create table "knowledge_entry" ("id" serial primary key, "kind" text not null, "status" text not null, "symptoms_hash" varchar(16) not null, "action" varchar(32) not null, "target" varchar(255) not null, "title" text not null, "body" text not null, "remediation_id" int null, "created_at" timestamptz not null, "expires_at" timestamptz null, "decided_by" varchar(255) null);`);
    this.addSql(`create index "knowledge_entry_symptoms_index" on "knowledge_entry" ("symptoms_hash", "kind");`);

    this.addSql(`create table "silence" ("id" serial primary key, "group_key" text not null, "until" timestamptz not null, "created_by" varchar(255) not null, "created_at" timestamptz not null, "alertmanager_silence_id" varchar(64) null);`);
    this.addSql(`create index "silence_group_key_index" on "silence" ("group_key", "until");`);

    this.addSql(`alter table "remediation" add "snoozed_until" timestamptz null, add "undo_of" int null, add "symptoms_hash" varchar(16) null, add "confidence" double precision null;`);

    this.addSql(`alter table "knowledge_entry" add constraint "knowledge_entry_remediation_id_foreign" foreign key ("remediation_id") references "remediation" ("id") on delete set null;`);
    this.addSql(`alter table "knowledge_entry" add constraint "knowledge_entry_kind_check" check ("kind" in ('runbook', 'anti_pattern'));`);
    this.addSql(`alter table "knowledge_entry" add constraint "knowledge_entry_status_check" check ("status" in ('draft', 'published', 'discarded'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "playbook" cascade;`);
    this.addSql(`drop table if exists "knowledge_entry" cascade;`);
    this.addSql(`drop table if exists "silence" cascade;`);

    this.addSql(`alter table "remediation" drop column "snoozed_until", drop column "undo_of", drop column "symptoms_hash", drop column "confidence";`);
  }

}
