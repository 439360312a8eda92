/**
 * The read commands through the production bot (`createBot`) and `bot.handleUpdate`, with the Bot
 * API captured: what each command asks the core and what it answers in the chat.
 */
import { describe, expect, it } from 'vitest';
import type { DiagnosisRecord } from '../../agent/index.ts';
import { callsOf, messageUpdate, startTestBot } from '../support/bot-api.ts';
import { fakeAgent, PEOPLE } from './fakes.ts';

const CHAT = -1001;
const OPENED = new Date('2026-12-02T09:15:00Z');

const diagnosis: DiagnosisRecord = {
  source: 'rules',
  category: 'crash_loop',
  cause: 'container app exits with code 1 <after start>',
  evidence: ['web-1: CrashLoopBackOff, 6 restarts'],
  confidence: 0.8,
  action: 'restart',
  params: {},
  findings: [],
  gaps: [],
  fallbackReasons: [],
  target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
} as unknown as DiagnosisRecord;

/** The one message the bot sent for an update. */
function onlyReply(calls: Awaited<ReturnType<Awaited<ReturnType<typeof startTestBot>>['send']>>) {
  const sent = callsOf(calls, 'sendMessage');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.payload.chat_id).toBe(CHAT);
  return sent[0]!.payload;
}

describe('/incidents', () => {
  it('lists open incidents with severity, target and state, HTML-escaped', async () => {
    const { agent, calls } = fakeAgent({
      openIncidents: async () => [
        { id: 12, severity: 'critical', alertname: 'KubePodCrashLooping', target: 'shop/Deployment/web', openedAt: OPENED, state: 'pending' },
        { id: 13, severity: 'warning', alertname: 'Disk <90%> & more', openedAt: OPENED },
      ],
    });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const reply = onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/incidents')));
    expect(calls.openIncidents).toHaveLength(1);
    expect(reply.parse_mode).toBe('HTML');
    expect(reply.text).toContain('<b>Open incidents (2)</b>');
    expect(reply.text).toContain('🔴 #12 KubePodCrashLooping · <code>shop/Deployment/web</code> · since 09:15 UTC · ⏳ awaiting approval');
    expect(reply.text).toContain('#13 Disk &lt;90%&gt; &amp; more');
  });

  it('says so when nothing is open', async () => {
    const { agent } = fakeAgent({ openIncidents: async () => [] });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/incidents'))).text).toBe('✅ No open incidents.');
  });
});

describe('/incident <id>', () => {
  it('answers usage for a missing or malformed id without asking the core', async () => {
    const { agent, calls } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/incident web'))).text).toMatch(/^Usage: \/incident <id>/);
    expect(calls.incidentCard).toBeUndefined();
  });

  it('says when the incident does not exist', async () => {
    const { agent, calls } = fakeAgent({ incidentCard: async () => undefined });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/incident #5'))).text).toBe('No incident #5. See /incidents for open ones.');
    expect(calls.incidentCard).toEqual([[5]]);
  });
});

describe('/approvals', () => {
  it('lists what waits for a decision with tier and expiry or snooze time', async () => {
    const { agent } = fakeAgent({
      pendingApprovals: async () => [
        { incidentId: 7, remediationId: 3, state: 'pending', description: 'rollout restart deployment/web', tier: 'human', expiresAt: new Date('2026-12-02T10:00:00Z') },
        { incidentId: 8, remediationId: 4, state: 'snoozed', description: 'scale <db> to 3', tier: 'dual', snoozedUntil: new Date('2026-12-02T11:30:00Z') },
      ],
    });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const reply = onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/approvals')));
    expect(reply.text.split('\n')).toEqual([
      '<b>Waiting for a decision (2)</b>',
      '• #7: rollout restart deployment/web · human · expires 10:00 UTC — /incident 7',
      '• #8: scale &lt;db&gt; to 3 · dual · snoozed until 11:30 UTC — /incident 8',
    ]);
  });

  it('says so when nothing waits', async () => {
    const { agent } = fakeAgent({ pendingApprovals: async () => [] });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/approvals'))).text).toBe('✅ Nothing waits for a decision.');
  });
});

