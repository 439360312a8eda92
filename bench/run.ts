/**
 * The benchmark runner behind `npm run bench`: finds every `bench/*.bench.ts` (sorted by name),
 * imports it and runs its default-exported {@link Bench} with a reporter that prints figure lines
 * (`bench <name>: <value> <unit> (target <op> <value>)`, ` MISSED` appended when the figure misses
 * its target) and `# ` notes on stdout.
 *
 * With several files, each runs in its own child process (one bench's heap, caches and timers never
 * skew another's figures); every child hands its counts back in a small JSON file and this process
 * sums them. The run ends with one line, e.g. `bench summary: 14 figures, 1 missed (x); 5 files,
 * 0 failed` ({@link formatSummary}).
 *
 * A bench that throws (or cannot be imported, or whose process dies) prints `# <file> failed: …` and
 * the run goes on with the next one.
 *
 * Exit code: 0 when every figure with a target met it and no bench file failed; 1 when a target was
 * missed or a file failed; 2 on a usage error (unknown option, or no bench file matches the words).
 *
 * Usage: `npm run bench [-- <word>…]` — with words, only files whose name contains one of them run,
 * e.g. `npm run bench -- webhook`. Also runnable directly: `npx tsx bench/run.ts webhook`.
 * Options: `--in-process` (all files in this process), `--dir=<folder>` (bench files elsewhere, for
 * tests of the runner). `--tally-file=<path>` is internal: a child writes its counts there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Bench, type BenchTally, addTally, emptyTally, formatSummary, tallyExitCode, tallyingReporter } from './support.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const BENCH_BIN = join(BENCH_DIR, '..', 'bin', 'watchkeeper-bench.js');
const SUFFIX = '.bench.ts';

/** Exit code of a usage error (unknown option, no matching bench file). */
export const BENCH_USAGE_EXIT = 2;

/** Options for {@link runBenches} and {@link main}. */
export interface RunOptions {
  /** Folder holding `*.bench.ts` files (default: this file's folder). */
  dir?: string;
  /** Where lines go (default: stdout). */
  write?: (line: string) => void;
}

/**
 * The bench files to run: `*.bench.ts` in `dir`, sorted, filtered by `words` (a file is kept when
 * its name contains one of the words; a word that is a whole `*.bench.ts` name matches only that file).
 */
export async function benchFiles(dir: string, words: readonly string[]): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(SUFFIX)).sort();
  const wanted = words.map((w) => w.toLowerCase()).filter((w) => w !== '');
  const matches = (name: string, w: string) => (w.endsWith(SUFFIX) ? name.toLowerCase() === w : name.toLowerCase().includes(w));
  return wanted.length ? names.filter((n) => wanted.some((w) => matches(n, w))) : names;
}

/**
 * Runs the given bench files one after another in this process.
 * @param files names of `*.bench.ts` files in `options.dir`.
 * @returns the counts: figures, missed figures, files run and files failed (threw, could not be
 *   imported, had no default-exported function, or let an error escape their promise chain).
 */
