/** Migrations of the coverage tables (entities/coverage.ts), in order. */
import type { Migration } from '@mikro-orm/migrations';
import type { Constructor } from '@mikro-orm/core';
import { Migration20261121071058_coverage } from './Migration20261121071058_coverage.ts';

export const COVERAGE_MIGRATIONS: Array<Constructor<Migration>> = [Migration20261121071058_coverage];
