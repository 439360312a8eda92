/** Checked-in migrations, in order. Add new ones at the end. */
import { Migration20261121060642_initial } from './Migration20261121060642_initial.ts';
import { Migration20261121063621_safe_remediation } from './Migration20261121063621_safe_remediation.ts';

export const MIGRATIONS = [Migration20261121060642_initial, Migration20261121063621_safe_remediation];
