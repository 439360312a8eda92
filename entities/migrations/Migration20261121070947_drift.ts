import { Migration } from '@mikro-orm/migrations';

/** Drift reports and the last scan of each desired-state source (entities/drift.ts). */
export class Migration20261121070947_drift extends Migration {

  override name = 'Migration20261121070947_drift';

  override up(): void | Promise<void> {
    this.addSql(`create table "drift_report" ("id" serial primary key, "source" varchar(255) not null, "fingerprint" varchar(64) not null, "items" jsonb not null, "count_high" int not null, "count_medium" int not null, "count_info" int not null, "git_objects" jsonb not null, "interpretation" jsonb null, "status" text not null, "status_by" varchar(255) null, "status_at" timestamptz null, "git_sha" varchar(64) null, "git_branch" varchar(255) null, "problems" jsonb not null, "rollback" jsonb null, "commit" jsonb null, "card_chat_id" bigint null, "card_message_id" int null, "superseded_by" int null, "resolved_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "drift_report_source_index" on "drift_report" ("source", "id");`);
    this.addSql(`create table "drift_source_state" ("source" varchar(255) not null, "fingerprint" varchar(64) not null, "report_id" int null, "scanned_at" timestamptz not null, "last_error" text null, primary key ("source"));`);
    this.addSql(`alter table "drift_report" add constraint "drift_report_status_check" check ("status" in ('pending', 'acknowledged', 'rolled_back', 'adopted', 'ignored'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "drift_report" cascade;`);
    this.addSql(`drop table if exists "drift_source_state" cascade;`);
  }

}
