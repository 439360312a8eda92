/**
 * vitest reporter that ends every run with one plain line a CI can read and trust:
 * `N passed, N failed` — plus `, N skipped` and `, N errors` (errors outside any test: a file that
 * cannot load, a failing hook, an unhandled error or rejection) where there are some. The counts
 * agree with vitest's exit code: the run exits non-zero exactly when `failed` or `errors` is not 0.
 */
import type { Reporter, TestModule } from 'vitest/node';

/** Counts of one finished run (tests, not files). */
export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
  /** Errors outside tests: per-file errors (import, hooks) plus unhandled errors. */
  errors: number;
}

/**
 * Formats the summary line, e.g. `1874 passed, 0 failed, 5 skipped`.
 * @param c counts of the run
 */
export function summaryLine(c: RunCounts): string {
  let line = `${c.passed} passed, ${c.failed} failed`;
  if (c.skipped) line += `, ${c.skipped} skipped`;
  if (c.errors) line += `, ${c.errors} errors`;
  return line;
}

/** Counts the tests of finished modules by their result; errors are file-level and unhandled ones. */
export function countRun(modules: ReadonlyArray<TestModule>, unhandled: number): RunCounts {
  const c: RunCounts = { passed: 0, failed: 0, skipped: 0, errors: unhandled };
  for (const m of modules) {
    c.errors += m.errors().length;
    for (const t of m.children.allTests()) {
      const state = t.result().state;
      if (state === 'passed') c.passed += 1;
      else if (state === 'failed') c.failed += 1;
      else c.skipped += 1;
    }
  }
  return c;
}

/** The reporter: registered after `default` in vitest.config.ts so its line comes last. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<unknown>): void {
    process.stdout.write(`\n${summaryLine(countRun(modules, unhandled.length))}\n`);
  }
}
