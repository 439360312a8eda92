/**
 * `/drift` and `/coverage` through the production bot (`createBot`) and `bot.handleUpdate`, over
 * fake drift and coverage services, with the Bot API captured.
 */
import { describe, expect, it } from 'vitest';
import type { DriftCardView } from '../../agent/drift/index.ts';
import { driftCallbackData } from '../../agent/drift/index.ts';
import { callbackUpdate, callsOf, messageUpdate, startTestBot, type CapturedCall } from '../support/bot-api.ts';
import { fakeAgent, fakeCoverage, fakeDrift, PEOPLE } from './fakes.ts';

const CHAT = -1001;
const CREATED = new Date('2026-12-02T08:05:00Z');

function report(over: Partial<DriftCardView> = {}): DriftCardView {
  return {
    reportId: 4,
    source: 'shop-gitops',
    status: 'pending',
    createdAt: CREATED,
    counts: { high: 1, medium: 0, info: 0 },
    itemCount: 1,
    objects: [{ ref: 'shop/Deployment/web', items: [{ path: 'spec.template.spec.containers[web].image', change: 'modified', level: 'high', git: 'web:1.4.2', live: 'web:1.4.3' }] }],
    problems: { errors: [], warnings: [] },
    buttons: [{ label: '⏪ Rollback', data: driftCallbackData('rollback', 4) }],
    ...over,
  } as DriftCardView;
}

const texts = (calls: CapturedCall[]) => callsOf(calls, 'sendMessage').map((c) => c.payload.text as string);

describe('/drift', () => {
  it('without a drift source says how to configure one', async () => {
    const { agent } = fakeAgent();
    const t = await startTestBot({ agent, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/drift')))).toEqual([
      'Drift detection is not configured: set DRIFT_REPO (and DRIFT_BRANCH, DRIFT_FOLDERS) or DRIFT_SOURCES, then restart.',
    ]);
  });

  it('lists open reports', async () => {
    const { agent } = fakeAgent();
    const { drift } = fakeDrift({ openReports: async () => [report()] });
    const t = await startTestBot({ agent, drift, chatIds: [CHAT] });
    const [text] = texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/drift')));
    expect(text).toContain('<b>Open drift reports (1)</b>');
    expect(text).toContain('• #4 <code>shop-gitops</code> · 1 item(s) in 1 object(s): 1 high, 0 medium, 0 info · ⏳ pending · since 08:05 UTC');
  });

  it('with nothing open, shows the latest reports and how to scan', async () => {
    const { agent } = fakeAgent();
    const { drift, calls } = fakeDrift({ openReports: async () => [], recentReports: async () => [report({ status: 'rolled_back' })] });
    const t = await startTestBot({ agent, drift, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/drift')))).toEqual([
      '✅ No open drift reports.\nLatest: #4 ⏪ rolled back\n/drift scan compares Git with the cluster now.',
    ]);
    expect(calls.recentReports).toEqual([[3]]);
  });

  it('/drift scan is refused to someone not on the operator list', async () => {
    const { agent } = fakeAgent();
    const { drift, calls } = fakeDrift();
    const t = await startTestBot({ agent, drift, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.stranger, '/drift scan')))).toEqual([
      'Only operators may start a drift scan. Ask an admin to add your user id to TELEGRAM_OPERATORS.',
    ]);
    expect(calls.scan).toBeUndefined();
  });

  it('/drift <id> of an unknown report says so; a malformed one answers usage', async () => {
    const { agent } = fakeAgent();
    const { drift } = fakeDrift({ report: async () => undefined });
    const t = await startTestBot({ agent, drift, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/drift 9')))).toEqual(['No drift report #9. See /drift for open ones.']);
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/drift rollback')))).toEqual([
      'Usage: /drift rollback <report id>, e.g. /drift rollback 12 (ids are listed by /drift)',
    ]);
  });

  it('the Rollback button asks the service as the presser and answers with its reply; a refusal is an alert', async () => {
    const { agent } = fakeAgent();
    const { drift, calls } = fakeDrift({ rollback: async () => ({ kind: 'forbidden', text: '⛔ Only approvers may roll back.' }) });
    const t = await startTestBot({ agent, drift, chatIds: [CHAT] });
    const out = await t.send(callbackUpdate(CHAT, PEOPLE.vic, driftCallbackData('rollback', 4)));
    expect(calls.rollback).toEqual([[4, { id: PEOPLE.vic.id, name: 'Vic' }]]);
    expect(callsOf(out, 'answerCallbackQuery').map((c) => c.payload)).toEqual([
      expect.objectContaining({ text: '⛔ Only approvers may roll back.', show_alert: true }),
    ]);
  });
});

describe('/coverage', () => {
  it('before the first evaluation says when it runs', async () => {
    const { agent } = fakeAgent();
    const { coverage } = fakeCoverage({ summary: async () => undefined });
    const t = await startTestBot({ agent, coverage, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/coverage')))).toEqual([
      '📊 No coverage evaluation yet: it runs hourly (the first one shortly after start).',
    ]);
  });

  it('/coverage fix is refused to a viewer without proposing anything', async () => {
    const { agent } = fakeAgent();
    const { coverage, calls } = fakeCoverage();
    const t = await startTestBot({ agent, coverage, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/coverage fix shop/web')))).toEqual([
      '⛔ Only approvers and admins may propose alerting rules (/coverage fix); ask one of them.',
    ]);
    expect(calls.proposeRule).toBeUndefined();
  });

  it('/coverage fix by an approver proposes as that person and renders the outcome', async () => {
    const { agent } = fakeAgent();
    const { coverage, calls } = fakeCoverage({ proposeRule: async () => ({ kind: 'not_needed', ref: 'shop/Deployment/web', why: 'KubePodCrashLooping matches it' }) });
    const t = await startTestBot({ agent, coverage, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.bob, '/coverage fix shop/web')))).toEqual([
      '✅ <code>shop/Deployment/web</code> is already covered: KubePodCrashLooping matches it',
    ]);
    expect(calls.proposeRule).toEqual([['shop/web', { id: PEOPLE.bob.id, name: 'Bob' }]]);
  });

  it('an ambiguous asset lists the candidates as commands', async () => {
    const { agent } = fakeAgent();
    const { coverage } = fakeCoverage({ lookup: async () => ({ kind: 'ambiguous', candidates: ['shop/Deployment/web', 'shop/StatefulSet/web'] }) });
    const t = await startTestBot({ agent, coverage, chatIds: [CHAT] });
    expect(texts(await t.send(messageUpdate(CHAT, PEOPLE.vic, '/coverage web')))).toEqual([
      'Several assets match; say which:\n• /coverage shop/Deployment/web\n• /coverage shop/StatefulSet/web',
    ]);
  });
});
