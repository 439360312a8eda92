/**
 * The bench runner's contract (bench/support.ts, bench/run.ts): figure lines say MISSED when a
 * target is missed, the summary line counts figures, misses and failed files, and `npm run bench`
 * exits non-zero on a miss or a crash — also when the files run in separate processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchFiles, runBenches } from '../bench/run.ts';
import { addTally, emptyTally, formatFigure, formatSummary, tallyExitCode } from '../bench/support.ts';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'watchkeeper-bench.js');

const FIXTURES: Record<string, string> = {
  'a-met.bench.ts': `export default async (r) => { r.figure('fast_ms', 12, 'ms', { op: '<=', value: 50 }); r.figure('plain', 3, 'req'); };`,
  'b-missed.bench.ts': `export default async (r) => { r.figure('slow_ms', 63, 'ms', { op: '<=', value: 50 }); r.figure('rate', 1200, 'alerts/s', { op: '>=', value: 1000 }); };`,
  'c-crash.bench.ts': `export default async (r) => { r.figure('before_crash', 1, 'x'); throw new Error('bench blew up'); };`,
  'd-no-default.bench.ts': `export const nothing = 1;`,
};

let dir: string;
let passingDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bench-fixtures-'));
  for (const [name, text] of Object.entries(FIXTURES)) writeFileSync(join(dir, name), text);
  passingDir = mkdtempSync(join(tmpdir(), 'bench-fixtures-ok-'));
  writeFileSync(join(passingDir, 'a-met.bench.ts'), FIXTURES['a-met.bench.ts']!);
  writeFileSync(join(passingDir, 'e-met.bench.ts'), `export default async (r) => { r.figure('ratio', 0.5, 'ratio', { op: '<', value: 1 }); };`);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(passingDir, { recursive: true, force: true });
});

/** Runs `npm run bench`'s bin with the given arguments; stdout as lines. */
function runBin(args: string[]): { status: number | null; lines: string[] } {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, lines: res.stdout.split('\n').filter((l) => l !== '') };
}

describe('figure lines', () => {
  it('append MISSED only when a target is given and not met', () => {
    expect(formatFigure('x', 63, 'ms', { op: '<=', value: 50 })).toBe('bench x: 63 ms (target <= 50) MISSED');
    expect(formatFigure('x', 50, 'ms', { op: '<=', value: 50 })).toBe('bench x: 50 ms (target <= 50)');
    expect(formatFigure('x', 50, 'ms', { op: '<', value: 50 })).toBe('bench x: 50 ms (target < 50) MISSED');
    expect(formatFigure('rate', 999.5, 'alerts/s', { op: '>=', value: 1000 })).toBe('bench rate: 999.5 alerts/s (target >= 1000) MISSED');
    expect(formatFigure('rate', 1000, 'alerts/s', { op: '>', value: 999 })).toBe('bench rate: 1000 alerts/s (target > 999)');
    expect(formatFigure('p', 1.23456, 'ms')).toBe('bench p: 1.235 ms');
  });

  it('count a NaN figure (an empty sample) as missing its target', () => {
    expect(formatFigure('p99', Number.NaN, 'ms', { op: '<=', value: 50 })).toBe('bench p99: NaN ms (target <= 50) MISSED');
  });
});

describe('summary', () => {
  it('counts figures, misses and failed files, and sets the exit code', () => {
    const t = addTally(emptyTally(), { files: 2, figures: 14, missed: ['webhook_ack_p99_ms'], failed: [] });
    addTally(t, { files: 1, figures: 0, missed: [], failed: ['drift.bench.ts'] });
    expect(formatSummary(t)).toBe('bench summary: 14 figures, 1 missed (webhook_ack_p99_ms); 3 files, 1 failed (drift.bench.ts)');
    expect(tallyExitCode(t)).toBe(1);
    const clean = { files: 5, figures: 14, missed: [], failed: [] };
    expect(formatSummary(clean)).toBe('bench summary: 14 figures, 0 missed; 5 files, 0 failed');
    expect(tallyExitCode(clean)).toBe(0);
    expect(tallyExitCode({ ...clean, failed: ['x.bench.ts'] })).toBe(1);
  });
});

describe('runner', () => {
  it('selects files by word, a whole file name matching only itself', async () => {
    expect(await benchFiles(dir, [])).toEqual(Object.keys(FIXTURES).sort());
    expect(await benchFiles(dir, ['MISSED', 'crash'])).toEqual(['b-missed.bench.ts', 'c-crash.bench.ts']);
    expect(await benchFiles(dir, ['a-met.bench.ts'])).toEqual(['a-met.bench.ts']);
  });

  it('runs files in process and tallies figures, misses and crashes', async () => {
    const lines: string[] = [];
    const tally = await runBenches(Object.keys(FIXTURES).sort(), { dir, write: (l) => lines.push(l) });
    expect(tally).toEqual({ files: 4, figures: 5, missed: ['slow_ms'], failed: ['c-crash.bench.ts', 'd-no-default.bench.ts'] });
    expect(lines).toContain('bench slow_ms: 63 ms (target <= 50) MISSED');
    expect(lines).toContain('bench fast_ms: 12 ms (target <= 50)');
    expect(lines.some((l) => l.startsWith('# c-crash.bench.ts failed: Error: bench blew up'))).toBe(true);
  });

  it('aggregates across one process per file and exits 1 on a miss or a crash', () => {
    const { status, lines } = runBin([`--dir=${dir}`]);
    expect(lines).toContain('bench slow_ms: 63 ms (target <= 50) MISSED');
    expect(lines).toContain('bench rate: 1200 alerts/s (target >= 1000)');
    expect(lines.filter((l) => l.startsWith('bench summary:'))).toEqual([
      'bench summary: 5 figures, 1 missed (slow_ms); 4 files, 2 failed (c-crash.bench.ts, d-no-default.bench.ts)',
    ]);
    expect(lines.at(-1)).toMatch(/^bench summary:/);
    expect(status).toBe(1);
  });

  it('exits 1 for a single missed target, and 0 when every target is met', () => {
    const missed = runBin([`--dir=${dir}`, 'b-missed']);
    expect(missed.lines.at(-1)).toBe('bench summary: 2 figures, 1 missed (slow_ms); 1 file, 0 failed');
    expect(missed.status).toBe(1);
    const ok = runBin([`--dir=${passingDir}`]);
    expect(ok.lines.at(-1)).toBe('bench summary: 3 figures, 0 missed; 2 files, 0 failed');
    expect(ok.status).toBe(0);
  });

  it('exits 2 when no bench file matches the words', () => {
    const none = runBin([`--dir=${dir}`, 'no-such-bench']);
    expect(none.lines.some((l) => l.includes('matching no-such-bench'))).toBe(true);
    expect(none.status).toBe(2);
  });
});
