/**
 * Real PostgreSQL for tests: each call creates a fresh database on the server at
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), migrates it with the
 * checked-in migrations, and drops it on cleanup.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateUp, openOrm, type MikroORM } from '../../entities/orm.ts';
import { createStore, type Store } from '../../entities/repositories/index.ts';

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
    store: createStore(orm),
    query: async <T,>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[],
    async drop() {
      await client.end();
      await orm.close();
      const a = new pg.Client({ connectionString: TEST_SERVER_URL });
      await a.connect();
      try {
        // pg's Pool.end() resolves before its sockets are closed: a forced drop now would kill
        // connections still saying goodbye, and their 57P01 would surface as an uncaught error.
        // Wait (up to 5 s) until the server has seen every connection to this database go.
        await waitForNoConnections(a, name, 5000);
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * Polls `pg_stat_activity` until no backend is connected to `database`, or `timeoutMs` (ms) passed.
 * @returns the number of connections still there (0 when all closed in time).
 */
async function waitForNoConnections(admin: pg.Client, database: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [database]);
    if (rows[0].n === 0 || Date.now() >= deadline) return rows[0].n;
    await new Promise((r) => setTimeout(r, 20));
  }
}
