/**
 * Coverage views → Telegram HTML: `/coverage` (summary), the daily digest, one asset with the
 * evidence of each dimension, and the answer to `/coverage fix`. Messages are kept under Telegram's
 * 4096-character limit by dropping whole lines.
 * Source: https://core.telegram.org/bots/api#formatting-options
 */
import {
  formatLocal,
  type AssetCoverageView,
  type CoverageDigestView,
  type CoverageSummaryView,
  type DimensionLine,
  type RedAssetLine,
  type RuleProposalOutcome,
} from '../../agent/coverage/index.ts';
import type { CellStatus } from '../../domain/coverage/types.ts';
import { ASSET_KINDS, DIMENSION_LABELS } from '../../domain/coverage/types.ts';
import { escapeHtml } from '../cards.ts';

/** Telegram's limit on a message's text. */
const MAX_TEXT = 4096;

const STATUS_ICON: Readonly<Record<CellStatus, string>> = { green: '🟢', yellow: '🟡', red: '🔴', unknown: '⚪' };

function pct(r: number | null | undefined): string {
  return r === null || r === undefined ? 'n/a' : `${Math.round(r * 100)}%`;
}

function delta(pp: number | null | undefined): string {
  if (pp === undefined || pp === null) return '';
  if (Math.abs(pp) < 0.05) return ' (±0 pp)';
  return ` (${pp > 0 ? '▲' : '▼'} ${Math.abs(pp).toFixed(1)} pp)`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Keeps a message under Telegram's limit by dropping whole lines from the end. */
function fit(lines: string[]): string {
  let text = lines.join('\n');
  while (text.length > MAX_TEXT - 20 && lines.length > 1) {
    lines.splice(lines.length - 2, 1);
    text = `${lines.join('\n')}`;
  }
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 2)}…` : text;
}

function dimensionLine(d: DimensionLine, withDelta: boolean): string {
  if (d.ratio === null) return `⚪ <b>${escapeHtml(d.label)}</b>: unknown — ${escapeHtml((d.error ?? 'no data').slice(0, 140))}`;
  const icon = d.ratio >= 0.8 ? '🟢' : d.ratio >= 0.5 ? '🟡' : '🔴';
  const parts = [`${d.green} green`, d.yellow ? `${d.yellow} yellow` : '', d.red ? `${d.red} red` : '', d.unknown ? `${d.unknown} unknown` : ''].filter(Boolean);
  return `${icon} <b>${escapeHtml(d.label)}</b>: ${pct(d.ratio)}${withDelta ? delta(d.deltaPp) : ''} · ${parts.join(', ')}`;
}

function redLines(items: readonly RedAssetLine[], heading: string): string[] {
  if (items.length === 0) return ['✅ No asset has a red cell.'];
  const out = [heading];
  items.forEach((r, i) => {
    out.push(
      `${i + 1}. ${r.critical ? '‼️ ' : ''}<code>${escapeHtml(r.ref)}</code> — ${r.red.map((d) => escapeHtml(DIMENSION_LABELS[d])).join(', ')}`,
    );
    if (r.why) out.push(`    <i>${escapeHtml(r.why.slice(0, 140))}</i>`);
  });
  return out;
}

function kindsLine(v: CoverageSummaryView): string {
  const names: Record<string, string> = { Deployment: 'Deployment', StatefulSet: 'StatefulSet', DaemonSet: 'DaemonSet', CronJob: 'CronJob', Node: 'node' };
  return ASSET_KINDS.filter((k) => v.byKind[k])
    .map((k) => plural(v.byKind[k] ?? 0, names[k] ?? k))
    .join(', ');
}

/** The `/coverage` text. */
export function renderCoverageSummary(v: CoverageSummaryView): string {
  const lines = [
    `📊 <b>Monitoring coverage</b> · ${plural(v.assets, 'asset')}${v.assets ? ` (${kindsLine(v)})` : ''}`,
    `Evaluated ${escapeHtml(formatLocal(v.evaluatedAt, v.timezone))} · <b>${pct(v.overall)}</b> green overall`,
    '',
    ...v.dimensions.map((d) => dimensionLine(d, false)),
    '',
    ...redLines(v.topRed, `<b>Red assets that matter most</b> (critical namespaces ${escapeHtml(v.criticalNamespaces.join(', ') || 'none set')} first):`),
  ];
  if (v.discovery && v.discovery.status !== 'succeeded') {
    lines.push('', `⚠️ Last discovery ${escapeHtml(v.discovery.status)}: ${escapeHtml(Object.entries(v.discovery.errors).map(([k, e]) => `${k}: ${e}`).join('; ').slice(0, 300))}`);
  }
  lines.push('', 'One asset with its evidence: /coverage &lt;namespace&gt;/&lt;name&gt;');
  return fit(lines);
}

/** The daily digest text. */
export function renderCoverageDigest(v: CoverageDigestView): string {
  const lines = [
    `📊 <b>Daily coverage digest</b> · ${escapeHtml(formatLocal(v.evaluatedAt, v.timezone))}`,
    `<b>${pct(v.overall)}</b> green overall${v.previous ? `${delta(v.overallDeltaPp)} since yesterday` : ''} · ${plural(v.assets, 'asset')}${v.assets ? ` (${kindsLine(v)})` : ''}`,
    '',
    `<b>Green ratio per dimension</b>${v.previous ? ', change since yesterday' : ''}:`,
    ...v.dimensions.map((d) => dimensionLine(d, Boolean(v.previous))),
    '',
  ];
  if (v.changes) {
    const c = v.changes;
    lines.push(`<b>Since yesterday</b>: ${plural(c.turnedRed, 'asset')} turned red, ${c.turnedGreen} turned green, ${c.added} new, ${c.removed} gone.`);
    for (const r of c.newlyRed) lines.push(`  • newly red: ${r.critical ? '‼️ ' : ''}<code>${escapeHtml(r.ref)}</code> (${r.red.map((d) => escapeHtml(DIMENSION_LABELS[d])).join(', ')})`);
    lines.push('');
  } else lines.push('<i>No evaluation from 24 h ago to compare with yet.</i>', '');
  lines.push(...redLines(v.topRed, '<b>Red assets that matter most</b> (critical namespaces first):'));
  lines.push('', `🖼 Heatmap: top ${v.picture.rows} of ${v.picture.of} assets × 7 dimensions. Details: /coverage &lt;namespace&gt;/&lt;name&gt; · close a gap: /coverage fix &lt;namespace&gt;/&lt;name&gt;`);
  return fit(lines);
}

/** `/coverage <namespace>/<name>`: one asset with each dimension's evidence. */
export function renderAssetCoverage(a: AssetCoverageView, timezone = 'UTC'): string {
  const shownLabels = Object.entries(a.labels)
    .filter(([k]) => !k.startsWith('pod-template-hash') && !k.includes('controller-revision'))
    .slice(0, 6)
    .map(([k, v]) => `${k}=${v}`);
  const lines = [
    `🔎 <b>${escapeHtml(a.ref)}</b>${a.critical ? ' · ‼️ critical namespace' : ''}${a.goneAt ? ` · gone since ${escapeHtml(formatLocal(a.goneAt, timezone))}` : ''}`,
    [
      a.owner ? `owner ${escapeHtml(a.owner)}` : 'owner unknown',
      a.kind === 'Node' ? (a.internalIp ? `InternalIP ${escapeHtml(a.internalIp)}` : 'no InternalIP') : plural(a.members, a.kind === 'CronJob' ? 'job/pod' : 'pod'),
      `first seen ${a.firstSeenAt.toISOString().slice(0, 10)}`,
    ].join(' · '),
  ];
  if (shownLabels.length) lines.push(`labels: <code>${escapeHtml(shownLabels.join(', '))}</code>`);
  lines.push('');
  if (a.cells.length === 0) lines.push('<i>Not evaluated yet: the next hourly evaluation includes it.</i>');
  for (const c of a.cells) {
    lines.push(`${STATUS_ICON[c.status]} <b>${escapeHtml(c.label)}</b> — ${escapeHtml(c.evidence.why.slice(0, 300))}`);
    lines.push(`    <i>source: ${escapeHtml(c.evidence.source)}</i>`);
  }
  if (a.evaluatedAt) lines.push('', `Evaluated ${escapeHtml(formatLocal(a.evaluatedAt, timezone))}.`);
  if (a.fixable) lines.push(`Propose an alerting rule: /coverage fix ${escapeHtml(a.kind === 'Node' ? `node/${a.name}` : `${a.namespace}/${a.kind}/${a.name}`)}`);
  return fit(lines);
}

/** The answer to `/coverage fix`. */
export function renderRuleProposal(o: RuleProposalOutcome): string {
  switch (o.kind) {
    case 'proposed': {
      const lines = [
        o.alreadyOpen
          ? `📝 A rule proposal for <code>${escapeHtml(o.ref)}</code> is already open (incident #${o.incidentId}); decide on its card.`
          : `📝 Proposed PrometheusRule <code>${escapeHtml(`${o.namespace}/${o.ruleName}`)}</code> for <code>${escapeHtml(o.ref)}</code>: ${o.included.map((i) => escapeHtml(i.alert)).join(', ')}.`,
      ];
      if (!o.alreadyOpen) {
        lines.push(`It is applied only once approved on its card (incident #${o.incidentId}); the next evaluation then turns rule creation green.`);
        for (const s of o.skipped) lines.push(`  • left out ${escapeHtml(s.template)}: ${escapeHtml(s.why)}`);
      }
      return lines.join('\n');
    }
    case 'not_needed':
      return `✅ <code>${escapeHtml(o.ref)}</code> is already covered: ${escapeHtml(o.why)}`;
    case 'unsupported':
      return `ℹ️ No rule proposed for <code>${escapeHtml(o.ref)}</code>: ${escapeHtml(o.why)}.`;
    case 'ambiguous':
      return renderAssetAmbiguous(o.candidates, '/coverage fix ');
    case 'not_found':
      return renderAssetNotFound(o.query, o.suggestions, '/coverage fix ');
    case 'invalid':
      return `Usage: /coverage fix &lt;namespace&gt;/&lt;name&gt; (${escapeHtml(o.message)})`;
  }
}

/**
 * The answer when several inventory assets match: each as a ready-to-send command.
 * @param prefix the command to repeat, e.g. `/coverage fix `.
 */
export function renderAssetAmbiguous(candidates: readonly string[], prefix: string): string {
  return `Several assets match; say which:\n${candidates.map((c) => `• ${prefix}${escapeHtml(c)}`).join('\n')}`;
}

/**
 * The answer when no inventory asset matches `query`, with suggestions as ready-to-send commands.
 * @param prefix the command the suggestions repeat, e.g. `/coverage fix `.
 */
export function renderAssetNotFound(query: string, suggestions: readonly string[], prefix: string): string {
  return [
    `No asset <code>${escapeHtml(query)}</code> in the inventory (Deployments, StatefulSets, DaemonSets, CronJobs, nodes).`,
    ...(suggestions.length ? ['Did you mean:', ...suggestions.map((s) => `• ${prefix}${escapeHtml(s)}`)] : []),
  ].join('\n');
}

