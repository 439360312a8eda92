/**
 * Drift in the chat: `/drift` (open reports), `/drift <id>` (items grouped by object with Git and
 * live values), `/drift scan`, `/drift rollback|adopt|ack|ignore <id>`, the report card's buttons
 * Rollback · Adopt · Acknowledge · Ignore (callback data `wd:<verb>:<report id>`), and the
 * confirmation conversation of Adopt. Also the {@link DriftChatPort} the drift service posts
 * cards through.
 *
 * Who may do what is checked by the service against `from.id` (approvers and admins act; every
 * operator reads). Install after the conversations plugin and before the approval buttons'
 * catch-all (see bot/index.ts).
 */
import { createConversation, type Conversation } from '@grammyjs/conversations';
import { Composer, GrammyError, type Api, type Context } from 'grammy';
import type { Logger } from 'pino';
import {
  parseDriftCallback,
  type CardRef,
  type DriftActor,
  type DriftCardView,
  type DriftChatPort,
  type DriftObjectView,
  type DriftReply,
  type DriftScanResult,
  type DriftService,
} from '../agent/drift/index.ts';
import type { BotContext } from './approvals.ts';
import { displayName } from './approvals.ts';
import { cardKeyboard, escapeHtml, hhmm, joinWithin } from './cards.ts';

/** Conversation id of Adopt's confirmation. */
export const ADOPT_CONVERSATION = 'drift-adopt';

/** How long the confirmation question waits for an answer, ms. */
export const ADOPT_CONFIRM_WAIT_MS = 5 * 60_000;

/** The `/drift` usage line (also for /help tables). */
export const DRIFT_COMMAND = {
  command: 'drift',
  description: 'Drift between Git and the cluster: reports, scan, rollback, adopt',
  usage: '/drift [<id> | scan | rollback <id> | adopt <id> | ack <id> | ignore <id>]',
} as const;

/** The part of the drift service the bot uses. */
export type DriftChat = Pick<
  DriftService,
  'openReports' | 'recentReports' | 'report' | 'scan' | 'decide' | 'rollback' | 'adoptQuestion' | 'adopt' | 'isOperator'
>;

/**
 * Composer for drift commands, buttons and the adopt conversation.
 * @param drift the drift service.
 * @param log logger for failed edits and replies.
 * @example bot.use(driftComposer(drift, log)) // after conversationsComposer, before approvalsComposer
 */
export function driftComposer(drift: DriftChat, log: Logger): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.use(
    createConversation<BotContext, Context>(
      async (conversation: Conversation<BotContext, Context>, ctx: Context, reportId: number, userId: number, userName: string) => {
        const actor = { id: userId, name: userName };
        const question = await conversation.external(() => drift.adoptQuestion(reportId, actor));
        if (question.kind !== 'done') {
          await ctx.reply(question.text);
          return;
        }
        await ctx.reply(question.detail ?? question.text);
        const answer = await conversation.waitFrom(userId, { maxMilliseconds: ADOPT_CONFIRM_WAIT_MS }).andFor('message:text');
        if (!/^\s*(y|yes)\s*[.!]?\s*$/i.test(answer.message.text)) {
          await answer.reply(`Adopt of report #${reportId} cancelled; nothing was written.`);
          return;
        }
        const result = await conversation.external(() => drift.adopt(reportId, actor));
        await answer.reply(result.detail ?? result.text, { link_preview_options: { is_disabled: true } });
      },
      { id: ADOPT_CONVERSATION },
    ),
  );

  c.command('drift', async (ctx) => {
    const [word = '', arg = ''] = ctx.match.trim().split(/\s+/);
    const actor = actorOf(ctx);
    const id = parseId(arg);
    switch (word.toLowerCase()) {
      case '':
        return listReports(ctx, drift);
      case 'scan':
        if (!actor || !drift.isOperator(actor.id)) {
          await ctx.reply('Only operators may start a drift scan. Ask an admin to add your user id to TELEGRAM_OPERATORS.');
          return;
        }
        await ctx.reply('🔎 Scanning…');
        await ctx.reply(renderScanResults(await drift.scan({ actor })), { parse_mode: 'HTML' });
        return;
      case 'rollback':
      case 'adopt':
      case 'ack':
      case 'acknowledge':
      case 'ignore': {
        if (!actor || id === undefined) {
          await ctx.reply(`Usage: /drift ${word.toLowerCase()} <report id>, e.g. /drift ${word.toLowerCase()} 12 (ids are listed by /drift)`);
          return;
        }
        if (word.toLowerCase() === 'adopt') return enterAdopt(ctx, id, actor, log);
        const reply =
          word.toLowerCase() === 'rollback' ? await drift.rollback(id, actor) : await drift.decide(id, word.toLowerCase() === 'ignore' ? 'ignore' : 'acknowledge', actor);
        await ctx.reply(reply.detail ? `${reply.text}\n${reply.detail}` : reply.text);
        return;
      }
      default: {
        const reportId = parseId(word);
        if (reportId === undefined) {
          await ctx.reply(`Usage: ${DRIFT_COMMAND.usage}`);
          return;
        }
        const view = await drift.report(reportId);
        if (!view) {
          await ctx.reply(`No drift report #${reportId}. See /drift for open ones.`);
          return;
        }
        const [first, ...rest] = renderDriftDetails(view);
        await ctx.reply(first!, { parse_mode: 'HTML', reply_markup: cardKeyboard(view), link_preview_options: { is_disabled: true } });
        for (const part of rest) await ctx.reply(part, { parse_mode: 'HTML' });
      }
    }
  });

  c.callbackQuery(/^wd:/, async (ctx) => {
    const parsed = parseDriftCallback(ctx.callbackQuery.data);
    if (!parsed) {
      await ctx.answerCallbackQuery({ text: 'This button is not recognised; the card may be from an older version.' });
      return;
    }
    const actor = { id: ctx.callbackQuery.from.id, name: displayName(ctx.callbackQuery.from) };
    const { verb, reportId } = parsed;
    let reply: DriftReply;
    switch (verb) {
      case 'adopt':
        await ctx.answerCallbackQuery({ text: 'Adopt: confirm in the chat.' });
        return enterAdopt(ctx, reportId, actor, log);
      case 'details': {
        await ctx.answerCallbackQuery();
        const view = await drift.report(reportId);
        if (view) for (const part of renderDriftDetails(view)) await ctx.reply(part, { parse_mode: 'HTML' });
        return;
      }
      case 'rollback':
        reply = await drift.rollback(reportId, actor);
        break;
      case 'acknowledge':
      case 'ignore':
        reply = await drift.decide(reportId, verb, actor);
        break;
    }
    await ctx.answerCallbackQuery({ text: reply.text.slice(0, 200), show_alert: reply.kind === 'forbidden' });
    if (reply.detail) await ctx.reply(reply.detail).catch((err) => log.warn({ err }, 'could not send the drift reply'));
  });

  return c;
}

