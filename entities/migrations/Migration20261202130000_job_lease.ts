import { Migration } from '@mikro-orm/migrations';

/**
 * Job leases: a claimed job is held by `locked_by` (a worker's identity) until `locked_until`;
 * its holder renews the lease while the job runs. A running job whose lease has expired (its
 * holder died, or could not record the job's end) is claimed again by any worker, so nothing
 * waits for a restart. Rows left running by older versions (no lease) count as expired.
 */
export class Migration20261202130000_job_lease extends Migration {
  override name = 'Migration20261202130000_job_lease';

  override up(): void | Promise<void> {
    this.addSql(`alter table "job" add column "locked_by" varchar(128) null, add column "locked_until" timestamptz null;`);
    this.addSql(`create index "job_running_locked_until_index" on "job" ("locked_until") where "state" = 'running';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index if exists "job_running_locked_until_index";`);
    this.addSql(`alter table "job" drop column "locked_by", drop column "locked_until";`);
  }
}
