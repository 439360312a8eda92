/**
 * Renders card views (data from the agent) into Telegram HTML text and inline keyboards.
 * Telegram limits: message text ≤ 4096 characters, callback data ≤ 64 bytes.
 * Source: https://core.telegram.org/bots/api#formatting-options
 */
import { InlineKeyboard } from 'grammy';
import type { CardButton, IncidentCardView, KnowledgeCardView } from '../agent/ports.ts';
import { incidentButtons, knowledgeButtons } from './callbacks.ts';
import type { DiagnosisRecord, IncidentSummary } from '../agent/index.ts';
import { formatTarget } from '../domain/diagnosis.ts';

const SEVERITY_ICON: Record<string, string> = { critical: '🔴', error: '🟠', warning: '🟡', info: '🔵', none: '⚪' };

const STATE_TEXT: Record<string, string> = {
  proposed: '📝 proposed',
  pending: '⏳ awaiting approval',
  approved: '✅ approved',
  executing: '⚙️ executing',
  verifying: '🔄 verifying rollout',
  succeeded: '✅ succeeded',
  failed: '❌ failed',
  rejected: '🚫 rejected',
  expired: '⌛ expired (nobody decided in time)',
  blocked: '⛔ blocked (hard rule)',
  snoozed: '💤 snoozed',
  cancelled: '➖ cancelled (alert resolved)',
};

/** State line of a remediation the executor did not apply because its blast radius rose. */
const SKIPPED_TEXT = '⏸ not applied (blast radius rose; approval asked again)';

/** Escapes text for Telegram's HTML parse mode. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `12:03 UTC` (HH:MM in UTC). */
export function hhmm(d: Date): string {
  return `${d.toISOString().slice(11, 16)} UTC`;
}

/** The incident card as HTML text (≤ 4096 characters). */
export function renderIncidentCard(v: IncidentCardView): string {
  const lines: string[] = [];
  const icon = v.status === 'resolved' ? '✅' : (SEVERITY_ICON[v.severity] ?? '🟡');
  lines.push(`${icon} <b>${escapeHtml(v.severity.toUpperCase())} · ${escapeHtml(v.alertname)}</b> (incident #${v.incidentId})`);
  if (v.target) lines.push(`🎯 <code>${escapeHtml(v.target)}</code>`);
  if (v.summary && v.summary !== v.alertname) lines.push(escapeHtml(truncate(v.summary, 500)));
  lines.push(
    v.status === 'resolved'
      ? `Status: <b>resolved</b>${v.resolvedAt ? ` at ${hhmm(v.resolvedAt)}` : ''}`
      : `Status: open since ${hhmm(v.openedAt)}`,
  );
  if (v.diagnosis) {
    const d = v.diagnosis;
    lines.push('');
    const source = d.source === 'model' ? (d.model ?? 'model') : 'rules only';
    lines.push(`🩺 <b>Diagnosis</b> (${escapeHtml(source)}, ${Math.round(d.confidence * 100)}%): <code>${escapeHtml(d.category)}</code>`);
    lines.push(escapeHtml(truncate(d.cause, 600)));
    for (const e of d.evidence) lines.push(`• <code>${escapeHtml(truncate(e, 300))}</code>`);
    for (const g of d.gaps) lines.push(`⚠️ missing evidence: ${escapeHtml(truncate(g, 200))}`);
  } else if (v.status === 'open') {
    lines.push('', '🩺 Diagnosing…');
  }
  if (v.proposal) {
    const p = v.proposal;
    lines.push('');
    lines.push(`🛠 <b>Proposed:</b> ${escapeHtml(truncate(p.description, 300))}`);
    lines.push(`Blast radius ${p.score}/100 → <b>${escapeHtml(p.tier)}</b>${p.approvals.required > 1 ? ` (${p.approvals.required} approvers)` : ''}`);
    for (const r of p.reasons.slice(0, 6)) lines.push(`  · ${escapeHtml(truncate(r, 300))}`);
    if (p.trust) {
      lines.push(`Playbook trust ${Math.round(p.trust.score * 100)}% (${p.trust.successes} ✓ / ${p.trust.failures} ✗)`);
    }
    if (p.undoOf) lines.push(`↩️ Undo of an earlier action`);
    lines.push(`State: <b>${p.skipped === 'tier_rose' ? SKIPPED_TEXT : (STATE_TEXT[p.state] ?? escapeHtml(p.state))}</b>`);
    if (p.snoozedUntil) lines.push(`Comes back at ${hhmm(p.snoozedUntil)}`);
    if (p.approvals.required > 1 && p.state === 'pending') {
      lines.push(`Approvals: ${p.approvals.given.length} of ${p.approvals.required}`);
    }
    if (p.decidedBy) {
      const verb =
        p.decidedBy.decision === 'approve'
          ? 'Approved'
          : p.decidedBy.decision === 'reject'
            ? 'Rejected'
            : p.decidedBy.decision === 'later'
              ? 'Snoozed'
              : escapeHtml(p.decidedBy.decision);
      const approvers = p.decidedBy.decision === 'approve' && p.approvals.given.length > 1 ? p.approvals.given.map((g) => g.name).join(' and ') : p.decidedBy.name;
      lines.push(`${verb} by ${escapeHtml(approvers)} at ${hhmm(p.decidedBy.at)}`);
    }
    if (p.rejectReason) lines.push(`Reason: ${escapeHtml(truncate(p.rejectReason, 300))}`);
    if (p.result) {
      const mark = p.state === 'succeeded' ? '✅' : p.state === 'failed' ? '❌' : '…';
      lines.push(`${mark} ${escapeHtml(truncate(p.result.message, 600))}`);
    }
  }
  if (v.silencedUntil) lines.push(`🔕 Alert group silenced until ${hhmm(v.silencedUntil)}`);
  if (v.repostedBelow) lines.push('⬇️ Re-posted below');
  return joinWithin(lines, 4000);
}

