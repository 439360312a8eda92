/** Migrations of the drift tables (entities/drift.ts), in order. */
import type { Migration } from '@mikro-orm/migrations';
import type { Constructor } from '@mikro-orm/core';

export const DRIFT_MIGRATIONS: Array<Constructor<Migration>> = [];
