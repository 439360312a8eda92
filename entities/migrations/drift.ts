/** Migrations of the drift tables (entities/drift.ts), in order. */
import type { Migration } from '@mikro-orm/migrations';
import type { Constructor } from '@mikro-orm/core';
import { Migration20261121070947_drift } from './Migration20261121070947_drift.ts';

export const DRIFT_MIGRATIONS: Array<Constructor<Migration>> = [Migration20261121070947_drift];
