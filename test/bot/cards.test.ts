/**
 * Incident cards as Telegram HTML: every dynamic field escaped, approvals and results shown,
 * within Telegram's 4096-character limit and still valid HTML when cut; keyboards.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentCardView } from '../../agent/ports.ts';
import type { RemediationState } from '../../domain/remediation/index.ts';
import { incidentKeyboard, escapeHtml, hhmm, renderIncidentCard, renderIncidentList } from '../../bot/cards.ts';

const OPENED = new Date('2026-11-21T06:00:00Z');
const DECIDED = new Date('2026-11-21T06:31:00Z');

type Proposal = NonNullable<IncidentCardView['proposal']>;

function card(over: Partial<IncidentCardView> = {}): IncidentCardView {
  return {
    incidentId: 7,
    status: 'open',
    severity: 'critical',
    alertname: 'KubePodCrashLooping',
    summary: 'Pod shop/web-1 is crash looping',
    target: 'shop/Deployment/web',
    openedAt: OPENED,
    diagnosis: {
      source: 'rules',
      category: 'crash_loop',
      cause: 'container app exits with code 1',
      evidence: ['web-1: CrashLoopBackOff, 6 restarts'],
      confidence: 0.8,
      gaps: [],
    },
    actions: [],
    ...over,
  };
}

function proposal(over: Partial<Proposal> = {}): Proposal {
  return {
    remediationId: 3,
    token: 'AbCdEf123456',
    action: 'restart',
    description: 'rollout restart deployment/web',
    tier: 'human',
    score: 25,
    reasons: ['restart: base risk 15'],
    state: 'pending',
    approvals: { required: 1, given: [] },
    ...over,
  };
}

/**
 * Checks what Telegram's HTML parser needs: only the tags the card uses, balanced and properly
 * nested, and every `&` starting a complete entity.
 */
function telegramHtmlProblems(html: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)>/g)) {
    if (!['b', 'code'].includes(m[2])) problems.push(`unexpected tag <${m[1]}${m[2]}>`);
    if (m[1]) {
      if (stack.pop() !== m[2]) problems.push(`unbalanced </${m[2]}> at ${m.index}`);
    } else stack.push(m[2]);
  }
  if (stack.length) problems.push(`unclosed <${stack.join('>, <')}>`);
  for (const m of html.matchAll(/&(?!(?:lt|gt|amp|quot);)/g)) problems.push(`broken entity at ${m.index}: ${html.slice(m.index, m.index + 6)}`);
  if (/[<>]/.test(html.replace(/<\/?(b|code)>/g, ''))) problems.push('a bare "<" or ">" outside the tags');
  return problems;
}

