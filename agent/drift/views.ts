/**
 * Card views of drift reports, built from stored rows each time (so every edit shows the current
 * truth): items grouped by object with Git and live values, the interpretation, what was done
 * (rollback proposals, adopt commit) and the buttons that still make sense.
 */
import { formatRef, refKey } from '../../domain/drift/index.ts';
import type { CardButton } from '../ports.ts';
import { OPEN_STATUSES } from './repository.ts';
import { driftCallbackData, type DriftCardView, type DriftObjectView, type DriftReportRow, type StoredDriftItem } from './types.ts';

const VALUE_CHARS = 160;

/** True when people may still act on the report. */
export function isOpen(report: DriftReportRow): boolean {
  return OPEN_STATUSES.includes(report.status) && report.supersededBy === null && report.resolvedAt === null;
}

/** The card of a report. */
export function buildDriftCard(report: DriftReportRow): DriftCardView {
  return {
    reportId: report.id,
    source: report.source,
    status: report.status,
    statusBy: report.statusBy ?? undefined,
    statusAt: report.statusAt ?? undefined,
    createdAt: report.createdAt,
    counts: report.counts,
    itemCount: report.items.length,
    objects: groupItems(report.items),
    interpretation: report.interpretation ?? undefined,
    git: report.gitSha || report.gitBranch ? { sha: report.gitSha ?? undefined, branch: report.gitBranch ?? undefined } : undefined,
    problems: report.problems,
    rollback: report.rollback ?? undefined,
    commit: report.commit ?? undefined,
    supersededBy: report.supersededBy ?? undefined,
    resolvedAt: report.resolvedAt ?? undefined,
    buttons: buttonsFor(report),
  };
}

function buttonsFor(report: DriftReportRow): CardButton[] {
  if (!isOpen(report) || report.rollback?.outcome === 'proposed') return [];
  const buttons: CardButton[] = [];
  if (report.gitObjects.length > 0) buttons.push({ label: '⏪ Rollback', data: driftCallbackData('rollback', report.id) });
  if (report.items.some((i) => i.change === 'modified')) buttons.push({ label: '📥 Adopt', data: driftCallbackData('adopt', report.id) });
  if (report.status === 'pending') buttons.push({ label: '👀 Acknowledge', data: driftCallbackData('acknowledge', report.id) });
  buttons.push({ label: '🙈 Ignore', data: driftCallbackData('ignore', report.id) });
  return buttons;
}

/** Items grouped by object, in item order (namespace, kind, name, path). */
export function groupItems(items: readonly StoredDriftItem[]): DriftObjectView[] {
  const groups = new Map<string, DriftObjectView>();
  for (const item of items) {
    const key = refKey(item);
    let group = groups.get(key);
    if (!group) {
      group = { ref: formatRef(item), file: item.file, items: [] };
      groups.set(key, group);
    }
    group.items.push({
      level: item.level,
      change: item.change,
      path: item.path,
      git: item.change === 'modified' ? formatValue(item.gitValue) : item.change === 'missing' ? 'declared' : '(not in Git)',
      live: item.change === 'modified' ? formatValue(item.liveValue) : item.change === 'missing' ? '(missing)' : 'present',
    });
  }
  return [...groups.values()];
}

/** A value for a card: plain text for simple strings, JSON otherwise, `(absent)` for null; cut at 160 characters. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(absent)';
  const text = typeof value === 'string' && value !== '' && !/[\n"]/.test(value) && value.trim() === value ? value : JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}