/** Asks for Adopt's confirmation (a conversation); refusals are answered at once. */
async function enterAdopt(ctx: BotContext, reportId: number, actor: DriftActor, log: Logger): Promise<void> {
  await ctx.conversation.enter(ADOPT_CONVERSATION, reportId, actor.id, actor.name).catch(async (err) => {
    log.warn({ err }, 'could not start the adopt confirmation');
    await ctx.reply('Could not ask for confirmation; try /drift adopt <id> again.').catch(() => undefined);
  });
}

async function listReports(ctx: Context, drift: DriftChat): Promise<void> {
  const open = await drift.openReports();
  if (open.length === 0) {
    const recent = await drift.recentReports(3);
    const tail = recent.length ? `\nLatest: ${recent.map((r) => `#${r.reportId} ${statusText(r)}`).join(' · ')}` : '';
    await ctx.reply(`✅ No open drift reports.${tail}\n/drift scan compares Git with the cluster now.`);
    return;
  }
  const lines = [`<b>Open drift reports (${open.length})</b>`];
  for (const r of open) {
    lines.push(
      `• #${r.reportId} <code>${escapeHtml(r.source)}</code> · ${r.itemCount} item(s) in ${r.objects.length} object(s): ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.info} info` +
        ` · ${statusText(r)}${r.interpretation ? ` · ${escapeHtml(r.interpretation.intent.replace('_', ' '))}` : ''} · since ${hhmm(r.createdAt)}`,
    );
  }
  lines.push('', 'Details: /drift &lt;id&gt;');
  await ctx.reply(joinWithin(lines, 4000), { parse_mode: 'HTML' });
}

function actorOf(ctx: Context): DriftActor | undefined {
  return ctx.from ? { id: ctx.from.id, name: displayName(ctx.from) } : undefined;
}

function parseId(text: string): number | undefined {
  return /^#?\d{1,12}$/.test(text) ? Number(text.replace('#', '')) : undefined;
}

// --- rendering ---

const LEVEL_ICON = { high: '🔴', medium: '🟡', info: '🔵' } as const;
const INTENT_TEXT: Record<string, string> = {
  emergency_hotfix: 'emergency hotfix',
  human_error: 'human error',
  automated_change: 'automated change',
  unknown: 'unknown',
};

function statusText(v: Pick<DriftCardView, 'status' | 'supersededBy' | 'resolvedAt' | 'rollback'>): string {
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

/** The {@link DriftChatPort} over a grammY `Api` (usually `bot.api`, so retries and throttling apply). */
export function createDriftNotifier(api: Api): DriftChatPort {
  return {
    async postDriftCard(chatId: number, view: DriftCardView): Promise<CardRef> {
      const msg = await api.sendMessage(chatId, renderDriftCard(view), {
        parse_mode: 'HTML',
        reply_markup: cardKeyboard(view),
        link_preview_options: { is_disabled: true },
      });
      return { chatId, messageId: msg.message_id };
    },
    async editDriftCard(ref: CardRef, view: DriftCardView): Promise<void> {
      try {
        await api.editMessageText(ref.chatId, ref.messageId, renderDriftCard(view), {
          parse_mode: 'HTML',
          reply_markup: cardKeyboard(view),
          link_preview_options: { is_disabled: true },
        });
      } catch (err) {
        if (err instanceof GrammyError && /message is not modified/i.test(err.description ?? '')) return;
        throw err;
      }
    },
  };
}
