/**
 * CLI start-up (issue 13): `npx watchkeeper --help` as a user runs it, the compiled build in dist/
 * against today's way of running the TypeScript sources through tsx, in the same run.
 *
 * - `cli_help_compiled_ms`: wall time of `node bin/watchkeeper.js --help` with a fresh dist/
 *   (built first when missing or stale), median of 5 after 1 warm-up (target ≤ 500 ms).
 * - `cli_help_tsx_ms`: the same command through tsx (`register()`, then `cli/index.ts`), as
 *   bin/watchkeeper.js ran it before the build, median of 5 after 1 warm-up (tsx's cache warm).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bench, percentile } from './support.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const RUNS = 5;

/** Median wall time (ms) of running `args` with Node, after one warm-up; throws when it fails. */
function timeRuns(args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    const r = spawnSync(NODE, args, { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    const ms = performance.now() - t0;
    if (r.status !== 0 || !/Usage: watchkeeper/.test(r.stdout)) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    if (i > 0) times.push(ms);
  }
  return percentile(times, 50);
}

const bench: Bench = async (reporter) => {
  const built = spawnSync(NODE, [join(ROOT, 'bin/build-state.js'), '--build-if-stale'], { cwd: ROOT, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  const compiled = timeRuns([join(ROOT, 'bin/watchkeeper.js'), '--help']);
  const tsx = timeRuns([
    '--input-type=module',
    '-e',
    "import { register } from 'tsx/esm/api'; register(); const { runCli } = await import('./cli/index.ts'); process.exit(await runCli(['--help']));",
  ]);
  reporter.figure('cli_help_compiled_ms', Math.round(compiled), 'ms', { op: '<=', value: 500 });
  reporter.figure('cli_help_tsx_ms', Math.round(tsx), 'ms');
  reporter.note(`compiled start is ${(tsx / compiled).toFixed(1)}× faster than through tsx`);
};

export default bench;
