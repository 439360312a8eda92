/**
 * Monitoring coverage in the chat: `/coverage` (latest summary), `/coverage <namespace>/<name>`
 * (one asset with the evidence of each dimension) and `/coverage fix <namespace>/<name>` (proposes
 * an alerting rule as an approval card). The words are in bot/render/coverage.ts; the digest poster
 * (`createCoverageNotifier`) in bot/notifier.ts.
 */
import { Composer, type Context } from 'grammy';
import type { Logger } from 'pino';
import { can, type Role } from '../../domain/authz.ts';
import type { CoverageService } from '../../agent/coverage/index.ts';
import { displayName } from '../approvals.ts';
import { escapeHtml } from '../cards.ts';
import { renderAssetAmbiguous, renderAssetCoverage, renderAssetNotFound, renderCoverageSummary, renderRuleProposal } from '../render/coverage.ts';

/** The coverage command for the menu and /help (`COMMANDS` in bot/features/commands.ts lists the others). */
export const COVERAGE_COMMANDS = [
  {
    command: 'coverage',
    description: 'Monitoring coverage: summary, one asset, or propose an alerting rule',
    usage: '/coverage [<namespace>/<name> | fix <namespace>/<name>]',
  },
] as const;

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
        await ctx.reply(renderAssetAmbiguous(found.candidates, '/coverage '), { parse_mode: 'HTML' });
        return;
      case 'not_found':
        await ctx.reply(renderAssetNotFound(found.query, found.suggestions, '/coverage '), { parse_mode: 'HTML' });
        return;
      case 'invalid':
        await ctx.reply(`Usage: ${escapeHtml(COVERAGE_COMMANDS[0].usage)} (${escapeHtml(found.message)})`, { parse_mode: 'HTML' });
        return;
    }
  });
  return c;
}