describe('/playbooks', () => {
  it('lists playbooks with trust as a percentage, outcomes and published runbooks', async () => {
    const { agent } = fakeAgent({
      playbooks: async () => [
        { id: 1, symptomsHash: 'ab12', action: 'restart', target: 'shop/Deployment/web', category: 'crash_loop', trustScore: 0.856, successes: 5, failures: 1, lastOutcomeAt: OPENED, published: true },
      ],
    });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const reply = onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/playbooks')));
    expect(reply.text).toContain('<b>Playbooks (1)</b>, trust = EWMA of verified outcomes');
    expect(reply.text).toContain('• <code>ab12</code> crash_loop → <b>restart</b> · trust 86% (5 ✓ / 1 ✗) · 📗 runbook · e.g. <code>shop/Deployment/web</code>');
  });

  it('explains where playbooks come from when there are none', async () => {
    const { agent } = fakeAgent({ playbooks: async () => [] });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/playbooks'))).text).toMatch(/^No playbooks yet/);
  });
});

describe('/diagnose', () => {
  it('passes the presser to the core, which refuses someone not on the operator list; the bot says why', async () => {
    const { agent, calls } = fakeAgent({ diagnoseTarget: async () => ({ kind: 'forbidden', reason: 'not_an_approver' }) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.stranger, '/diagnose shop/deploy/web'))).text).toMatch(/^Only operators may run \/diagnose/);
    expect(calls.diagnoseTarget).toEqual([[{ kind: 'Deployment', namespace: 'shop', name: 'web' }, { id: PEOPLE.stranger.id, name: 'Eve' }]]);
  });

  it('shows usage only to operators: a stranger with a malformed target is refused', async () => {
    const { agent, calls } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.stranger, '/diagnose'))).text).toMatch(/^Only operators may run \/diagnose/);
    expect(calls.diagnoseTarget).toBeUndefined();
  });

  it.each([
    ['no argument', '/diagnose'],
    ['two parts', '/diagnose shop/web'],
    ['unknown kind', '/diagnose shop/widget/web'],
  ])('answers usage for %s', async (_name, text) => {
    const { agent, calls } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, text))).text).toMatch(/^Usage: \/diagnose <namespace>\/<kind>\/<name>, e\.g\. \/diagnose shop\/deploy\/checkout\n\(/);
    expect(calls.diagnoseTarget).toBeUndefined();
  });

  it('diagnoses the parsed target for a viewer and renders the diagnosis', async () => {
    const { agent, calls } = fakeAgent({ diagnoseTarget: async () => ({ kind: 'diagnosed', diagnosis }) });
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const reply = onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/diagnose shop/deploy/web')));
    expect(calls.diagnoseTarget).toEqual([[{ kind: 'Deployment', namespace: 'shop', name: 'web' }, { id: PEOPLE.vic.id, name: 'Vic' }]]);
    expect(reply.parse_mode).toBe('HTML');
    expect(reply.text).toContain('🩺 <b>Diagnosis</b> of <code>shop/Deployment/web</code>');
    expect(reply.text).toContain('container app exits with code 1 &lt;after start&gt;');
  });
});

describe('/help and /start', () => {
  it('/help lists every command of the menu', async () => {
    const { agent } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    const text = onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/help'))).text as string;
    for (const c of ['/start', '/help', '/incidents', '/incident &lt;id&gt;', '/diagnose', '/approvals', '/playbooks', '/drift', '/coverage']) expect(text).toContain(c);
  });

  it('/start tells the user their role', async () => {
    const { agent } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.bob, '/start'))).text).toContain('Your role: <b>approver</b>.');
    expect(onlyReply(await t.send(messageUpdate(CHAT, PEOPLE.stranger, '/start'))).text).toContain('You are not on the operator list');
  });
});
