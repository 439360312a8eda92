/**
 * Drift report views → Telegram HTML: the report card (≤ 4096 characters), `/drift <id>` details
 * split into messages, the `/drift` list and the `/drift scan` answer.
 * Source: https://core.telegram.org/bots/api#formatting-options
 */
import type { DriftCardView, DriftObjectView, DriftScanResult } from '../../agent/drift/index.ts';
import { escapeHtml, hhmm, joinWithin } from '../cards.ts';

const LEVEL_ICON = { high: '🔴', medium: '🟡', info: '🔵' } as const;
const INTENT_TEXT: Record<string, string> = {
  emergency_hotfix: 'emergency hotfix',
  human_error: 'human error',
  automated_change: 'automated change',
  unknown: 'unknown',
};

/** The status of a report in a few words with an icon (`⏳ pending`, `⏪ rolled back`, …). */
export function statusText(v: Pick<DriftCardView, 'status' | 'supersededBy' | 'resolvedAt' | 'rollback'>): string {
  if (v.supersededBy) return `➖ superseded by #${v.supersededBy}`;
  if (v.resolvedAt) return `✅ resolved (in sync since ${hhmm(v.resolvedAt)})`;
  switch (v.status) {
    case 'pending':
      return v.rollback?.outcome === 'proposed' ? '⏪ rollback awaiting approval' : '⏳ pending';
    case 'acknowledged':
      return v.rollback?.outcome === 'proposed' ? '⏪ rollback awaiting approval' : '👀 acknowledged';
    case 'rolled_back':
      return '⏪ rolled back';
    case 'adopted':
      return '📥 adopted';
    case 'ignored':
      return '🙈 ignored';
  }
}

/** The report card as HTML (≤ 4096 characters): summary, interpretation, the first objects, outcome. */
export function renderDriftCard(v: DriftCardView): string {
  const lines = renderHeader(v);
  const shown = v.objects.slice(0, 5);
  let itemsShown = 0;
  for (const o of shown) {
    lines.push('', ...renderObject(o, 4));
    itemsShown += Math.min(o.items.length, 4);
  }
  if (itemsShown < v.itemCount) lines.push(`… ${v.itemCount - itemsShown} more item(s): /drift ${v.reportId}`);
  lines.push(...renderProblems(v, 3), ...renderOutcome(v, true));
  return joinWithin(lines, 4000);
}

/** `/drift <id>`: every object with every item (Git vs live and level), split into messages ≤ 4000 characters. */
export function renderDriftDetails(v: DriftCardView): string[] {
  const blocks: string[][] = [renderHeader(v)];
  for (const o of v.objects) blocks.push(['', ...renderObject(o, Infinity)]);
  blocks.push(renderProblems(v, 20), renderOutcome(v, false));
  if (v.commit?.skipped.length) {
    blocks.push(['', '<b>Not adopted</b>', ...v.commit.skipped.map((s) => `• <code>${escapeHtml(s.ref)}</code> ${escapeHtml(s.path)}: ${escapeHtml(truncate(s.reason, 300))}`)]);
  }
  const messages: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const block of blocks) {
    for (const line of block) {
      if (length + line.length + 1 > 3900 && current.length) {
        messages.push(current.join('\n'));
        current = [];
        length = 0;
      }
      current.push(line.length > 3900 ? `${line.slice(0, 3890)}…` : line);
      length += line.length + 1;
    }
  }
  if (current.length) messages.push(current.join('\n'));
  return messages;
}

/** Title, counts, status and interpretation. */
function renderHeader(v: DriftCardView): string[] {
  const lines: string[] = [];
  lines.push(`🧭 <b>Drift report #${v.reportId}</b> · <code>${escapeHtml(v.source)}</code>${gitText(v)}`);
  lines.push(
    `${v.itemCount} item(s) in ${v.objects.length} object(s): ${LEVEL_ICON.high} ${v.counts.high} high · ${LEVEL_ICON.medium} ${v.counts.medium} medium · ${LEVEL_ICON.info} ${v.counts.info} info`,
  );
  lines.push(`Status: <b>${statusText(v)}</b>${v.statusBy && !v.supersededBy && !v.resolvedAt ? ` by ${escapeHtml(v.statusBy)}${v.statusAt ? ` at ${hhmm(v.statusAt)}` : ''}` : ''}`);
  if (v.interpretation) {
    const i = v.interpretation;
    lines.push('');
    lines.push(
      `🧠 <b>${escapeHtml(INTENT_TEXT[i.intent] ?? i.intent)}</b> · risk ${escapeHtml(i.risk)} · ${Math.round(i.confidence * 100)}% ` +
        `(${i.source === 'model' ? escapeHtml(i.model ?? 'local model') : 'rules only, no model answer'})`,
    );
    lines.push(escapeHtml(truncate(i.explanation, 500)));
  }
  return lines;
}

