/**
 * Guardrails: every rule as a table, with its boundary, and how rules combine into a verdict.
 */
import { describe, expect, it } from 'vitest';
import { checkGuardrails, DEFAULT_GUARDRAIL_POLICY, type GuardrailInput, type GuardrailPolicy } from '../../domain/guardrails.ts';

const NOW = new Date('2024-05-01T12:00:00Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** Auto-execution on, everything else default. */
const POLICY: GuardrailPolicy = { ...DEFAULT_GUARDRAIL_POLICY, autoExecute: true };

/** A confident auto restart of a healthy 3-replica `shop/Deployment/web`, nothing executed lately. */
function input(over: Partial<GuardrailInput> = {}): GuardrailInput {
  return {
    action: 'restart',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    tier: 'auto',
    confidence: 0.9,
    affectedPods: 3,
    healthyReplicasBefore: 3,
    healthyReplicasAfter: 2,
    now: NOW,
    history: { executedInLastHour: 0, executedOnTargetInLastHour: 0 },
    ...over,
  };
}

function history(over: Partial<GuardrailInput['history']>): GuardrailInput['history'] {
  return { executedInLastHour: 0, executedOnTargetInLastHour: 0, ...over };
}

describe('checkGuardrails: the happy path', () => {
  it('allows a confident auto restart of a healthy workload', () => {
    expect(checkGuardrails(input(), POLICY)).toEqual({ kind: 'allow' });
  });

  it.each(['human', 'dual'] as const)('allows a %s-tier action (the tier decides the approvers)', (tier) => {
    expect(checkGuardrails(input({ tier, confidence: 0.1, affectedPods: 40 }), DEFAULT_GUARDRAIL_POLICY)).toEqual({ kind: 'allow' });
  });
});

describe('checkGuardrails: rate limits (deny)', () => {
  it.each<[number, number, string | undefined]>([
    [4, 0, undefined],
    [5, 0, 'rate limit: 5 actions executed in the last hour (limit 5)'],
    [6, 0, 'rate limit: 6 actions executed in the last hour (limit 5)'],
    [0, 2, undefined],
    [0, 3, 'rate limit: 3 actions on shop/Deployment/web in the last hour (limit 3 per resource)'],
    [1, 1, undefined],
  ])('%d executed overall, %d on the target', (overall, onTarget, reason) => {
    const v = checkGuardrails(input({ history: history({ executedInLastHour: overall, executedOnTargetInLastHour: onTarget }) }), POLICY);
    expect(v).toEqual(reason ? { kind: 'deny', reasons: [reason] } : { kind: 'allow' });
  });

  it('applies to human-approved actions too', () => {
    const v = checkGuardrails(input({ tier: 'human', history: history({ executedInLastHour: 5 }) }), POLICY);
    expect(v.kind).toBe('deny');
  });

  it('uses the configured limits', () => {
    const policy = { ...POLICY, maxActionsPerHour: 10, maxActionsPerResourcePerHour: 1 };
    expect(checkGuardrails(input({ history: history({ executedInLastHour: 9 }) }), policy)).toEqual({ kind: 'allow' });
    expect(checkGuardrails(input({ history: history({ executedOnTargetInLastHour: 1 }) }), policy).kind).toBe('deny');
  });
});

describe('checkGuardrails: cooldown after a failure (deny)', () => {
  it.each<[string, number, string | undefined]>([
    ['30 s ago', 30_000, 'cooldown: a restart of shop/Deployment/web failed less than 1 min ago; wait 10 min'],
    ['4 min ago', 4 * MIN, 'cooldown: a restart of shop/Deployment/web failed 4 min ago; wait 6 min'],
    ['9:59 ago', 9 * MIN + 59_000, 'cooldown: a restart of shop/Deployment/web failed 9 min ago; wait 1 min'],
    ['10:00 ago', 10 * MIN, undefined],
    ['10:01 ago', 10 * MIN + 1000, undefined],
    ['in the future (clock skew counts as now)', -2 * MIN, 'cooldown: a restart of shop/Deployment/web failed less than 1 min ago; wait 10 min'],
  ])('failure %s', (_name, elapsed, reason) => {
    const v = checkGuardrails(input({ history: history({ lastFailureOnTargetAt: ago(elapsed), lastFailedActionOnTarget: 'restart' }) }), POLICY);
    expect(v).toEqual(reason ? { kind: 'deny', reasons: [reason] } : { kind: 'allow' });
  });

  it('names "an action" when the failed action is unknown', () => {
    const v = checkGuardrails(input({ history: history({ lastFailureOnTargetAt: ago(2 * MIN) }) }), POLICY);
    expect(v).toEqual({ kind: 'deny', reasons: ['cooldown: an action of shop/Deployment/web failed 2 min ago; wait 8 min'] });
  });

  it('uses the configured cooldown', () => {
    const policy = { ...POLICY, failureCooldownMinutes: 30 };
    const v = checkGuardrails(input({ history: history({ lastFailureOnTargetAt: ago(20 * MIN), lastFailedActionOnTarget: 'rollback' }) }), policy);
    expect(v).toEqual({ kind: 'deny', reasons: ['cooldown: a rollback of shop/Deployment/web failed 20 min ago; wait 10 min'] });
  });
});

describe('checkGuardrails: namespace allowlist and action denylist (deny)', () => {
  it.each<[readonly string[], string, boolean]>([
    [[], 'shop', true],
    [['shop'], 'shop', true],
    [['dev-*', 'staging'], 'dev-team1', true],
    [['dev-*', 'staging'], 'shop', false],
    [['dev-*'], 'shop-dev', false],
  ])('allowlist %j, namespace %s → allowed %s', (allowlist, namespace, allowed) => {
    const v = checkGuardrails(input({ target: { kind: 'Deployment', namespace, name: 'web' } }), { ...POLICY, namespaceAllowlist: allowlist });
    expect(v).toEqual(allowed ? { kind: 'allow' } : { kind: 'deny', reasons: [`namespace: ${namespace} is not in the allowlist (${allowlist.join(', ')})`] });
  });

  it.each<[readonly string[], GuardrailInput['action'], boolean]>([
    [['rollback'], 'restart', true],
    [['restart'], 'restart', false],
    [['restart', 'rollback'], 'rollback', false],
    [['escalate'], 'escalate', false],
  ])('denylist %j, action %s → allowed %s', (denylist, action, allowed) => {
    const v = checkGuardrails(input({ action }), { ...POLICY, actionDenylist: denylist });
    expect(v).toEqual(allowed ? { kind: 'allow' } : { kind: 'deny', reasons: [`action denied: ${action} is on the action denylist`] });
  });

  it('denies a blocked tier', () => {
    expect(checkGuardrails(input({ tier: 'blocked' }), POLICY)).toEqual({
      kind: 'deny',
      reasons: ['blocked: the blast radius hit a hard rule; this action never executes'],
    });
  });
});

describe('checkGuardrails: at least one healthy replica remains', () => {
  it.each<[string, Partial<GuardrailInput>, GuardrailPolicy, string, string[]]>([
    ['delete the only ready pod', { action: 'delete_pod', healthyReplicasBefore: 1, healthyReplicasAfter: 0, affectedPods: 1 }, POLICY, 'deny', ['healthy replicas: deleting the pod would leave 0 of 1 healthy replicas of shop/Deployment/web (minimum 1)']],
    ['delete the only ready pod, human tier', { tier: 'human', action: 'delete_pod', healthyReplicasBefore: 1, healthyReplicasAfter: 0 }, POLICY, 'deny', ['healthy replicas: deleting the pod would leave 0 of 1 healthy replicas of shop/Deployment/web (minimum 1)']],
    ['delete one of two ready pods', { action: 'delete_pod', healthyReplicasBefore: 2, healthyReplicasAfter: 1, affectedPods: 1 }, POLICY, 'allow', []],
    ['delete a crashing pod when nothing is healthy', { action: 'delete_pod', healthyReplicasBefore: 0, healthyReplicasAfter: 0, affectedPods: 1 }, POLICY, 'allow', []],
    ['scale 3 → 1', { action: 'scale', params: { replicas: 1 }, healthyReplicasAfter: 1 }, POLICY, 'allow', []],
    ['scale to 0 not allowed', { action: 'scale', params: { replicas: 0 }, healthyReplicasAfter: 0 }, POLICY, 'deny', ['scale to 0: scaling shop/Deployment/web to 0 replicas is not allowed by policy']],
    ['scale to 0 explicitly allowed', { action: 'scale', params: { replicas: 0 }, healthyReplicasAfter: 0 }, { ...POLICY, allowScaleToZero: true }, 'allow', []],
    ['scale 3 → 1 with minimum 2', { action: 'scale', params: { replicas: 1 }, healthyReplicasAfter: 1 }, { ...POLICY, minHealthyReplicas: 2 }, 'deny', ['healthy replicas: scaling to 1 would leave 1 of 3 healthy replicas of shop/Deployment/web (minimum 2)']],
    ['scale above the bound', { action: 'scale', params: { replicas: 21 }, healthyReplicasAfter: 3 }, POLICY, 'deny', ['scale: 21 replicas exceeds the limit of 20']],
    ['scale to the bound', { action: 'scale', params: { replicas: 20 }, healthyReplicasAfter: 3 }, { ...POLICY, autoMaxAffectedPods: 20 }, 'allow', []],
    ['scale 3 → 2 with replicas as a string', { action: 'scale', params: { replicas: '2' }, healthyReplicasAfter: 2 }, POLICY, 'allow', []],
    ['scale to a fractional count', { action: 'scale', params: { replicas: 1.5 } }, POLICY, 'deny', ['scale: params.replicas is 1.5, not a replica count']],
    ['scale without replicas', { action: 'scale', params: {} }, POLICY, 'deny', ['scale: params.replicas is undefined, not a replica count']],
    ['auto restart of a single replica', { healthyReplicasBefore: 1, healthyReplicasAfter: 0, affectedPods: 1 }, POLICY, 'needs_approval', ['single replica: a restart leaves 0 of 1 healthy replicas of shop/Deployment/web (minimum 1) while it runs; a human must approve the downtime']],
    ['human restart of a single replica', { tier: 'human', healthyReplicasBefore: 1, healthyReplicasAfter: 0 }, POLICY, 'allow', []],
    ['auto rollback of a single replica', { action: 'rollback', healthyReplicasBefore: 1, healthyReplicasAfter: 0 }, POLICY, 'needs_approval', ['single replica: a rollback leaves 0 of 1 healthy replicas of shop/Deployment/web (minimum 1) while it runs; a human must approve the downtime']],
    ['auto restart of a single replica that is already down', { healthyReplicasBefore: 0, healthyReplicasAfter: 0, affectedPods: 1 }, POLICY, 'allow', []],
  ])('%s → %s', (_name, over, policy, kind, reasons) => {
    const v = checkGuardrails(input(over), policy);
    expect(v).toEqual(kind === 'allow' ? { kind } : { kind, reasons });
  });
});

describe('checkGuardrails: auto-only rules (needs approval)', () => {
  it.each<[string, Partial<GuardrailInput>, GuardrailPolicy, string[]]>([
    ['auto-execution off', {}, DEFAULT_GUARDRAIL_POLICY, ['auto-execution is off in config (AUTO_EXECUTE)']],
    ['confidence 0.84', { confidence: 0.84 }, POLICY, ['confidence: 0.84 is below the auto-execution threshold 0.85']],
    ['confidence NaN', { confidence: Number.NaN }, POLICY, ['confidence: unknown is below the auto-execution threshold 0.85']],
    ['4 affected pods', { affectedPods: 4 }, POLICY, ['affected pods: 4 pods exceed the auto-execution limit of 3']],
    ['anti-pattern 2 days ago', { antiPatternSince: ago(2 * DAY) }, POLICY, ['anti-pattern: a restart failed for these symptoms 2 d ago; auto-execution stays off for 5 d more']],
    ['anti-pattern 6 d 23 h ago', { antiPatternSince: ago(7 * DAY - 60 * MIN) }, POLICY, ['anti-pattern: a restart failed for these symptoms 6 d 23 h ago; auto-execution stays off for 1 h more']],
    ['anti-pattern recorded in the future', { antiPatternSince: ago(-MIN) }, POLICY, ['anti-pattern: a restart failed for these symptoms less than 1 min ago; auto-execution stays off for 7 d more']],
  ])('%s', (_name, over, policy, reasons) => {
    expect(checkGuardrails(input(over), policy)).toEqual({ kind: 'needs_approval', reasons });
  });

  it.each<[string, Partial<GuardrailInput>]>([
    ['confidence exactly 0.85', { confidence: 0.85 }],
    ['exactly 3 affected pods', { affectedPods: 3 }],
    ['anti-pattern exactly 7 days old', { antiPatternSince: ago(7 * DAY) }],
    ['anti-pattern 8 days old', { antiPatternSince: ago(8 * DAY) }],
  ])('allows at the boundary: %s', (_name, over) => {
    expect(checkGuardrails(input(over), POLICY)).toEqual({ kind: 'allow' });
  });

  it('lists every failing auto rule', () => {
    const v = checkGuardrails(input({ confidence: 0.5, affectedPods: 9, antiPatternSince: ago(MIN) }), DEFAULT_GUARDRAIL_POLICY);
    expect(v).toEqual({
      kind: 'needs_approval',
      reasons: [
        'auto-execution is off in config (AUTO_EXECUTE)',
        'confidence: 0.50 is below the auto-execution threshold 0.85',
        'affected pods: 9 pods exceed the auto-execution limit of 3',
        'anti-pattern: a restart failed for these symptoms 1 min ago; auto-execution stays off for 6 d 23 h more',
      ],
    });
  });
});

describe('checkGuardrails: combining rules', () => {
  it('deny wins over needs_approval and reports only deny reasons', () => {
    const v = checkGuardrails(
      input({ confidence: 0.1, history: history({ executedInLastHour: 5, executedOnTargetInLastHour: 3 }) }),
      POLICY,
    );
    expect(v).toEqual({
      kind: 'deny',
      reasons: [
        'rate limit: 5 actions executed in the last hour (limit 5)',
        'rate limit: 3 actions on shop/Deployment/web in the last hour (limit 3 per resource)',
      ],
    });
  });

  it.each(['escalate', 'none'] as const)('%s executes nothing: rate limits and cooldowns do not apply', (action) => {
    const v = checkGuardrails(
      input({ action, history: history({ executedInLastHour: 99, executedOnTargetInLastHour: 99, lastFailureOnTargetAt: NOW }) }),
      { ...POLICY, namespaceAllowlist: ['elsewhere'] },
    );
    expect(v).toEqual({ kind: 'allow' });
  });

  it.each<[string, Partial<GuardrailInput>, string]>([
    ['NaN executions', { history: history({ executedInLastHour: Number.NaN }) }, 'invalid input: history.executedInLastHour is NaN, not a count; refusing to execute'],
    ['negative healthy replicas', { healthyReplicasAfter: -1 }, 'invalid input: healthyReplicasAfter is -1, not a count; refusing to execute'],
    ['fractional affected pods', { affectedPods: 2.5 }, 'invalid input: affectedPods is 2.5, not a count; refusing to execute'],
  ])('fails closed on %s', (_name, over, reason) => {
    const v = checkGuardrails(input(over), POLICY);
    expect(v.kind).toBe('deny');
    expect(v.kind === 'deny' && v.reasons).toContain(reason);
  });

  it('throws RangeError for an invalid now (a caller bug)', () => {
    expect(() => checkGuardrails(input({ now: new Date('nope') }), POLICY)).toThrow(RangeError);
  });

  it('gives the same verdict on the second call when nothing changed, and a new one when live state did', () => {
    const planning = input();
    expect(checkGuardrails(planning, POLICY)).toEqual({ kind: 'allow' });
    // Before executing: another action ran meanwhile and hit the per-resource limit.
    const executing = { ...planning, now: new Date(NOW.getTime() + 5 * MIN), history: history({ executedInLastHour: 3, executedOnTargetInLastHour: 3 }) };
    expect(checkGuardrails(executing, POLICY).kind).toBe('deny');
  });

  it('defaults to the issue numbers with auto-execution off', () => {
    expect(DEFAULT_GUARDRAIL_POLICY).toEqual({
      maxActionsPerHour: 5,
      maxActionsPerResourcePerHour: 3,
      failureCooldownMinutes: 10,
      namespaceAllowlist: [],
      actionDenylist: [],
      minHealthyReplicas: 1,
      allowScaleToZero: false,
      maxScaleReplicas: 20,
      autoExecute: false,
      autoMinConfidence: 0.85,
      autoMaxAffectedPods: 3,
      antiPatternDays: 7,
    });
  });
});
