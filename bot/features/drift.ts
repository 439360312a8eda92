/**
 * Drift in the chat: `/drift` (open reports), `/drift <id>` (items grouped by object with Git and
 * live values), `/drift scan`, `/drift rollback|adopt|ack|ignore <id>`, the report card's buttons
 * Rollback · Adopt · Acknowledge · Ignore (callback data `wd:<verb>:<report id>`), and the
 * confirmation conversation of Adopt. The words are in bot/render/drift.ts; the card poster
 * (`createDriftNotifier`) in bot/notifier.ts.
 *
 * Who may do what is checked by the service against `from.id` (approvers and admins act; every
 * operator reads). Install after the conversations plugin and before the approval buttons'
 * catch-all (see bot/index.ts).
 */
import { createConversation, type Conversation } from '@grammyjs/conversations';
import { Composer, type Context } from 'grammy';
import type { Logger } from 'pino';
import { parseDriftCallback, type DriftActor, type DriftReply, type DriftService } from '../../agent/drift/index.ts';
import type { BotContext } from '../approvals.ts';
import { displayName } from '../approvals.ts';
import { cardKeyboard } from '../cards.ts';
import { renderDriftDetails, renderDriftList, renderScanResults } from '../render/drift.ts';

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
  const recent = open.length === 0 ? await drift.recentReports(3) : [];
  await ctx.reply(renderDriftList(open, recent), open.length ? { parse_mode: 'HTML' } : {});
}

/**
 * Stands in for {@link driftComposer} when no drift source is configured: `/drift` says how to
 * configure one.
 */
export function driftUnconfiguredComposer<C extends Context>(): Composer<C> {
  const c = new Composer<C>();
  c.command('drift', (ctx) => ctx.reply('Drift detection is not configured: set DRIFT_REPO (and DRIFT_BRANCH, DRIFT_FOLDERS) or DRIFT_SOURCES, then restart.'));
  return c;
}

function actorOf(ctx: Context): DriftActor | undefined {
  return ctx.from ? { id: ctx.from.id, name: displayName(ctx.from) } : undefined;
}

function parseId(text: string): number | undefined {
  return /^#?\d{1,12}$/.test(text) ? Number(text.replace('#', '')) : undefined;
}

