/** `watchkeeper migrate` (npm run migrate): applies pending database migrations and exits. */
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../main.ts';
import { CLI_EXIT, type CliIo } from './io.ts';

/**
 * Opens the database (DATABASE_URL, else the embedded PostgreSQL), which applies pending
 * migrations, prints what was applied and closes it.
 * @returns 0.
 * @throws when PostgreSQL cannot be reached or started, or a migration fails.
 */
export async function migrate(io: CliIo): Promise<number> {
  const database = await openDatabase(loadConfig(), pino({ level: 'silent' }));
  try {
    io.stdout(database.applied.length ? `Applied: ${database.applied.join(', ')}\n` : 'Database is up to date.\n');
    return CLI_EXIT.ok;
  } finally {
    await database.close();
  }
}