export async function runBenches(files: readonly string[], options: RunOptions = {}): Promise<BenchTally> {
  const dir = options.dir ?? BENCH_DIR;
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const tally = emptyTally();
  const reporter = tallyingReporter(write, tally);
  let current = '';
  let strayInCurrent = false;
  const fail = (file: string) => {
    if (!tally.failed.includes(file)) tally.failed.push(file);
  };
  // An error escaping a bench's own promise chain (an EventEmitter 'error', a stray rejection) fails
  // that bench, not the whole run.
  const stray = (err: unknown) => {
    strayInCurrent = true;
    fail(current || 'bench run');
    reporter.note(`${current || 'bench run'} failed: uncaught ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
  try {
    for (const file of files) {
      current = file;
      strayInCurrent = false;
      tally.files += 1;
      reporter.note(`${file}`);
      const started = performance.now();
      try {
        const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default?: unknown };
        if (typeof mod.default !== 'function') throw new Error(`${file} has no default-exported Bench function`);
        await (mod.default as Bench)(reporter);
        if (!strayInCurrent) reporter.note(`${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (err) {
        fail(file);
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        reporter.note(`${file} failed: ${message}`);
      }
    }
  } finally {
    current = '';
    process.off('uncaughtException', stray);
    process.off('unhandledRejection', stray);
  }
  return tally;
}

/**
 * Runs one bench file in a child process (same Node, same bin, its output passed through) and
 * reads back the counts it wrote. A child that exits without writing them (killed, crashed at
 * exit) or exits non-zero while reporting no miss and no failure counts as a failed file.
 */
function runIsolated(file: string, dir: string, write: (line: string) => void): BenchTally {
  const scratch = mkdtempSync(join(tmpdir(), 'watchkeeper-bench-'));
  const tallyFile = join(scratch, 'tally.json');
  try {
    const res = spawnSync(process.execPath, [BENCH_BIN, '--in-process', `--dir=${dir}`, `--tally-file=${tallyFile}`, file], { stdio: 'inherit' });
    let tally: BenchTally | undefined;
    try {
      tally = JSON.parse(readFileSync(tallyFile, 'utf8')) as BenchTally;
    } catch {
      tally = undefined;
    }
    const status = res.status ?? `signal ${res.signal ?? 'unknown'}`;
    if (!tally) {
      write(`# ${file} failed: its process exited (${status}) without reporting its figures`);
      return { files: 1, figures: 0, missed: [], failed: [file] };
    }
    if (res.status !== tallyExitCode(tally) && !tally.failed.includes(file)) {
      write(`# ${file} failed: its process exited ${status}`);
      tally.failed.push(file);
    }
    return tally;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The flags {@link main} understands. */
interface BenchArgs {
  words: string[];
  inProcess: boolean;
  dir?: string;
  tallyFile?: string;
  unknown: string[];
}

function parseArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { words: [], inProcess: false, unknown: [] };
  for (const a of argv) {
    if (a === '--in-process') out.inProcess = true;
    else if (a.startsWith('--dir=')) out.dir = a.slice('--dir='.length);
    else if (a.startsWith('--tally-file=')) out.tallyFile = a.slice('--tally-file='.length);
    else if (a.startsWith('-')) out.unknown.push(a);
    else out.words.push(a);
  }
  return out;
}

const USAGE = `Usage: npm run bench [-- <word>…] [-- --in-process]
Runs bench/*.bench.ts (only files whose name contains a word, when given), one process per file,
prints their figures (MISSED after a figure that misses its target) and a summary line.
Exit code: 0 all targets met; 1 a target missed or a bench file failed; 2 usage error.
`;

/**
 * Entry point when run as a script (`npx tsx bench/run.ts [word…]`) or from bin/watchkeeper-bench.js.
 * @returns the exit code (also set on `process.exitCode`); see the module comment.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: RunOptions = {}): Promise<number> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const finish = (code: number) => {
    process.exitCode = code;
    // Benches close what they open; should a stray handle survive one, do not hang the run.
    if (!options.write) setTimeout(() => process.exit(code), 5_000).unref();
    return code;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    write(USAGE.trimEnd());
    return finish(0);
  }
  const args = parseArgs(argv);
  if (args.unknown.length > 0) {
    process.stderr.write(`Unknown option ${args.unknown.join(' ')}; see --help\n`);
    return finish(BENCH_USAGE_EXIT);
  }
  const dir = resolve(args.dir ?? options.dir ?? BENCH_DIR);
  const files = await benchFiles(dir, args.words);
  if (files.length === 0) {
    write(`# no ${dir === BENCH_DIR ? 'bench/' : `${dir}/`}*${SUFFIX} file${args.words.length ? ` matching ${args.words.join(' ')}` : ''}`);
    write(formatSummary(emptyTally()));
    return finish(BENCH_USAGE_EXIT);
  }

  if (args.tallyFile) {
    // A child of a multi-file run: run, hand the counts back, no summary line of its own.
    const tally = await runBenches(files, { dir, write });
    writeFileSync(args.tallyFile, JSON.stringify(tally));
    return finish(tallyExitCode(tally));
  }
  let tally: BenchTally;
  if (files.length > 1 && !args.inProcess) {
    tally = emptyTally();
    for (const file of files) addTally(tally, runIsolated(file, dir, write));
  } else {
    tally = await runBenches(files, { dir, write });
  }
  write(formatSummary(tally));
  return finish(tallyExitCode(tally));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
