/**
 * Learning from verified outcomes over in-memory ports: trust (EWMA), a runbook draft with its
 * review card on success, an anti-pattern on failure, nothing from undo or no-op actions; and
 * Publish / Discard on the review card.
 */
import { describe, expect, it } from 'vitest';
import { decideKnowledge, learnFromOutcome } from '../../../agent/incidents/learning.ts';
import type { DiagnosisRecord } from '../../../agent/diagnose.ts';
import { seeded, testCore, USERS } from './memory.ts';

const diagnosis: DiagnosisRecord = {
  source: 'rules',
  category: 'crash_loop',
  cause: 'container app exits with code 1',
  evidence: ['web-1: CrashLoopBackOff'],
  confidence: 0.8,
  action: 'restart',
  params: {},
  findings: [],
  gaps: [],
  target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
  fallbackReasons: [],
};

describe('learnFromOutcome', () => {
  it('a success raises trust, drafts a runbook and posts its review card (Publish / Discard)', async () => {
    const t = testCore({ settings: { trustAlpha: 0.5 } });
    const { rem } = await seeded(t, { state: 'succeeded', symptomsHash: 'abcdef0123456789', incident: { diagnosis } });
    await learnFromOutcome(t.core, t.cards, rem, { ok: true, message: 'rollout complete: 3/3 ready' });
    expect(t.repos.playbookRows).toMatchObject([{ symptomsHash: 'abcdef0123456789', action: 'restart', category: 'crash_loop', successes: 1, failures: 0 }]);
    // EWMA from the prior 0.5 with α 0.5 and outcome 1.
    expect(t.repos.playbookRows[0].trustScore).toBeCloseTo(0.75);
    expect(t.repos.knowledgeRows).toMatchObject([{ kind: 'runbook', status: 'draft', remediationId: rem.id }]);
    expect(t.notifier.knowledge).toMatchObject([{ view: { kind: 'runbook', status: 'draft', actions: ['publish', 'discard'] }, edit: false }]);
    expect(t.repos.actions()).toEqual(['playbook.outcome']);
  });

  it('a failure lowers trust and publishes an anti-pattern that expires, without a review card', async () => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'failed', symptomsHash: 'abcdef0123456789', incident: { diagnosis } });
    await learnFromOutcome(t.core, t.cards, rem, { ok: false, message: 'still crash looping' });
    expect(t.repos.playbookRows).toMatchObject([{ successes: 0, failures: 1 }]);
    expect(t.repos.knowledgeRows).toMatchObject([{ kind: 'anti_pattern', status: 'published', body: expect.stringContaining('still crash looping') }]);
    expect(t.repos.knowledgeRows[0].expiresAt!.getTime()).toBeGreaterThan(t.clock.now().getTime());
    expect(t.notifier.knowledge).toEqual([]);
  });

  it.each([
    ['an undo', { undoOf: 1 }],
    ['an escalation', { action: 'escalate' as const }],
    ['no symptoms hash', { symptomsHash: null }],
  ])('%s teaches nothing', async (_what, over) => {
    const t = testCore();
    const { rem } = await seeded(t, { state: 'succeeded', symptomsHash: 'abcdef0123456789', incident: { diagnosis } });
    await learnFromOutcome(t.core, t.cards, { ...rem, ...over }, { ok: true, message: 'ok' });
    expect(t.repos.playbookRows).toEqual([]);
    expect(t.repos.knowledgeRows).toEqual([]);
  });
});

describe('decideKnowledge', () => {
  it('an approver publishes a draft once; a viewer is refused and audited; a second press is already decided', async () => {
    const t = testCore();
    const id = await t.repos.knowledge.create({ kind: 'runbook', status: 'draft', symptomsHash: 'h', action: 'restart', target: 't', title: 'x', body: 'y', now: t.clock.now() });
    expect(await decideKnowledge(t.core, id, 'publish', USERS.vic)).toEqual({ kind: 'forbidden', reason: 'not_an_approver' });
    expect(t.repos.auditRows).toEqual([expect.objectContaining({ actor: 'user:4', action: 'knowledge.publish.denied' })]);
    expect(await decideKnowledge(t.core, id, 'publish', USERS.alice)).toEqual({ kind: 'published', knowledgeId: id });
    expect(await decideKnowledge(t.core, id, 'discard', USERS.bob)).toEqual({ kind: 'already_decided', knowledgeId: id, status: 'published' });
    expect(await decideKnowledge(t.core, 999, 'publish', USERS.alice)).toEqual({ kind: 'stale' });
  });
});
