/**
 * The benchmark contract. Each `bench/*.bench.ts` default-exports a {@link Bench}; `npm run bench`
 * (bench/run.ts) runs them in turn. Every figure is printed on its own line as
 * `bench <name>: <value> <unit> (target <op> <value>)`, with ` MISSED` appended when the value does
 * not meet its target; a figure compared with a baseline is measured in the same run as the
 * baseline. The run ends with one summary line ({@link formatSummary}), and exits non-zero when a
 * target was missed or a bench file failed ({@link tallyExitCode}).
 */

/** A target a figure is held to. */
export interface BenchTarget {
  op: '<=' | '>=' | '<' | '>';
  value: number;
}

/** Where a benchmark reports. */
export interface BenchReporter {
  /** Prints `bench <name>: <value> <unit> (target <op> <value>)` (target part omitted when none). */
  figure(name: string, value: number, unit: string, target?: BenchTarget): void;
  /** Prints a free-form line prefixed `# ` (context, not a figure). */
  note(text: string): void;
}

/** One benchmark file's entry point. */
export type Bench = (reporter: BenchReporter) => Promise<void>;

/**
 * Formats a figure line (3 decimals below 10, 1 decimal above, integers as they are), e.g.
 * `bench webhook_ack_p99_ms: 63.2 ms (target <= 50) MISSED`. ` MISSED` is appended exactly when a
 * target is given and {@link meets} says the value does not meet it (NaN never meets a target).
 */
export function formatFigure(name: string, value: number, unit: string, target?: BenchTarget): string {
  const v = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 3 : 1);
  const missed = target !== undefined && !meets(value, target);
  return `bench ${name}: ${v} ${unit}${target ? ` (target ${target.op} ${target.value})` : ''}${missed ? ' MISSED' : ''}`;
}

/**
 * What one or more bench runs produced, summed across files (and across the processes of
 * `npm run bench`, which runs one process per file).
 */
export interface BenchTally {
  /** Bench files run (imported and started). */
  files: number;
  /** Figures reported, with or without a target. */
  figures: number;
  /** Names of the figures that missed their target, in report order. */
  missed: string[];
  /** Bench files that failed: threw, could not be imported, had no default export, or their process died. */
  failed: string[];
}

/** An empty {@link BenchTally}. */
export function emptyTally(): BenchTally {
  return { files: 0, figures: 0, missed: [], failed: [] };
}

/** Adds `more` into `into` (mutates and returns `into`). */
export function addTally(into: BenchTally, more: BenchTally): BenchTally {
  into.files += more.files;
  into.figures += more.figures;
  into.missed.push(...more.missed);
  into.failed.push(...more.failed);
  return into;
}

/**
 * The run's last line, e.g. `bench summary: 14 figures, 1 missed (webhook_ack_p99_ms); 5 files, 0 failed`.
 * Names of missed figures and failed files are listed in parentheses when there are some.
 */
export function formatSummary(t: BenchTally): string {
  const names = (list: readonly string[]) => (list.length ? ` (${list.join(', ')})` : '');
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `bench summary: ${count(t.figures, 'figure')}, ${t.missed.length} missed${names(t.missed)}; ${count(t.files, 'file')}, ${t.failed.length} failed${names(t.failed)}`;
}

/** The exit code a run ends with: 1 when any target was missed or any bench file failed, else 0. */
export function tallyExitCode(t: BenchTally): number {
  return t.missed.length > 0 || t.failed.length > 0 ? 1 : 0;
}

/**
 * A reporter that prints figure lines ({@link formatFigure}) and `# ` notes through `write`, and
 * counts figures and misses into `tally`.
 */
export function tallyingReporter(write: (line: string) => void, tally: BenchTally): BenchReporter {
  return {
    figure: (name, value, unit, target) => {
      tally.figures += 1;
      if (target !== undefined && !meets(value, target)) tally.missed.push(name);
      write(formatFigure(name, value, unit, target));
    },
    note: (text) => {
      for (const line of text.split('\n')) write(`# ${line}`);
    },
  };
}

/** True when `value` meets `target` (false for NaN). */
export function meets(value: number, target: BenchTarget): boolean {
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '<':
      return value < target.value;
    case '>':
      return value > target.value;
  }
}

/** Percentile (0–100) of a numeric sample by nearest rank; NaN for an empty sample. */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}
