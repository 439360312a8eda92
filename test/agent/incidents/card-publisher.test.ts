/**
 * The card publisher over in-memory ports: one card per (incident, remediation), edits only when
 * the view changed, older cards of a remediation lose their buttons when it is re-posted, and a
 * silenced group gets no new card (audited).
 */
import { describe, expect, it } from 'vitest';
import { seeded, testCore } from './memory.ts';

describe('CardPublisher', () => {
  it('posts the newest remediation once; publishing again edits nothing that did not change', async () => {
    const t = testCore();
    const { incident, rem } = await seeded(t);
    await t.cards.publish(incident.id);
    await t.cards.publish(incident.id);
    expect(t.notifier.posted).toHaveLength(1);
    expect(t.notifier.posted[0].view).toMatchObject({ incidentId: incident.id, proposal: { remediationId: rem.id, token: rem.token, state: 'pending' }, actions: ['approve', 'reject', 'later', 'silence'] });
    expect(t.notifier.edits).toEqual([]);
    expect(t.repos.cardRows).toMatchObject([{ incidentId: incident.id, remediationId: rem.id, kind: 'incident' }]);
    expect(t.repos.actions()).toEqual(['card.post']);
  });

  it('a state change edits the card; the bot gets the new state and no buttons', async () => {
    const t = testCore();
    const { incident, rem } = await seeded(t);
    await t.cards.publish(incident.id);
    await t.repos.remediations.transition(rem.id, ['pending'], 'rejected', t.clock.now());
    await t.cards.refresh(incident.id);
    expect(t.notifier.edits).toHaveLength(1);
    expect(t.notifier.edits[0].view).toMatchObject({ proposal: { state: 'rejected' }, actions: [] });
  });

  it('a re-posted remediation (a woken snooze) keeps its buttons on the newest card only', async () => {
    const t = testCore();
    const { incident, rem } = await seeded(t);
    await t.cards.publish(incident.id);
    await t.cards.postAndRefresh(incident.id, rem.id);
    const [first, second] = t.notifier.posted.map((p) => p.ref.messageId);
    expect(t.notifier.shown(first)).toMatchObject({ repostedBelow: true, actions: [] });
    expect(t.notifier.shown(second)!.actions).toContain('approve');
  });

  it('a silenced group gets no new card, and that is audited', async () => {
    const t = testCore();
    const { incident } = await seeded(t);
    await t.repos.silences.add({ groupKey: incident.groupKey, until: new Date(t.clock.now().getTime() + 3_600_000), createdBy: 'alice', now: t.clock.now() });
    await t.cards.publish(incident.id);
    expect(t.notifier.posted).toEqual([]);
    expect(t.repos.actions()).toEqual(['card.suppressed']);
  });

  it('concurrent refreshes of one incident are folded: each view is sent once, in order', async () => {
    const t = testCore();
    const { incident, rem } = await seeded(t);
    await t.cards.publish(incident.id);
    await t.repos.remediations.transition(rem.id, ['pending'], 'approved', t.clock.now());
    await Promise.all([t.cards.refresh(incident.id), t.cards.refresh(incident.id), t.cards.refresh(incident.id)]);
    expect(t.notifier.edits.map((e) => e.view.proposal!.state)).toEqual(['approved']);
  });
});
