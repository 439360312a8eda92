/**
 * Real PostgreSQL for tests: each call creates a fresh database on the server at
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates it with the
 * checked-in migrations, and drops it on cleanup.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateUp, openOrm, type MikroORM } from '../../entities/orm.ts';
import { Store } from '../../entities/store.ts';

/** A migrated throwaway database. */
export interface TestDatabase {
  url: string;
  orm: MikroORM;
  store: Store;
  /** Runs SQL directly (assertions on raw rows). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** Connection string of the server tests use. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Creates, migrates and opens a fresh database.
 * @throws when PostgreSQL is not reachable (start it: see .ci/run).
 */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  const name = `wk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  const orm = await openOrm({ url: url.toString(), poolMax: options.poolMax });
  await migrateUp(orm);
  const client = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    url: url.toString(),
    orm,
    store: new Store(orm),
    query: async <T,>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    async drop() {
      await client.end();
      await orm.close();
      const a = new pg.Client({ connectionString: TEST_SERVER_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}
