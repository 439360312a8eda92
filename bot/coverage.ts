/**
 * Monitoring coverage in the chat: `/coverage` (latest summary), `/coverage <namespace>/<name>`
 * (one asset with the evidence of each dimension) and `/coverage fix <namespace>/<name>` (proposes
 * an alerting rule as an approval card); the rendering of the daily digest; and the
 * {@link CoverageNotifier} that posts it (text, then the heatmap with `sendPhoto` — a picture that
 * cannot be sent leaves the text posted and is reported, never thrown).
 */
import { Composer, InputFile, type Api, type Context } from 'grammy';
import type { Logger } from 'pino';
import { can, type Role } from '../domain/authz.ts';
import {
  formatLocal,
  type AssetCoverageView,
  type CoverageDigestView,
  type CoverageNotifier,
  type CoverageService,
  type CoverageSummaryView,
  type DigestPicture,
  type DigestPostResult,
  type DimensionLine,
  type RedAssetLine,
  type RuleProposalOutcome,
} from '../agent/coverage/index.ts';
import type { CellStatus } from '../domain/coverage/types.ts';
import { ASSET_KINDS, DIMENSION_LABELS } from '../domain/coverage/types.ts';
import { displayName } from './approvals.ts';
import { escapeHtml } from './cards.ts';

/** The coverage command for the menu and /help (`COMMANDS` in bot/commands.ts lists the others). */
export const COVERAGE_COMMANDS = [
  {
    command: 'coverage',
    description: 'Monitoring coverage: summary, one asset, or propose an alerting rule',
    usage: '/coverage [<namespace>/<name> | fix <namespace>/<name>]',
  },
] as const;

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
      return `Several assets match; say which:\n${o.candidates.map((c) => `• /coverage fix ${escapeHtml(c)}`).join('\n')}`;
    case 'not_found':
      return notFoundText(o.query, o.suggestions, '/coverage fix ');
    case 'invalid':
      return `Usage: /coverage fix &lt;namespace&gt;/&lt;name&gt; (${escapeHtml(o.message)})`;
  }
}

function notFoundText(query: string, suggestions: readonly string[], prefix: string): string {
  return [
    `No asset <code>${escapeHtml(query)}</code> in the inventory (Deployments, StatefulSets, DaemonSets, CronJobs, nodes).`,
    ...(suggestions.length ? ['Did you mean:', ...suggestions.map((s) => `• ${prefix}${escapeHtml(s)}`)] : []),
  ].join('\n');
}

/** What the composer needs from the coverage service. */
export type CoverageCommands = Pick<CoverageService, 'summary' | 'lookup' | 'proposeRule'>;

/**
 * Composer for `/coverage`.
 * @param coverage the coverage service.
 * @param roles who may propose rules (`/coverage fix`): approvers and admins.
 * @param options.timezone time zone for times shown (default UTC).
 */
export function coverageComposer<C extends Context>(
  coverage: CoverageCommands,
  roles: { roleOf(userId: number): Role | undefined },
  log: Logger,
  options: { timezone?: string } = {},
): Composer<C> {
  const c = new Composer<C>();
  const clog = log.child({ component: 'bot.coverage' });
  c.command('coverage', async (ctx) => {
    const arg = ctx.match.trim();
    if (arg === '') {
      const summary = await coverage.summary();
      await ctx.reply(summary ? renderCoverageSummary(summary) : '📊 No coverage evaluation yet: it runs hourly (the first one shortly after start).', {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      });
      return;
    }
    const fix = /^fix(?:\s+(.*))?$/i.exec(arg);
    if (fix) {
      if (can(ctx.from ? roles.roleOf(ctx.from.id) : undefined, 'coverage.propose_rule').kind === 'deny') {
        await ctx.reply('⛔ Only approvers and admins may propose alerting rules (/coverage fix); ask one of them.');
        return;
      }
      const outcome = await coverage.proposeRule(fix[1] ?? '', { id: ctx.from!.id, name: displayName(ctx.from!) });
      clog.info({ user: ctx.from!.id, query: fix[1], outcome: outcome.kind }, '/coverage fix');
      await ctx.reply(renderRuleProposal(outcome), { parse_mode: 'HTML' });
      return;
    }
    const found = await coverage.lookup(arg);
    switch (found.kind) {
      case 'found':
        await ctx.reply(renderAssetCoverage(found.asset, options.timezone), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
        return;
      case 'ambiguous':
        await ctx.reply(`Several assets match; say which:\n${found.candidates.map((x) => `• /coverage ${escapeHtml(x)}`).join('\n')}`, { parse_mode: 'HTML' });
        return;
      case 'not_found':
        await ctx.reply(notFoundText(found.query, found.suggestions, '/coverage '), { parse_mode: 'HTML' });
        return;
      case 'invalid':
        await ctx.reply(`Usage: ${escapeHtml(COVERAGE_COMMANDS[0].usage)} (${escapeHtml(found.message)})`, { parse_mode: 'HTML' });
        return;
    }
  });
  return c;
}

/** Options of {@link createCoverageNotifier}. */
export interface CoverageNotifierOptions {
  /**
   * Longest wait for the picture, retries included, ms (default 60 000): the API transformers retry
   * 5xx answers with backoff; past this the picture is given up and the text stands alone.
   */
  photoTimeoutMs?: number;
  log?: Logger;
}

function describe(err: unknown): string {
  const e = err as { error_code?: number; description?: string; message?: string };
  if (e?.description) return `${e.error_code ?? ''} ${e.description}`.trim();
  return err instanceof Error ? err.message : String(err);
}

/**
 * The digest poster over a grammY `Api` (usually `bot.api`, so auto-retry applies): the text first,
 * then the picture as a reply to it. A failing `sendPhoto` (e.g. an emulator without it, a 5xx, a
 * timeout) is logged and reported as `photo.kind === 'failed'`; the text stays.
 */
export function createCoverageNotifier(api: Api, options: CoverageNotifierOptions = {}): CoverageNotifier {
  const log = options.log?.child({ component: 'bot.coverage' });
  return {
    async postDigest(chatId: number, digest: CoverageDigestView, picture?: DigestPicture): Promise<DigestPostResult> {
      const msg = await api.sendMessage(chatId, renderCoverageDigest(digest), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
      if (!picture) return { textMessageId: msg.message_id, photo: { kind: 'skipped' } };
      try {
        const photo = await api.sendPhoto(
          chatId,
          new InputFile(Buffer.from(picture.png), 'coverage.png'),
          { caption: picture.caption.slice(0, 1024), reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } },
          // grammY types its signal with the abort-controller shim; the platform one is what it uses at run time.
          AbortSignal.timeout(options.photoTimeoutMs ?? 60_000) as unknown as Parameters<Api['sendPhoto']>[3],
        );
        return { textMessageId: msg.message_id, photo: { kind: 'sent', messageId: photo.message_id } };
      } catch (err) {
        const error = describe(err);
        log?.warn({ err, chatId }, 'sendPhoto of the coverage heatmap failed; the digest went out as text only');
        return { textMessageId: msg.message_id, photo: { kind: 'failed', error } };
      }
    },
  };
}

