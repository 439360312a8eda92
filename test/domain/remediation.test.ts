/**
 * Remediation tiers, the state machine and action wording (blast-radius scoring: blast-radius.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import {
  applyDecision,
  approvalsRequired,
  AWAITING_DECISION,
  canTransition,
  IllegalTransition,
  IN_FLIGHT,
  legalSources,
  LIVE,
  UNDECIDED,
  type Ballot,
  type DecisionRuling,
  describeAction,
  escapeRegExp,
  globMatch,
  REMEDIATION_STATES,
  TERMINAL_STATES,
  tierForScore,
  type RemediationState,
} from '../../domain/remediation/index.ts';

describe('tierForScore', () => {
  it.each([
    [0, 'auto'],
    [10, 'auto'],
    [10.5, 'human'],
    [11, 'human'],
    [50, 'human'],
    [51, 'dual'],
    [99, 'dual'],
    [100, 'blocked'],
    [150, 'blocked'],
    [-5, 'auto'],
    [Number.NaN, 'blocked'], // fails closed
  ])('%d → %s', (score, tier) => {
    expect(tierForScore(score)).toBe(tier);
  });
});

describe('approvalsRequired', () => {
  it.each([
    ['auto', 0],
    ['human', 1],
    ['dual', 2],
    ['blocked', Number.POSITIVE_INFINITY],
  ] as const)('%s → %d', (tier, n) => {
    expect(approvalsRequired(tier)).toBe(n);
  });
});

describe('canTransition', () => {
  const allowed: Array<[RemediationState, RemediationState]> = [
    ['proposed', 'pending'],
    ['proposed', 'blocked'],
    ['proposed', 'approved'],
    ['proposed', 'cancelled'],
    ['pending', 'approved'],
    ['pending', 'rejected'],
    ['pending', 'expired'],
    ['pending', 'snoozed'],
    ['pending', 'cancelled'],
    ['snoozed', 'pending'],
    ['snoozed', 'expired'],
    ['snoozed', 'cancelled'],
    ['approved', 'executing'],
    ['approved', 'cancelled'],
    ['executing', 'verifying'],
    ['executing', 'failed'],
    ['verifying', 'succeeded'],
    ['verifying', 'failed'],
  ];
  const key = (from: string, to: string) => `${from}→${to}`;
  const allowedKeys = new Set(allowed.map(([f, t]) => key(f, t)));
  const every = REMEDIATION_STATES.flatMap((from) => REMEDIATION_STATES.map((to) => [from, to, allowedKeys.has(key(from, to))] as const));

  it.each(every)('%s → %s: %s', (from, to, expected) => {
    expect(canTransition(from, to)).toBe(expected);
  });

  it.each(TERMINAL_STATES.map((s) => [s]))('terminal state %s has no way out', (state) => {
    expect(REMEDIATION_STATES.filter((to) => canTransition(state, to))).toEqual([]);
  });

  it.each([
    ['pending', 'executing'], // never execute without an approval
    ['blocked', 'approved'], // a hard rule is final
    ['rejected', 'approved'],
    ['approved', 'pending'],
  ] as const)('forbids %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });
});


const target: TargetRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };

describe('globMatch', () => {
  it.each([
    ['*-prod', 'shop-prod', true],
    ['*-prod', '-prod', true],
    ['*-prod', 'shop-prod-2', false],
    ['prod', 'prod', true],
    ['prod', 'production', false],
    ['team-*-prod', 'team-a-prod', true],
    ['*', 'anything', true],
    ['*', '', true],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false], // '.' is literal
    ['a+', 'aa', false], // '+' is literal
    ['a+', 'a+', true],
    ['(x)', '(x)', true],
    ['[ab]', 'a', false],
    ['[ab]', '[ab]', true],
    ['^x$', '^x$', true],
  ])('globMatch(%j, %j) → %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });
});

describe('escapeRegExp', () => {
  it.each(['.', '*', '+', '?', '^', '$', '{', '}', '(', ')', '|', '[', ']', '\\', 'a.b*c', 'x{1,2}', 'no-specials_here'])(
    '%j matches only itself once escaped',
    (s) => {
      const re = new RegExp(`^${escapeRegExp(s)}$`);
      expect(re.test(s)).toBe(true);
      expect(re.test(`${s}x`)).toBe(false);
    },
  );

  it.each([
    ['a.b', 'a\\.b'],
    ['(a|b)', '\\(a\\|b\\)'],
    ['plain', 'plain'],
  ])('escapeRegExp(%j) → %j', (s, expected) => {
    expect(escapeRegExp(s)).toBe(expected);
  });
});

describe('describeAction', () => {
  it.each<[ActionKind, TargetRef, Record<string, unknown>, string]>([
    ['restart', target, {}, 'rollout restart deployment/web'],
    ['rollback', target, { toRevision: 4 }, 'rollout undo deployment/web to revision 4'],
    ['rollback', target, {}, 'rollout undo deployment/web'],
    ['scale', target, { replicas: 5 }, 'scale deployment/web to 5 replicas'],
    ['scale', target, {}, 'scale deployment/web to ? replicas'],
    ['delete_pod', { kind: 'Pod', namespace: 'shop', name: 'web-1' }, {}, 'delete pod web-1'],
    ['delete_pod', target, { pod: 'web-abc' }, 'delete pod web-abc'],
    ['raise_memory', target, { container: 'app' }, 'raise memory limit of app in deployment/web'],
    ['raise_memory', { kind: 'StatefulSet', namespace: 'db', name: 'pg' }, {}, 'raise memory limit of container in statefulset/pg'],
    ['escalate', target, {}, 'escalate to a human (no automatic action)'],
    ['none', target, {}, 'no action'],
  ])('%s %j %j → %s', (action, t, params, expected) => {
    expect(describeAction(action, t, params)).toBe(expected);
  });
});

describe('applyDecision (approval quorum)', () => {
  const NOW = new Date('2026-11-21T06:30:00Z');
  const pending = (approvalsRequired = 1, expiresAt: Date | null = new Date('2026-11-21T07:00:00Z')) => ({ state: 'pending' as const, approvalsRequired, expiresAt });
  it.each<[string, ReturnType<typeof pending> | { state: RemediationState; approvalsRequired: number; expiresAt: Date | null }, Ballot[], Ballot, DecisionRuling]>([
    ['one approval of one', pending(1), [], { userId: 1, decision: 'approve' }, { kind: 'transition', to: 'approved', replacesLater: false, approvals: 1 }],
    ['first of two', pending(2), [], { userId: 1, decision: 'approve' }, { kind: 'recorded', approvals: 1 }],
    ['second person of two', pending(2), [{ userId: 1, decision: 'approve' }], { userId: 2, decision: 'approve' }, { kind: 'transition', to: 'approved', replacesLater: false, approvals: 2 }],
    ['same person twice', pending(2), [{ userId: 1, decision: 'approve' }], { userId: 1, decision: 'approve' }, { kind: 'already_voted' }],
    ['Later is not a vote (snooze again)', pending(1), [{ userId: 1, decision: 'later' }], { userId: 1, decision: 'later' }, { kind: 'transition', to: 'snoozed', replacesLater: true, approvals: 0 }],
    ['Later does not count as an approval', pending(2), [{ userId: 1, decision: 'later' }, { userId: 2, decision: 'approve' }], { userId: 1, decision: 'approve' }, { kind: 'transition', to: 'approved', replacesLater: false, approvals: 2 }],
    ['a reject after one approval', pending(2), [{ userId: 1, decision: 'approve' }], { userId: 2, decision: 'reject' }, { kind: 'transition', to: 'rejected', replacesLater: false, approvals: 1 }],
    ['nothing to approve still needs one approver', pending(0), [], { userId: 1, decision: 'approve' }, { kind: 'transition', to: 'approved', replacesLater: false, approvals: 1 }],
    ['past the deadline', pending(1, new Date('2026-11-21T06:29:59Z')), [], { userId: 1, decision: 'approve' }, { kind: 'expire' }],
    ['no deadline', pending(1, null), [], { userId: 1, decision: 'approve' }, { kind: 'transition', to: 'approved', replacesLater: false, approvals: 1 }],
    ['already approved', { state: 'approved', approvalsRequired: 1, expiresAt: null }, [{ userId: 1, decision: 'approve' }], { userId: 2, decision: 'approve' }, { kind: 'not_pending' }],
    ['snoozed', { state: 'snoozed', approvalsRequired: 1, expiresAt: null }, [], { userId: 2, decision: 'reject' }, { kind: 'not_pending' }],
  ])('%s', (_name, rem, ballots, press, expected) => {
    expect(applyDecision(rem, ballots, press, NOW)).toEqual(expected);
  });
});

describe('legalSources', () => {
  it('keeps the states that may move to the target', () => {
    expect(legalSources(['proposed', 'pending', 'snoozed', 'approved'], 'cancelled')).toEqual(['proposed', 'pending', 'snoozed', 'approved']);
    expect(legalSources(['executing', 'verifying'], 'failed')).toEqual(['executing', 'verifying']);
    expect(legalSources(['pending', 'verifying'], 'expired')).toEqual(['pending']);
  });

  it('throws IllegalTransition when none may', () => {
    expect(() => legalSources(['succeeded'], 'pending')).toThrow(IllegalTransition);
  });
});

describe('state sets', () => {
  it.each([
    ['LIVE', LIVE],
    ['UNDECIDED', UNDECIDED],
    ['AWAITING_DECISION', AWAITING_DECISION],
    ['IN_FLIGHT', IN_FLIGHT],
  ] as const)('%s holds no terminal state', (_name, set) => {
    expect(set.filter((s) => TERMINAL_STATES.includes(s))).toEqual([]);
  });

  it('every undecided state may be cancelled (an incident resolving cancels them in one statement)', () => {
    expect(UNDECIDED.every((s) => canTransition(s, 'cancelled'))).toBe(true);
  });
});
