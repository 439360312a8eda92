/**
 * Developer tool: generates a migration from the entity definitions by diffing them against a
 * fresh database migrated to the latest checked-in migration.
 * Usage: `npx tsx entities/create-migration.ts <name>` (needs PostgreSQL at TEST_DATABASE_URL or
 * 127.0.0.1:5432). Add the generated class to entities/migrations/index.ts.
 */
import pg from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from './orm.ts';

const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `wk_migration_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE ${dbName}`);
try {
  const url = new URL(base);
  url.pathname = `/${dbName}`;
  const opts = ormOptions({ url: url.toString() });
  const orm = await MikroORM.init({ ...opts, migrations: { ...opts.migrations, silent: false } });
  await orm.migrator.up();
  const initial = (await orm.migrator.getExecuted()).length === 0;
  const result = await orm.migrator.create('entities/migrations', false, initial, process.argv[2]);
  console.log(result.fileName || 'no changes', '\n', result.diff);
  await orm.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
