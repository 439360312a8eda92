/**
 * The benchmark contract. Each `bench/*.bench.ts` default-exports a {@link Bench}; `npm run bench`
 * (bench/run.ts) runs them in turn. Every figure is printed on its own line as
 * `bench <name>: <value> <unit> (target <op> <value>)`; a figure compared with a baseline is
 * measured in the same run as the baseline.
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

/** Formats a figure line (3 significant decimals at most). */
export function formatFigure(name: string, value: number, unit: string, target?: BenchTarget): string {
  const v = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  return `bench ${name}: ${v} ${unit}${target ? ` (target ${target.op} ${target.value})` : ''}`;
}

/** True when `value` meets `target`. */
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