/**
 * Joins rendered lines, dropping whole lines from the end once `max` characters would be
 * exceeded, so markup is never cut in the middle (Telegram refuses unbalanced HTML).
 */
export function joinWithin(lines: string[], max: number): string {
  const out: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > max - 2) {
      out.push('…');
      break;
    }
    out.push(line);
    length += line.length + 1;
  }
  return out.join('\n');
}

/**
 * Inline keyboard of a card, two buttons per row, or undefined when it has no buttons (an edit
 * without `reply_markup` removes the keyboard).
 */
export function cardKeyboard(v: { buttons: CardButton[] }): InlineKeyboard | undefined {
  if (v.buttons.length === 0) return undefined;
  const kb = new InlineKeyboard();
  v.buttons.forEach((b, i) => {
    kb.text(b.label, b.data);
    if (i % 2 === 1 && i < v.buttons.length - 1) kb.row();
  });
  return kb;
}

/** Inline keyboard of an incident card (its actions as buttons), or undefined when it has none. */
export function incidentKeyboard(v: IncidentCardView): InlineKeyboard | undefined {
  return cardKeyboard({ buttons: incidentButtons(v) });
}

/** Inline keyboard of a knowledge review card, or undefined when it has none. */
export function knowledgeKeyboard(v: KnowledgeCardView): InlineKeyboard | undefined {
  return cardKeyboard({ buttons: knowledgeButtons(v) });
}

/** A runbook draft (or anti-pattern) card. */
export function renderKnowledgeCard(v: KnowledgeCardView): string {
  const head =
    v.kind === 'runbook'
      ? v.status === 'draft'
        ? '📝 <b>Runbook draft</b> from a verified fix — publish it to the runbooks (shown in /playbooks)?'
        : v.status === 'published'
          ? '📗 <b>Runbook published</b>'
          : '🗑 <b>Runbook draft discarded</b>'
      : '🚫 <b>Anti-pattern</b> (blocks auto-execution for 7 days)';
  const lines = [head, `<b>${escapeHtml(truncate(v.title, 300))}</b>`, '', `<pre>${escapeHtml(truncate(v.body, 3000))}</pre>`];
  if (v.decidedBy) lines.push(`Decided by ${escapeHtml(v.decidedBy)}`);
  return joinWithin(lines, 4000);
}

/** `/incidents` answer. */
export function renderIncidentList(items: IncidentSummary[]): string {
  if (items.length === 0) return '✅ No open incidents.';
  const lines = [`<b>Open incidents (${items.length})</b>`];
  for (const i of items) {
    lines.push(
      `${SEVERITY_ICON[i.severity] ?? '🟡'} #${i.id} ${escapeHtml(i.alertname)}${i.target ? ` · <code>${escapeHtml(i.target)}</code>` : ''}` +
        ` · since ${hhmm(i.openedAt)}${i.state ? ` · ${STATE_TEXT[i.state] ?? i.state}` : ''}`,
    );
  }
  lines.push('', 'Details: /incident &lt;id&gt;');
  return lines.join('\n');
}

/** An on-demand diagnosis (`/diagnose`). */
export function renderDiagnosis(d: DiagnosisRecord): string {
  const lines = [
    `🩺 <b>Diagnosis</b>${d.target ? ` of <code>${escapeHtml(formatTarget(d.target))}</code>` : ''}`,
    `Source: ${escapeHtml(d.source === 'model' ? (d.model ?? 'model') : d.source === 'rules' ? 'rules only' : 'no finding')} · ` +
      `category <code>${escapeHtml(d.category)}</code> · confidence ${Math.round(d.confidence * 100)}%`,
    escapeHtml(truncate(d.cause, 600)),
    ...d.evidence.slice(0, 6).map((e) => `• <code>${escapeHtml(truncate(e, 300))}</code>`),
    `Suggested action: <b>${escapeHtml(d.action)}</b>`,
    ...d.gaps.slice(0, 3).map((g) => `⚠️ missing evidence: ${escapeHtml(truncate(g, 200))}`),
    ...d.fallbackReasons.slice(0, 3).map((r) => `ℹ️ ${escapeHtml(truncate(r, 200))}`),
  ];
  return joinWithin(lines, 4000);
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
