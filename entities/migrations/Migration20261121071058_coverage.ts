import { Migration } from '@mikro-orm/migrations';

/** Coverage tables (entities/coverage.ts). Generated; the generator's drop of the hand-written watchkeeper_ingest function was removed. */
export class Migration20261121071058_coverage extends Migration {

  override name = 'Migration20261121071058_coverage';

  override up(): void | Promise<void> {
    this.addSql(`create table "coverage_asset" ("id" serial primary key, "kind" varchar(16) not null, "namespace" varchar(253) not null, "name" varchar(253) not null, "uid" varchar(64) null, "labels" jsonb not null, "owner" varchar(255) null, "internal_ip" varchar(64) null, "members" jsonb not null, "containers" jsonb not null, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null, "first_run_id" int not null, "last_run_id" int not null, "gone_at" timestamptz null);`);
    this.addSql(`create index "coverage_asset_namespace_name_index" on "coverage_asset" ("namespace", "name");`);
    this.addSql(`alter table "coverage_asset" add constraint "coverage_asset_identity_unique" unique ("kind", "namespace", "name");`);

    this.addSql(`create table "coverage_cell" ("id" bigserial primary key, "asset_id" int not null, "dimension" varchar(16) not null, "status" text not null, "evidence" jsonb not null, "fingerprint" varchar(32) not null, "evaluation_id" int not null, "changed_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`alter table "coverage_cell" add constraint "coverage_cell_asset_dimension_unique" unique ("asset_id", "dimension");`);

    this.addSql(`create table "coverage_digest" ("id" serial primary key, "evaluation_id" int not null, "chat_id" bigint not null, "day" varchar(10) not null, "posted_at" timestamptz not null, "text_message_id" int null, "photo_message_id" int null, "photo_error" text null);`);
    this.addSql(`create index "coverage_digest_chat_day_index" on "coverage_digest" ("chat_id", "day");`);

    this.addSql(`create table "coverage_discovery_run" ("id" serial primary key, "started_at" timestamptz not null, "finished_at" timestamptz null, "status" text not null, "counts" jsonb not null, "errors" jsonb not null, "assets_total" int not null default 0, "assets_new" int not null default 0, "assets_gone" int not null default 0, "duration_ms" int null);`);
    this.addSql(`create index "coverage_discovery_run_started_at_index" on "coverage_discovery_run" ("started_at");`);

    this.addSql(`create table "coverage_evaluation" ("id" serial primary key, "started_at" timestamptz not null, "finished_at" timestamptz not null, "status" text not null, "discovery_run_id" int null, "asset_count" int not null, "summary" jsonb not null, "overall_green_ratio" double precision null, "sources" jsonb not null, "codes" jsonb not null, "duration_ms" int not null);`);
    this.addSql(`create index "coverage_evaluation_finished_at_index" on "coverage_evaluation" ("finished_at");`);

    this.addSql(`create table "coverage_rule" ("id" serial primary key, "asset_id" int not null, "rule_name" varchar(253) not null, "namespace" varchar(253) not null, "remediation_id" int not null, "incident_id" int not null, "templates" jsonb not null, "manifest" jsonb not null, "status" varchar(16) not null, "created_by" varchar(32) not null default 'watchkeeper', "proposed_by" varchar(255) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "applied_at" timestamptz null);`);
    this.addSql(`alter table "coverage_rule" add constraint "coverage_rule_remediation_id_unique" unique ("remediation_id");`);
    this.addSql(`create index "coverage_rule_asset_id_index" on "coverage_rule" ("asset_id");`);

    this.addSql(`alter table "coverage_cell" add constraint "coverage_cell_asset_id_foreign" foreign key ("asset_id") references "coverage_asset" ("id") on delete cascade;`);
    this.addSql(`alter table "coverage_cell" add constraint "coverage_cell_status_check" check ("status" in ('green', 'yellow', 'red', 'unknown'));`);

    this.addSql(`alter table "coverage_discovery_run" add constraint "coverage_discovery_run_status_check" check ("status" in ('running', 'succeeded', 'partial', 'failed'));`);

    this.addSql(`alter table "coverage_evaluation" add constraint "coverage_evaluation_status_check" check ("status" in ('succeeded', 'partial'));`);

    this.addSql(`alter table "coverage_rule" add constraint "coverage_rule_asset_id_foreign" foreign key ("asset_id") references "coverage_asset" ("id") on delete cascade;`);

  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "coverage_cell" drop constraint "coverage_cell_asset_id_foreign";`);
    this.addSql(`alter table "coverage_rule" drop constraint "coverage_rule_asset_id_foreign";`);

    this.addSql(`drop table if exists "coverage_asset" cascade;`);
    this.addSql(`drop table if exists "coverage_cell" cascade;`);
    this.addSql(`drop table if exists "coverage_digest" cascade;`);
    this.addSql(`drop table if exists "coverage_discovery_run" cascade;`);
    this.addSql(`drop table if exists "coverage_evaluation" cascade;`);
    this.addSql(`drop table if exists "coverage_rule" cascade;`);

  }

}
