/** Checked-in migrations, in order. Add new ones at the end of their list. */
import { Migration20261121060642_initial } from './Migration20261121060642_initial.ts';
import { Migration20261121063621_safe_remediation } from './Migration20261121063621_safe_remediation.ts';
import { Migration20261121070000_ingest_function } from './Migration20261121070000_ingest_function.ts';
import { DRIFT_MIGRATIONS } from './drift.ts';
import { COVERAGE_MIGRATIONS } from './coverage.ts';
import { Migration20261202120000_domain_rules_origin } from './Migration20261202120000_domain_rules_origin.ts';
import { Migration20261202130000_job_lease } from './Migration20261202130000_job_lease.ts';

export const MIGRATIONS = [
  Migration20261121060642_initial,
  Migration20261121063621_safe_remediation,
  Migration20261121070000_ingest_function,
  ...DRIFT_MIGRATIONS,
  ...COVERAGE_MIGRATIONS,
  Migration20261202120000_domain_rules_origin,
  Migration20261202130000_job_lease,
];
