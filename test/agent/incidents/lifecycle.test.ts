/**
 * The remaining use cases over in-memory ports: Silence, Undo, proposals (one live proposal per
 * key, origin recorded), the sweeps (expiry, snooze wake-up, resolution), the outcome hub.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createOutcomeHub } from '../../../agent/incidents/context.ts';
import { proposeAction } from '../../../agent/incidents/proposals.ts';
import { silence } from '../../../agent/incidents/silence.ts';
import { expireApprovals, onIncidentResolved, wakeSnoozed } from '../../../agent/incidents/sweeps.ts';
import { undo } from '../../../agent/incidents/undo.ts';
import type { RemediationOutcome } from '../../../agent/ports.ts';
import { seeded, testCore, USERS } from './memory.ts';

describe('silence', () => {
  it('mutes the group for the hours chosen (Watchkeeper only when Alertmanager is not configured) and audits it', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t);
    const outcome = await silence(t.core, rem.token, 4, USERS.alice);
    expect(outcome).toEqual({ kind: 'silenced', incidentId: incident.id, hours: 4, until: new Date(t.clock.now().getTime() + 4 * 3_600_000), alertmanager: 'not_configured' });
    expect(await t.repos.silences.silencedUntil(incident.groupKey, t.clock.now())).toEqual(new Date(t.clock.now().getTime() + 4 * 3_600_000));
    expect(t.repos.actions()).toEqual(['alerts.silence']);
  });

  it('also silences in Alertmanager with the group labels; a failure there still mutes locally', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { incident: { groupLabels: { alertname: 'KubePodCrashLooping', namespace: 'shop' } } });
    const created: unknown[] = [];
    t.core.silences = { createSilence: async (s) => (created.push(s), 'am-1') } as typeof t.core.silences;
    expect(await silence(t.core, rem.token, 1, USERS.alice)).toMatchObject({ kind: 'silenced', alertmanager: 'silenced' });
    expect(created).toMatchObject([{ matchers: [{ name: 'alertname', value: 'KubePodCrashLooping' }, { name: 'namespace', value: 'shop' }], createdBy: 'watchkeeper (alice)' }]);
    t.core.silences = { createSilence: async () => Promise.reject(new Error('down')) } as unknown as typeof t.core.silences;
    expect(await silence(t.core, rem.token, 1, USERS.alice)).toMatchObject({ kind: 'silenced', alertmanager: 'failed' });
  });

  it('a viewer may not silence', async () => {
    const t = testCore();
    const { rem } = await seeded(t);
    expect(await silence(t.core, rem.token, 1, USERS.vic)).toEqual({ kind: 'forbidden', reason: 'not_an_approver' });
    expect(t.repos.silenceRows).toEqual([]);
  });
});

describe('undo', () => {
  it('nothing to undo before the remediation finished, or when it recorded no inverse', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'approved' });
    expect(await undo(t.core, rem.token, USERS.alice)).toEqual({ kind: 'nothing_to_undo' });
    const done = await t.repos.remediations.create({ incidentId: rem.incidentId, token: 'done00000000', plan: rem.plan, state: 'succeeded', now: t.clock.now(), origin: 'alert' });
    expect(await undo(t.core, done.token, USERS.alice)).toEqual({ kind: 'nothing_to_undo' });
  });

  it('an Undo already proposed is not proposed twice', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'succeeded' });
    t.repos.remediationRows.get(rem.id)!.result = { ok: true, message: 'ok', at: t.clock.now().toISOString(), inverse: { action: 'scale', params: { replicas: 3 } } };
    await t.repos.remediations.create({ incidentId: rem.incidentId, token: 'undo00000000', plan: rem.plan, state: 'pending', now: t.clock.now(), undoOf: rem.id, origin: 'undo' });
    expect(await undo(t.core, rem.token, USERS.alice)).toEqual({ kind: 'already_proposed', state: 'pending' });
  });
});

describe('proposals', () => {
  const request = { key: 'drift:7:shop', title: 'Drift rollback #7', summary: 're-apply', target: { kind: 'Manifest' as const, namespace: 'shop', name: 'drift-7' }, action: 'escalate' as const, params: {}, origin: 'drift' as const };

  it('hosts a proposal in an incident keyed by it, records its origin, posts its card; a second request returns the live one', async () => {
    const t = testCore();
    const first = await proposeAction(t.core, t.cards, request);
    const rem = t.repos.remediationRows.get(first.remediationId)!;
    expect(rem).toMatchObject({ origin: 'drift', state: 'pending', incidentId: first.incidentId });
    expect(t.repos.incidentRows.get(first.incidentId)).toMatchObject({ groupKey: 'drift:7:shop', alertname: 'Drift rollback #7' });
    expect(t.notifier.posted).toHaveLength(1);
    expect(await proposeAction(t.core, t.cards, request)).toEqual(first);
    expect(t.repos.remediationRows.size).toBe(1);
  });
});

describe('sweeps', () => {
  it('expires pending cards past their deadline, edits them and tells subscribers', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t, { expiresAt: new Date('2026-11-21T06:10:00Z') });
    await t.repos.cards.save({ ref: { chatId: -100, messageId: 5 }, kind: 'incident', incidentId: incident.id, remediationId: rem.id, now: t.clock.now() });
    t.clock.set(new Date('2026-11-21T06:11:00Z'));
    expect(await expireApprovals(t.core, t.cards)).toBe(1);
    expect(t.notifier.shown(5)).toMatchObject({ proposal: { state: 'expired' }, actions: [] });
    expect(t.outcomes).toEqual([{ remediationId: rem.id, origin: 'alert', state: 'expired' }]);
    expect(await expireApprovals(t.core, t.cards)).toBe(0);
  });

  it('wakes snoozed cards when their time comes: pending again with a new deadline, re-posted', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'snoozed' });
    t.repos.remediationRows.get(rem.id)!.snoozedUntil = new Date('2026-11-21T06:30:00Z');
    expect(await wakeSnoozed(t.core, t.cards)).toBe(0);
    t.clock.set(new Date('2026-11-21T06:30:00Z'));
    expect(await wakeSnoozed(t.core, t.cards)).toBe(1);
    expect(t.repos.remediationRows.get(rem.id)).toMatchObject({ state: 'pending', snoozedUntil: null, expiresAt: new Date('2026-11-21T07:30:00Z') });
    expect(t.notifier.posted).toHaveLength(1);
  });

  it('a resolved incident cancels what was not decided, and leaves what runs', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t);
    const running = await t.repos.remediations.create({ incidentId: incident.id, token: 'run000000000', plan: rem.plan, state: 'executing', now: t.clock.now(), origin: 'alert' });
    await onIncidentResolved(t.core, t.cards, incident.id);
    expect(t.repos.remediationRows.get(rem.id)!.state).toBe('cancelled');
    expect(t.repos.remediationRows.get(running.id)!.state).toBe('executing');
    expect(t.repos.auditRows).toEqual([expect.objectContaining({ action: 'incident.resolved', output: { cancelledRemediations: [rem.id] } })]);
  });
});

describe('the outcome hub', () => {
  it('a subscriber that throws does not keep the others from hearing; unsubscribe stops delivery', async () => {
    const hub = createOutcomeHub(pino({ level: 'silent' }), { byIds: async () => [] });
    const heard: RemediationOutcome[] = [];
    hub.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const off = hub.subscribe((o) => void heard.push(o));
    const outcome: RemediationOutcome = { remediationId: 1, origin: 'coverage', state: 'succeeded' };
    await hub.notify(outcome);
    off();
    await hub.notify({ ...outcome, remediationId: 2 });
    expect(heard).toEqual([outcome]);
  });
});
