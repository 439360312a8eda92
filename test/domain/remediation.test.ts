/**
 * Remediation tiers, the state machine and action wording (blast-radius scoring: blast-radius.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import {
  approvalsRequired,
  canTransition,
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
