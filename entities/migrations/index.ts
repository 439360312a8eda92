/** Checked-in migrations, in order. Add new ones at the end. */
import { Migration20261121060642_initial } from './Migration20261121060642_initial.ts';

export const MIGRATIONS = [Migration20261121060642_initial];