/** What was done: rollback proposals and their states, the adopt commit. */
function renderOutcome(v: DriftCardView, pointToDetails: boolean): string[] {
  const lines: string[] = [];
  if (v.rollback) {
    const r = v.rollback;
    lines.push('');
    const cards = r.proposals.map((p) => `#${p.incidentId}${p.namespace ? ` (${escapeHtml(p.namespace)})` : ''}: ${escapeHtml(p.state)}`).join(', ');
    const head =
      r.outcome === 'succeeded' ? '✅ Rolled back to Git' : r.outcome === 'failed' ? '❌ Rollback did not complete' : '⏪ Rollback proposed';
    lines.push(`${head} (asked by ${escapeHtml(r.proposedBy)})${cards ? ` — approval card ${cards}` : ''}`);
    for (const n of r.notes.slice(0, 3)) lines.push(`  · ${escapeHtml(truncate(n, 200))}`);
  }
  if (v.commit) {
    const c = v.commit;
    const sha = c.url ? `<a href="${escapeHtml(c.url)}">${escapeHtml(c.sha.slice(0, 8))}</a>` : `<code>${escapeHtml(c.sha.slice(0, 8))}</code>`;
    lines.push('');
    lines.push(`📥 Commit ${sha} on <code>${escapeHtml(c.branch)}</code>: ${c.adopted} field(s) in ${escapeHtml(c.files.join(', '))}`);
    if (c.branch !== c.baseBranch) lines.push(`Merge <code>${escapeHtml(c.branch)}</code> into <code>${escapeHtml(c.baseBranch)}</code> to end the drift.`);
    if (c.skipped.length && pointToDetails) lines.push(`${c.skipped.length} item(s) not adopted: /drift ${v.reportId}`);
  }
  return lines;
}

function renderObject(o: DriftObjectView, maxItems: number): string[] {
  const lines = [`<b>${escapeHtml(o.ref)}</b>${o.file ? ` <i>(${escapeHtml(o.file)})</i>` : ''}`];
  for (const item of o.items.slice(0, maxItems)) {
    const icon = LEVEL_ICON[item.level];
    switch (item.change) {
      case 'missing':
        lines.push(`${icon} declared in Git, <b>missing from the cluster</b>`);
        break;
      case 'not_in_git':
        lines.push(`${icon} in the cluster (managed label), <b>not in Git</b>`);
        break;
      case 'modified':
        lines.push(`${icon} <code>${escapeHtml(item.path)}</code>`, `   git: <code>${escapeHtml(item.git)}</code> → live: <code>${escapeHtml(item.live)}</code>`);
        break;
    }
  }
  if (o.items.length > maxItems) lines.push(`   … ${o.items.length - maxItems} more`);
  return lines;
}

function renderProblems(v: DriftCardView, max: number): string[] {
  const { errors, warnings } = v.problems;
  if (errors.length === 0 && warnings.length === 0) return [];
  const lines = [''];
  if (errors.length) {
    lines.push(`⚠️ <b>${errors.length} manifest problem(s)</b> (the rest was scanned):`);
    for (const e of errors.slice(0, max)) {
      const at = e.line === undefined ? '' : `:${e.line}${e.column === undefined ? '' : `:${e.column}`}`;
      lines.push(`• <code>${escapeHtml(e.file)}${at}</code>: ${escapeHtml(truncate(e.message, 200))}`);
    }
    if (errors.length > max) lines.push(`… ${errors.length - max} more`);
  }
  for (const w of warnings.slice(0, Math.max(1, Math.floor(max / 2)))) lines.push(`ℹ️ ${escapeHtml(truncate(w, 200))}`);
  return lines;
}

function gitText(v: DriftCardView): string {
  if (!v.git) return '';
  const sha = v.git.sha ? ` ${v.git.sha.slice(0, 8)}` : '';
  return v.git.branch ? ` (${escapeHtml(v.git.branch)}${sha})` : sha;
}

/** `/drift scan` answer. */
export function renderScanResults(results: DriftScanResult[]): string {
  if (results.length === 0) return 'No drift source is configured (DRIFT_REPO).';
  return results
    .map((r) => {
      const source = `<code>${escapeHtml(r.source)}</code>`;
      switch (r.kind) {
        case 'new_report':
          return `🧭 ${source}: new drift report #${r.reportId} (${r.items} item(s))${r.superseded.length ? `, superseding #${r.superseded.join(', #')}` : ''}`;
        case 'unchanged':
          return r.reportId === null ? `✅ ${source}: in sync, as before` : `↔️ ${source}: same drift as report #${r.reportId}; nothing new posted`;
        case 'in_sync':
          return `✅ ${source}: in sync${r.resolved.length ? ` (report #${r.resolved.join(', #')} resolved)` : ''}`;
        case 'failed':
          return `❌ ${source}: scan failed: ${escapeHtml(truncate(r.error, 300))}`;
      }
    })
    .join('\n');
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * `/drift` without arguments: the open reports, one line each; with none open, the latest few
 * and a hint to scan.
 * @param open reports not yet resolved, superseded or decided for good.
 * @param recent the latest reports, shown only when nothing is open.
 */
export function renderDriftList(open: readonly DriftCardView[], recent: readonly DriftCardView[]): string {
  if (open.length === 0) {
    const tail = recent.length ? `\nLatest: ${recent.map((r) => `#${r.reportId} ${statusText(r)}`).join(' · ')}` : '';
    return `✅ No open drift reports.${tail}\n/drift scan compares Git with the cluster now.`;
  }
  const lines = [`<b>Open drift reports (${open.length})</b>`];
  for (const r of open) {
    lines.push(
      `• #${r.reportId} <code>${escapeHtml(r.source)}</code> · ${r.itemCount} item(s) in ${r.objects.length} object(s): ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.info} info` +
        ` · ${statusText(r)}${r.interpretation ? ` · ${escapeHtml(r.interpretation.intent.replace('_', ' '))}` : ''} · since ${hhmm(r.createdAt)}`,
    );
  }
  lines.push('', 'Details: /drift &lt;id&gt;');
  return joinWithin(lines, 4000);
}
