/**
 * The commands feature: /start, /help, /incidents, /incident <id>, /approvals, /playbooks and
 * /diagnose <namespace>/<kind>/<name> (operators only, changes nothing). {@link COMMANDS} is also
 * what `setMyCommands` publishes as Telegram's command menu (bot/delivery.ts).
 */
import { Composer, type Context } from 'grammy';
import type { Agent } from '../../agent/index.ts';
import { can } from '../../domain/authz.ts';
import { parseTargetRef } from '../../domain/targets.ts';
import { displayName } from '../approvals.ts';
import { DRIFT_COMMAND } from './drift.ts';
import { COVERAGE_COMMANDS } from './coverage.ts';
import { incidentKeyboard, escapeHtml, hhmm, renderDiagnosis, renderIncidentCard, renderIncidentList } from '../cards.ts';

/** Every command with its menu description and usage; /help prints this table. */
export const COMMANDS = [
  { command: 'start', description: 'What Watchkeeper is and who may approve', usage: '/start' },
  { command: 'help', description: 'List every command', usage: '/help' },
  { command: 'incidents', description: 'Open incidents', usage: '/incidents' },
  { command: 'incident', description: 'One incident with its card', usage: '/incident <id>' },
  { command: 'diagnose', description: 'Diagnose a workload now (nothing is changed)', usage: '/diagnose <namespace>/<kind>/<name>' },
  { command: 'approvals', description: 'Proposals waiting for a decision', usage: '/approvals' },
  { command: 'playbooks', description: 'What Watchkeeper learned, with trust scores', usage: '/playbooks' },
  DRIFT_COMMAND,
  ...COVERAGE_COMMANDS,
] as const;

/** The /help text. */
export function helpText(): string {
  return ['<b>Watchkeeper commands</b>', ...COMMANDS.map((c) => `${escapeHtml(c.usage)} — ${escapeHtml(c.description)}`)].join('\n');
}

/**
 * Composer for the read commands.
 * @param agent the agent's public entry.
 */
export function commandsComposer<C extends Context>(agent: Agent): Composer<C> {
  const c = new Composer<C>();

  c.command('start', async (ctx) => {
    const role = ctx.from ? agent.roleOf(ctx.from.id) : undefined;
    await ctx.reply(
      [
        '👋 <b>Watchkeeper</b> keeps watch over your Kubernetes clusters.',
        'Alertmanager alerts become incident cards here, with a diagnosis and a proposed action that approvers can Approve or Reject.',
        role ? `Your role: <b>${role}</b>.` : 'You are not on the operator list: you can read, not decide.',
        '',
        helpText(),
      ].join('\n'),
      { parse_mode: 'HTML' },
    );
  });

  c.command('help', (ctx) => ctx.reply(helpText(), { parse_mode: 'HTML' }));

  c.command('incidents', async (ctx) => {
    await ctx.reply(renderIncidentList(await agent.openIncidents()), { parse_mode: 'HTML' });
  });

  c.command('incident', async (ctx) => {
    const arg = ctx.match.trim();
    if (!/^#?\d+$/.test(arg)) {
      await ctx.reply('Usage: /incident <id>, e.g. /incident 12 (ids are listed by /incidents)');
      return;
    }
    const card = await agent.incidentCard(Number(arg.replace('#', '')));
    if (!card) {
      await ctx.reply(`No incident #${arg.replace('#', '')}. See /incidents for open ones.`);
      return;
    }
    await ctx.reply(renderIncidentCard(card), { parse_mode: 'HTML', reply_markup: incidentKeyboard(card) });
  });

  c.command('approvals', async (ctx) => {
    const items = await agent.pendingApprovals();
    if (items.length === 0) {
      await ctx.reply('✅ Nothing waits for a decision.');
      return;
    }
    const lines = [`<b>Waiting for a decision (${items.length})</b>`];
    for (const i of items) {
      const when = i.state === 'snoozed' && i.snoozedUntil ? `snoozed until ${hhmm(i.snoozedUntil)}` : i.expiresAt ? `expires ${hhmm(i.expiresAt)}` : '';
      lines.push(`• #${i.incidentId}: ${escapeHtml(i.description)} · ${escapeHtml(i.tier)}${when ? ` · ${when}` : ''} — /incident ${i.incidentId}`);
    }
    await ctx.reply(lines.join('\n'), { parse_mode: 'HTML' });
  });

  c.command('playbooks', async (ctx) => {
    const items = await agent.playbooks();
    if (items.length === 0) {
      await ctx.reply('No playbooks yet: they are learned from verified outcomes of approved actions.');
      return;
    }
    const lines = [`<b>Playbooks (${items.length})</b>, trust = EWMA of verified outcomes`];
    for (const p of items) {
      lines.push(
        `• <code>${escapeHtml(p.symptomsHash)}</code> ${escapeHtml(p.category)} → <b>${escapeHtml(p.action)}</b> · trust ${Math.round(p.trustScore * 100)}% ` +
          `(${p.successes} ✓ / ${p.failures} ✗)${p.published ? ' · 📗 runbook' : ''} · e.g. <code>${escapeHtml(p.target)}</code>`,
      );
    }
    await ctx.reply(lines.join('\n'), { parse_mode: 'HTML' });
  });

  c.command('diagnose', async (ctx) => {
    const actor = ctx.from ? { id: ctx.from.id, name: displayName(ctx.from) } : undefined;
    const parsed = parseTargetRef(ctx.match);
    if (actor && parsed.kind === 'invalid' && can(agent.roleOf(actor.id), 'workload.diagnose').kind === 'allow') {
      await ctx.reply(`Usage: /diagnose <namespace>/<kind>/<name>, e.g. /diagnose shop/deploy/checkout\n(${parsed.message})`);
      return;
    }
    // The agent checks the permission (and audits a refusal with the user's id).
    const outcome = actor && parsed.kind !== 'invalid' ? await agent.diagnoseTarget(parsed.target, actor) : ({ kind: 'forbidden' } as const);
    if (outcome.kind === 'forbidden') {
      await ctx.reply('Only operators may run /diagnose (it reads cluster evidence and logs). Ask an admin to add your user id to TELEGRAM_OPERATORS.');
      return;
    }
    await ctx.reply(renderDiagnosis(outcome.diagnosis), { parse_mode: 'HTML' });
  });

  return c;
}
