/** Migrations of the coverage tables (entities/coverage.ts), in order. */
import type { Migration } from '@mikro-orm/migrations';
import type { Constructor } from '@mikro-orm/core';

export const COVERAGE_MIGRATIONS: Array<Constructor<Migration>> = [];
