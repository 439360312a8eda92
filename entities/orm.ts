/**
 * ORM set-up: MikroORM on PostgreSQL with the checked-in migrations.
 */
import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { ENTITIES } from './schema.ts';
import { MIGRATIONS } from './migrations/index.ts';

/** Options for {@link openOrm}. */
export interface OrmOptions {
  /** PostgreSQL connection string, e.g. `postgres://user@127.0.0.1:5432/watchkeeper`. */
  url: string;
  /** Connection pool size (default 10). */
  poolMax?: number;
  /** Log SQL (default false). */
  debug?: boolean;
}

/** The MikroORM options Watchkeeper runs with (also used to generate migrations). */
export function ormOptions(opts: OrmOptions): Options {
  return {
    clientUrl: opts.url,
    entities: ENTITIES,
    extensions: [Migrator],
    debug: opts.debug ?? false,
    pool: { min: 0, max: opts.poolMax ?? 10 },
    // Postgres `bigint` ids come back as numbers (safe below 2^53).
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'entities/migrations',
      pathTs: 'entities/migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
    allowGlobalContext: false,
  };
}

/**
 * Connects to PostgreSQL. Does not migrate; call {@link migrateUp}.
 * @throws when the server is unreachable or the URL is invalid (MikroORM/pg errors).
 */
export async function openOrm(opts: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormOptions(opts));
}

/**
 * Applies pending migrations.
 * @returns names of the migrations applied (empty when up to date).
 */
export async function migrateUp(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export type { MikroORM };
