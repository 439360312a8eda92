/**
 * Log tails for evidence: repeated lines collapsed, error lines kept, bounded. Pure.
 */

/** Lines that look like errors (kept first when a tail must be cut). */
export const ERROR_LINE = /\b(error|err|fatal|panic|exception|traceback|failed|failure|denied|refused|killed|oom|segfault|cannot|unable)\b/i;

/**
 * Condenses a log tail: consecutive identical lines (ignoring leading timestamps and numbers)
 * become one line suffixed `(×N)`; when more than `maxLines` remain, error lines are kept
 * preferentially and the rest are the newest lines, in original order.
 * @param text raw log text.
 * @param maxLines upper bound of returned lines.
 */
export function condenseLog(text: string, maxLines: number): string[] {
  if (!(maxLines > 0)) return [];
  const raw = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const collapsed: Array<{ line: string; count: number; index: number }> = [];
  let lastKey: string | undefined;
  for (const line of raw) {
    const key = shapeOf(line);
    const last = collapsed[collapsed.length - 1];
    if (last && lastKey === key) last.count++;
    else collapsed.push({ line, count: 1, index: collapsed.length });
    lastKey = key;
  }
  const render = (e: { line: string; count: number }) => (e.count > 1 ? `${e.line} (×${e.count})` : e.line);
  if (collapsed.length <= maxLines) return collapsed.map(render);
  const errors = collapsed.filter((e) => ERROR_LINE.test(e.line));
  const keepErrors = errors.slice(-Math.ceil(maxLines / 2));
  const chosen = new Set(keepErrors.map((e) => e.index));
  for (let i = collapsed.length - 1; i >= 0 && chosen.size < maxLines; i--) chosen.add(collapsed[i].index);
  return collapsed.filter((e) => chosen.has(e.index)).map(render);
}

function shapeOf(line: string): string {
  return line
    .replace(/^\S*\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\S*\s*/, '')
    .replace(/\d+/g, '#')
    .trim();
}
