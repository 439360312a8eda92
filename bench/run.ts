/**
 * The benchmark runner behind `npm run bench`: finds every `bench/*.bench.ts` (sorted by name),
 * imports it and runs its default-exported {@link Bench} with a reporter that prints figure lines
 * (`bench <name>: <value> <unit> (target <op> <value>)`) and `# ` notes on stdout.
 *
 * A bench that throws (or cannot be imported) prints `# <file> failed: <error>` and the run goes on
 * with the next one; the exit code is then 1. Figures that miss their target do not change the exit
 * code: this prints figures, it is not a timed test.
 *
 * Usage: `npm run bench [-- <word>…]` — with words, only files whose name contains one of them run,
 * e.g. `npm run bench -- webhook`. Also runnable directly: `npx tsx bench/run.ts webhook`.
 */
import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatFigure, type Bench, type BenchReporter } from './support.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SUFFIX = '.bench.ts';

/** Options for {@link runBenches}. */
export interface RunOptions {
  /** Folder holding `*.bench.ts` files (default: this file's folder). */
  dir?: string;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
}

/** The reporter handed to each bench: one line per figure or note. */
export function lineReporter(write: (line: string) => void): BenchReporter {
  return {
    figure: (name, value, unit, target) => write(formatFigure(name, value, unit, target)),
    note: (text) => {
      for (const line of text.split('\n')) write(`# ${line}`);
    },
  };
}

/** The bench files to run: `*.bench.ts` in `dir`, sorted, filtered by `words` (any word in the name). */
export async function benchFiles(dir: string, words: readonly string[]): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(SUFFIX)).sort();
  const wanted = words.map((w) => w.toLowerCase()).filter((w) => w !== '');
  return wanted.length ? names.filter((n) => wanted.some((w) => n.toLowerCase().includes(w))) : names;
}

/**
 * Runs the selected benches one after another.
 * @param words optional filter: only files whose name contains one of the words.
 * @returns the exit code: 0, or 1 when a bench crashed (threw, or had no default-exported function).
 */
export async function runBenches(words: readonly string[] = [], options: RunOptions = {}): Promise<number> {
  const dir = options.dir ?? BENCH_DIR;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const reporter = lineReporter(write);
  const files = await benchFiles(dir, words);
  if (files.length === 0) {
    reporter.note(`no bench/*${SUFFIX} file${words.length ? ` matching ${words.join(' ')}` : ''}`);
    return 0;
  }
  let crashed = false;
  let current = '';
  let strayInCurrent = false;
  // An error escaping a bench's own promise chain (an EventEmitter 'error', a stray rejection) fails
  // that bench, not the whole run.
  const stray = (err: unknown) => {
    crashed = true;
    strayInCurrent = true;
    reporter.note(`${current || 'bench run'} failed: uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  for (const file of files) {
    current = file;
    strayInCurrent = false;
    reporter.note(`${file}`);
    const started = performance.now();
    try {
      const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: unknown };
      if (typeof mod.default !== 'function') throw new Error(`${file} has no default-exported Bench function`);
      await (mod.default as Bench)(reporter);
      if (!strayInCurrent) reporter.note(`${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      crashed = true;
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      reporter.note(`${file} failed: ${message}`);
    }
  }
  current = '';
  process.off('uncaughtException', stray);
  process.off('unhandledRejection', stray);
  return crashed ? 1 : 0;
}

/** Runs one bench file in a child process (same Node, same bin), its output passed through. */
function runIsolated(file: string): number {
  const bin = join(BENCH_DIR, '..', 'bin', 'watchkeeper-bench.js');
  const res = spawnSync(process.execPath, [bin, file], { stdio: 'inherit' });
  return res.status ?? 1;
}

/** Entry point when run as a script (`npx tsx bench/run.ts [word…]`) or from bin/watchkeeper-bench.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: npm run bench [-- <word>…]\nRuns bench/*.bench.ts (only files whose name contains a word, when given) and prints their figures.\n');
    return 0;
  }
  const words = argv.filter((a) => !a.startsWith('-'));
  const files = await benchFiles(BENCH_DIR, words);
  // Several files: each runs in its own process, so one bench's heap, caches and timers never
  // skew another's figures (resident memory above all).
  const code =
    files.length > 1 && !argv.includes('--in-process')
      ? files.map((file) => runIsolated(file)).reduce((a, b) => Math.max(a, b), 0)
      : await runBenches(words);
  process.exitCode = code;
  // Benches close what they open; should a stray handle survive one, do not hang the run.
  setTimeout(() => process.exit(code), 5_000).unref();
  return code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
