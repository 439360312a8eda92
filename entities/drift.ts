/** Drift entities (defineEntity). */
import type { EntitySchema } from '@mikro-orm/core';
export const DRIFT_ENTITIES: EntitySchema[] = [];
