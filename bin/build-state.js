#!/usr/bin/env node
/**
 * The compiled build in dist/ (`npm run build`: tsc with tsconfig.build.json) and whether it is
 * fresh, i.e. not older than any TypeScript source it is compiled from. `bin/watchkeeper.js`
 * runs dist/ when it is fresh; `npm start` builds first (prestart) when it is missing or stale.
 * An image holds dist/ without the sources: there it is always fresh.
 *
 *   node bin/build-state.js --build            compile into dist/ and record the build (npm run build)
 *   node bin/build-state.js --build-if-stale   the same, only when dist/ is missing or stale (npm prestart)
 *
 * Exit code: 0 built or already fresh; 1 the compiler failed or is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The compiled CLI entry (what bin/watchkeeper.js imports). */
export const DIST_ENTRY = join(ROOT, 'dist', 'cli', 'index.js');
/** Written after a successful build; its modification time is the build's. */
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** Folders tsconfig.build.json compiles, besides the `*.ts` files at the root. */
const SOURCE_DIRS = ['cli', 'domain', 'agent', 'bot', 'server', 'entities', 'jobs'];
/** Files whose change changes the output. */
const BUILD_FILES = ['tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time (ms) of the sources and build settings; 0 when there are none (an image). */
export function newestSourceMs(root = ROOT) {
  let newest = 0;
  const see = (path) => {
    const m = statSync(path).mtimeMs;
    if (m > newest) newest = m;
  };
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts')) see(path);
    }
  };
  for (const e of readdirSync(root, { withFileTypes: true })) if (e.isFile() && e.name.endsWith('.ts')) see(join(root, e.name));
  for (const d of SOURCE_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  for (const f of BUILD_FILES) if (existsSync(join(root, f))) see(join(root, f));
  return newest;
}

/**
 * @returns `built`: dist/ holds a finished build; `fresh`: and no source is newer than it.
 */
export function distState(root = ROOT) {
  const stamp = join(root, 'dist', '.build-stamp');
  if (!existsSync(join(root, 'dist', 'cli', 'index.js')) || !existsSync(stamp)) return { built: false, fresh: false };
  return { built: true, fresh: newestSourceMs(root) <= statSync(stamp).mtimeMs };
}

/** Compiles into dist/ with the project's TypeScript and records the build. @returns the exit code. */
export function build() {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    process.stderr.write('dist/ is missing or older than the sources, and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`.\n');
    return 1;
  }
  // The stamp is taken before compiling: a source saved during the build makes the result stale.
  const startedAt = new Date();
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) return r.status ?? 1;
  writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
  utimesSync(STAMP, startedAt, startedAt);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  if (arg === '--build') process.exit(build());
  else if (arg === '--build-if-stale') {
    if (distState().fresh) process.exit(0);
    process.stderr.write('watchkeeper: building dist/ (npm run build): it is missing or older than the sources\n');
    process.exit(build());
  } else {
    process.stderr.write('Usage: node bin/build-state.js --build | --build-if-stale\n');
    process.exit(2);
  }
}