describe('escapeHtml', () => {
  it.each([
    ['<b>', '&lt;b&gt;'],
    ['a & b', 'a &amp; b'],
    ['&lt;', '&amp;lt;'],
    ['plain', 'plain'],
  ])('%j → %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });
});

describe('hhmm', () => {
  it.each([
    [new Date('2026-11-21T06:31:59Z'), '06:31 UTC'],
    [new Date('2026-11-21T23:05:00+02:00'), '21:05 UTC'],
  ])('%s → %s', (d, expected) => {
    expect(hhmm(d)).toBe(expected);
  });
});

describe('renderIncidentCard', () => {
  const EVIL = '<script>alert("x")</script> & <b>bold</b>';

  it.each<[string, Partial<IncidentCardView>]>([
    ['alertname', { alertname: EVIL }],
    ['severity', { severity: EVIL }],
    ['target', { target: EVIL }],
    ['summary', { summary: EVIL }],
    ['diagnosis model', { diagnosis: { ...card().diagnosis!, source: 'model', model: EVIL } }],
    ['diagnosis category', { diagnosis: { ...card().diagnosis!, category: EVIL } }],
    ['cause', { diagnosis: { ...card().diagnosis!, cause: EVIL } }],
    ['evidence', { diagnosis: { ...card().diagnosis!, evidence: [EVIL, `pod log: ${EVIL}`] } }],
    ['gaps', { diagnosis: { ...card().diagnosis!, gaps: [EVIL] } }],
    ['proposal description', { proposal: proposal({ description: EVIL }) }],
    ['proposal tier', { proposal: proposal({ tier: EVIL }) }],
    ['proposal reasons', { proposal: proposal({ reasons: [EVIL] }) }],
    ['unknown proposal state', { proposal: proposal({ state: EVIL as RemediationState }) }],
    ['decider name', { proposal: proposal({ state: 'approved', decidedBy: { name: EVIL, at: DECIDED, decision: 'approve' } }) }],
    ['decision verb', { proposal: proposal({ state: 'approved', decidedBy: { name: 'alice', at: DECIDED, decision: EVIL } }) }],
    ['approver names', {
      proposal: proposal({
        state: 'approved',
        approvals: { required: 2, given: [{ name: EVIL, at: DECIDED }, { name: 'bob', at: DECIDED }] },
        decidedBy: { name: 'bob', at: DECIDED, decision: 'approve' },
      }),
    }],
    ['result message', { proposal: proposal({ state: 'failed', result: { ok: false, message: EVIL } }) }],
  ])('escapes HTML in the %s', (_field, over) => {
    const html = renderIncidentCard(card(over));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toMatch(/&lt;script&gt;/i); // the severity is upper-cased
    expect(telegramHtmlProblems(html)).toEqual([]);
  });

  it('renders the header, target, summary, status and diagnosis', () => {
    const html = renderIncidentCard(card());
    expect(html.split('\n')).toEqual([
      '🔴 <b>CRITICAL · KubePodCrashLooping</b> (incident #7)',
      '🎯 <code>shop/Deployment/web</code>',
      'Pod shop/web-1 is crash looping',
      'Status: open since 06:00 UTC',
      '',
      '🩺 <b>Diagnosis</b> (rules only, 80%): <code>crash_loop</code>',
      'container app exits with code 1',
      '• <code>web-1: CrashLoopBackOff, 6 restarts</code>',
    ]);
  });

  it.each<[string, Partial<IncidentCardView>, string[], string[]]>([
    ['open, not yet diagnosed', { diagnosis: undefined }, ['🩺 Diagnosing…'], []],
    ['resolved', { status: 'resolved', resolvedAt: new Date('2026-11-21T07:02:00Z'), diagnosis: undefined }, ['✅ <b>CRITICAL', 'Status: <b>resolved</b> at 07:02 UTC'], ['Diagnosing…', 'open since']],
    ['unknown severity icon', { severity: 'page' }, ['🟡 <b>PAGE'], []],
    ['summary equal to alertname is not repeated', { summary: 'KubePodCrashLooping' }, [], ['\nKubePodCrashLooping\n']],
    ['no target', { target: undefined }, [], ['🎯']],
    ['gaps', { diagnosis: { ...card().diagnosis!, gaps: ['events: HTTP 500'] } }, ['⚠️ missing evidence: events: HTTP 500'], []],
  ])('%s', (_name, over, contains, absent) => {
    const html = renderIncidentCard(card(over));
    for (const c of contains) expect(html).toContain(c);
    for (const a of absent) expect(html).not.toContain(a);
  });

  it('shows "1 of 2" approvals while a dual proposal is pending', () => {
    const html = renderIncidentCard(
      card({ proposal: proposal({ tier: 'dual', score: 55, approvals: { required: 2, given: [{ name: 'alice', at: DECIDED }] } }) }),
    );
    expect(html).toContain('Blast radius 55/100 → <b>dual</b> (2 approvers)');
    expect(html).toContain('State: <b>⏳ awaiting approval</b>');
    expect(html).toContain('Approvals: 1 of 2');
  });

  it.each<[string, Partial<Proposal>, string[], string[]]>([
    ['single-approver pending shows no count', {}, ['State: <b>⏳ awaiting approval</b>'], ['Approvals:', 'approvers)']],
    [
      'approved by one',
      { state: 'approved', approvals: { required: 1, given: [{ name: 'alice', at: DECIDED }] }, decidedBy: { name: 'alice', at: DECIDED, decision: 'approve' } },
      ['Approved by alice at 06:31 UTC', 'State: <b>✅ approved</b>'],
      ['Approvals:'],
    ],
    [
      'approved by two',
      {
        state: 'executing',
        tier: 'dual',
        approvals: { required: 2, given: [{ name: 'alice', at: OPENED }, { name: 'bob', at: DECIDED }] },
        decidedBy: { name: 'bob', at: DECIDED, decision: 'approve' },
      },
      ['Approved by alice and bob at 06:31 UTC', 'State: <b>⚙️ executing</b>'],
      ['Approvals:'],
    ],
    ['rejected', { state: 'rejected', decidedBy: { name: 'carol', at: DECIDED, decision: 'reject' } }, ['Rejected by carol at 06:31 UTC', '🚫 rejected'], []],
    [
      'verifying, with progress',
      { state: 'verifying', result: { ok: true, message: 'applied; waiting for the rollout to complete' } },
      ['State: <b>🔄 verifying rollout</b>', '… applied; waiting for the rollout to complete'],
      [],
    ],
    [
      'succeeded',
      { state: 'succeeded', result: { ok: true, message: 'deployment "web" successfully rolled out' } },
      ['✅ deployment "web" successfully rolled out', 'State: <b>✅ succeeded</b>'],
      [],
    ],
    [
      'failed, with why',
      { state: 'failed', result: { ok: false, message: 'deployment "web" exceeded its progress deadline; web-2: CrashLoopBackOff (exit 1)' } },
      ['❌ deployment "web" exceeded its progress deadline; web-2: CrashLoopBackOff (exit 1)', 'State: <b>❌ failed</b>'],
      [],
    ],
    ['expired', { state: 'expired' }, ['⌛ expired'], []],
    ['blocked', { state: 'blocked', tier: 'blocked', score: 100, reasons: ['namespace kube-system is protected'] }, ['→ <b>blocked</b>', '  · namespace kube-system is protected', '⛔ blocked'], []],
  ])('proposal %s', (_name, over, contains, absent) => {
    const html = renderIncidentCard(card({ proposal: proposal(over) }));
    expect(html).toContain('🛠 <b>Proposed:</b> rollout restart deployment/web');
    for (const c of contains) expect(html).toContain(c);
    for (const a of absent) expect(html).not.toContain(a);
    expect(telegramHtmlProblems(html)).toEqual([]);
  });

  it('shows at most 6 reasons', () => {
    const reasons = Array.from({ length: 10 }, (_, i) => `reason ${i}`);
    const html = renderIncidentCard(card({ proposal: proposal({ reasons }) }));
    expect(html).toContain('reason 5');
    expect(html).not.toContain('reason 6');
  });

  it.each<[string, Partial<IncidentCardView>]>([
    [
      'huge evidence full of markup',
      { diagnosis: { ...card().diagnosis!, evidence: Array.from({ length: 5 }, () => '<'.repeat(5000)), gaps: ['&'.repeat(5000)] } },
    ],
    ['huge cause', { diagnosis: { ...card().diagnosis!, cause: '<&>'.repeat(4000) } }],
    ['huge summary', { summary: 'x<y '.repeat(3000) }],
    ['huge reasons and result', { proposal: proposal({ state: 'failed', reasons: ['r<'.repeat(3000)], result: { ok: false, message: '&'.repeat(5000) } }) }],
  ])('stays within 4096 characters and valid HTML with %s', (_name, over) => {
    const html = renderIncidentCard(card(over));
    expect(html.length).toBeLessThanOrEqual(4096);
    expect(html.startsWith('🔴 <b>CRITICAL · KubePodCrashLooping</b> (incident #7)')).toBe(true);
    expect(telegramHtmlProblems(html)).toEqual([]);
  });
});

describe('incidentKeyboard', () => {
  it('is undefined when the card offers no action (Telegram removes the keyboard)', () => {
    expect(incidentKeyboard(card({ proposal: proposal(), actions: [] }))).toBeUndefined();
  });

  it('has one button per action, with its callback data on the remediation token', () => {
    const kb = incidentKeyboard(card({ proposal: proposal(), actions: ['approve', 'reject', 'later', 'silence'] }));
    expect(kb?.inline_keyboard.flat()).toEqual([
      { text: '✅ Approve', callback_data: 'wk:a:AbCdEf123456' },
      { text: '❌ Reject', callback_data: 'wk:r:AbCdEf123456' },
      { text: '⏰ Later', callback_data: 'wk:l:AbCdEf123456' },
      { text: '🔕 Silence', callback_data: 'wk:s:AbCdEf123456' },
    ]);
  });

  it('labels the Reject of an escalation "Dismiss" (same verb on the wire)', () => {
    const kb = incidentKeyboard(card({ proposal: proposal({ action: 'escalate' }), actions: ['dismiss', 'later'] }));
    expect(kb?.inline_keyboard.flat()).toEqual([
      { text: '🆗 Dismiss', callback_data: 'wk:r:AbCdEf123456' },
      { text: '⏰ Later', callback_data: 'wk:l:AbCdEf123456' },
    ]);
  });
});

describe('renderIncidentList', () => {
  it.each([
    [[], '✅ No open incidents.'],
    [
      [{ id: 4, severity: 'critical', alertname: 'A<b>', target: 'ns/Deployment/web', openedAt: OPENED, state: 'pending' as const }],
      '<b>Open incidents (1)</b>\n🔴 #4 A&lt;b&gt; · <code>ns/Deployment/web</code> · since 06:00 UTC · ⏳ awaiting approval\n\nDetails: /incident &lt;id&gt;',
    ],
  ])('%j', (items, expected) => {
    expect(renderIncidentList(items)).toBe(expected);
  });
});
