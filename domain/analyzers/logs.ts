/**
 * Log-based hints: the error lines of a failing container's log tail, attached to crash findings.
 */
import type { ContainerLog, Evidence } from '../diagnosis.ts';
import { clip } from './support.ts';

/** At most this many log lines are attached to one finding. */
export const MAX_LOG_HINTS = 5;

/** Words that mark a log line as an error line (case-insensitive, whole words). */
const ERROR_LINE =
  /\b(error|errors|err|exception|fatal|panic|traceback|failed|failure|refused|denied|timed? ?out|cannot|can't|could not|unable|no such file|not found|bad address|unknown host|unreachable|segmentation fault|killed|out of memory|oom)\b/i;

/**
 * Whether a log line looks like an error line.
 *
 * @example isErrorLine('Error: connect ECONNREFUSED 10.0.0.5:5432') // true
 */
export function isErrorLine(line: string): boolean {
  return ERROR_LINE.test(line);
}

/**
 * The last error lines of a container's log, as evidence lines
 * (`Log api (previous instance): Error: …`). The previous (crashed) instance's log is preferred
 * because it holds the lines written just before the crash.
 *
 * @param evidence the gathered evidence (its `logs`).
 * @param pod pod name.
 * @param container container name.
 * @param options `max` lines returned (default {@link MAX_LOG_HINTS}); `fallback`: when no line
 *   looks like an error, return this many last lines instead (default 0: none).
 * @returns up to `max` lines, oldest first; empty when there is no log or no error line.
 */
export function errorLogHints(evidence: Evidence, pod: string, container: string, options: { max?: number; fallback?: number } = {}): string[] {
  const log = pickLog(evidence.logs, pod, container);
  if (!log) return [];
  const label = log.previous ? `${container} (previous instance)` : container;
  const errors = log.lines.filter(isErrorLine).slice(-(options.max ?? MAX_LOG_HINTS));
  const picked = errors.length > 0 || !options.fallback ? errors : log.lines.slice(-options.fallback);
  return picked.map((line) => clip(`Log ${label}: ${line}`));
}

function pickLog(logs: ContainerLog[], pod: string, container: string): ContainerLog | undefined {
  const mine = logs.filter((l) => l.pod === pod && l.container === container);
  return mine.find((l) => l.previous) ?? mine[0];
}
