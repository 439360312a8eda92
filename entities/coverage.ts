/** Coverage entities (defineEntity). */
import type { EntitySchema } from '@mikro-orm/core';
export const COVERAGE_ENTITIES: EntitySchema[] = [];
