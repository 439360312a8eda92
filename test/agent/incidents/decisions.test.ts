/**
 * Approve · Reject · Later over in-memory ports: who may press (the permission table, refusals
 * audited with the actor's id), the approval quorum (dual approval needs two distinct admins),
 * racing presses, expiry, and the outcome the bot words.
 */
import { describe, expect, it } from 'vitest';
import { decide, setRejectReason } from '../../../agent/incidents/decisions.ts';
import { seeded, testCore, USERS } from './memory.ts';

describe('decide (Approve / Reject / Later)', () => {
  it('an approver approves a human-tier card: approved, one execute job, the worker woken, audited', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t);
    expect(await decide(t.core, rem.token, 'approve', USERS.alice)).toEqual({ kind: 'approved', incidentId: incident.id });
    expect(t.repos.remediationRows.get(rem.id)!.state).toBe('approved');
    expect(t.repos.jobRows.map((j) => j.job)).toEqual([{ kind: 'execute', remediationId: rem.id }]);
    expect(t.nudges.n).toBe(1);
    expect(t.repos.auditRows).toContainEqual(expect.objectContaining({ actor: 'user:1', action: 'remediation.approve', subject: `remediation:${rem.id}` }));
  });

  it.each([
    ['viewer', USERS.vic],
    ['stranger', USERS.mallory],
  ])('a %s is refused, nothing changes, and the refusal is audited with their id', async (_who, actor) => {
    const t = testCore();
    const { rem } = await seeded(t);
    expect(await decide(t.core, rem.token, 'approve', actor)).toEqual({ kind: 'forbidden', reason: 'not_an_approver' });
    expect(t.repos.remediationRows.get(rem.id)!.state).toBe('pending');
    expect(t.repos.ballots).toEqual([]);
    expect(t.repos.auditRows).toEqual([expect.objectContaining({ actor: `user:${actor.id}`, action: 'remediation.approve.denied' })]);
  });

  it('dual approval: an approver is refused; the same admin twice counts once; a second admin approves', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t, { plan: { tier: 'dual' } });
    expect(await decide(t.core, rem.token, 'approve', USERS.alice)).toEqual({ kind: 'forbidden', reason: 'needs_admin' });
    expect(await decide(t.core, rem.token, 'approve', USERS.bob)).toEqual({ kind: 'approval_recorded', incidentId: incident.id, approvals: 1, required: 2 });
    expect(await decide(t.core, rem.token, 'approve', USERS.bob)).toEqual({ kind: 'already_voted', incidentId: incident.id });
    expect(t.repos.remediationRows.get(rem.id)!.state).toBe('pending');
    expect(t.repos.jobRows).toEqual([]);
    expect(await decide(t.core, rem.token, 'approve', USERS.carol)).toEqual({ kind: 'approved', incidentId: incident.id });
    expect(t.repos.jobRows).toHaveLength(1);
  });

  it('two admins pressing at once on a human-tier card: exactly one approves, the other is told who did', async () => {
    const t = testCore();
    const { rem } = await seeded(t);
    const outcomes = await Promise.all([decide(t.core, rem.token, 'approve', USERS.bob), decide(t.core, rem.token, 'approve', USERS.carol)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['already_decided', 'approved']);
    expect(outcomes.find((o) => o.kind === 'already_decided')).toMatchObject({ state: 'approved', last: { userName: expect.stringMatching(/bob|carol/), decision: 'approve' } });
    expect(t.repos.jobRows).toHaveLength(1);
  });

  it('two admins racing on a dual card: one records, the other approves, and it executes once', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { plan: { tier: 'dual' } });
    const outcomes = await Promise.all([decide(t.core, rem.token, 'approve', USERS.bob), decide(t.core, rem.token, 'approve', USERS.carol)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['approval_recorded', 'approved']);
    expect(t.repos.jobRows).toHaveLength(1);
  });

  it('reject: rejected, asks for a reason, tells subscribers; the reason is stored', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t);
    expect(await decide(t.core, rem.token, 'reject', USERS.alice)).toEqual({ kind: 'rejected', incidentId: incident.id, token: rem.token, askReason: true });
    expect(t.outcomes).toEqual([{ remediationId: rem.id, origin: 'alert', state: 'rejected' }]);
    const refreshed: number[] = [];
    expect(await setRejectReason(t.core, async (id) => void refreshed.push(id), rem.token, USERS.alice, '  wrong pod  ')).toBe(true);
    expect(t.repos.ballots[0].reason).toBe('wrong pod');
    expect(refreshed).toEqual([incident.id]);
    expect(await setRejectReason(t.core, async () => {}, rem.token, USERS.bob, 'not mine')).toBe(false);
  });

  it('the Reject of an escalation dismisses it', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t, { plan: { action: 'escalate', approvalsRequired: 0 } });
    expect(await decide(t.core, rem.token, 'reject', USERS.alice)).toEqual({ kind: 'dismissed', incidentId: incident.id });
  });

  it('a forged Approve on an escalation (no Approve button) is refused and audited', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { plan: { action: 'escalate', approvalsRequired: 0 } });
    expect(await decide(t.core, rem.token, 'approve', USERS.bob)).toEqual({ kind: 'forbidden', reason: 'nothing_to_approve' });
    expect(t.repos.actions()).toEqual(['remediation.approve.denied']);
    expect(t.repos.remediationRows.get(rem.id)!.state).toBe('pending');
  });

  it('Later snoozes for the configured minutes and is not a vote: the same person may approve after', async () => {
    const t = testCore({ settings: { snoozeMinutes: 45 } });
    const { rem, incident } = await seeded(t);
    expect(await decide(t.core, rem.token, 'later', USERS.alice)).toEqual({ kind: 'snoozed', incidentId: incident.id, minutes: 45 });
    const snoozed = t.repos.remediationRows.get(rem.id)!;
    expect(snoozed.state).toBe('snoozed');
    expect(snoozed.snoozedUntil!.getTime() - t.clock.now().getTime()).toBe(45 * 60_000);
    // The card comes back, and Alice snoozes it again: her earlier Later does not block it.
    await t.repos.remediations.transition(rem.id, ['snoozed'], 'pending', t.clock.now());
    expect((await decide(t.core, rem.token, 'later', USERS.alice)).kind).toBe('snoozed');
    expect(t.repos.ballots.filter((b) => b.decision === 'later')).toHaveLength(1);
  });

  it('a press after the approval window is refused as expired, without waiting for the sweep', async () => {
    const t = testCore();
    const { rem, incident } = await seeded(t, { expiresAt: new Date('2026-11-21T06:10:00Z') });
    t.clock.set(new Date('2026-11-21T06:11:00Z'));
    expect(await decide(t.core, rem.token, 'approve', USERS.alice)).toEqual({ kind: 'already_decided', incidentId: incident.id, state: 'expired' });
    expect(t.repos.jobRows).toEqual([]);
  });

  it('an unknown token is stale', async () => {
    const t = testCore();
    expect(await decide(t.core, 'nope0000', 'approve', USERS.alice)).toEqual({ kind: 'stale' });
  });
});
