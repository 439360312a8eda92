/**
 * The action traits (domain/actions/catalog.ts) drive blast radius, guardrails and the prompt:
 * every table here runs over ACTION_TRAITS and calls the real scoring, guardrail and prompt
 * functions, so a new action is checked by adding its traits entry.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_KINDS, ACTION_TRAITS, actionTraits, describeAction, MODEL_ACTION_KINDS, type ActionKind, type PodEffect } from '../../domain/actions/catalog.ts';
import { blastRadiusInputFromEvidence, DEFAULT_BLAST_RADIUS_POLICY, scoreBlastRadius, type BlastRadiusInput } from '../../domain/blast-radius.ts';
import { emptyEvidence, type TargetRef } from '../../domain/diagnosis.ts';
import { checkGuardrails, DEFAULT_GUARDRAIL_POLICY, type GuardrailInput } from '../../domain/guardrails.ts';
import { diagnosisSystemPrompt, formatActionCatalog } from '../../domain/prompt.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const WEB: TargetRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };
/** One row per action kind: [kind, its traits]. */
const ROWS = ACTION_KINDS.map((k) => [k, ACTION_TRAITS[k]] as const);
const NO_OPS = ROWS.filter(([, t]) => t.noOp);
const ACTING = ROWS.filter(([, t]) => !t.noOp);

/** Params an action needs to be scored on its own merits (a replica count that changes nothing). */
const paramsFor = (effect: PodEffect, replicas = 3) => (effect === 'sets_replicas' ? { replicas } : {});

function scoreInput(action: ActionKind, over: Partial<BlastRadiusInput> = {}): BlastRadiusInput {
  return { action, target: WEB, params: paramsFor(ACTION_TRAITS[action].pods), desiredReplicas: 3, availableReplicas: 3, ...over };
}

describe('ACTION_TRAITS', () => {
  it('offers the model every action but the ones only Watchkeeper proposes', () => {
    expect(MODEL_ACTION_KINDS).toEqual(ACTION_KINDS.filter((k) => k !== 'apply_manifest'));
  });

  it.each(ROWS)('%s: a no-op neither touches pods nor adds risk', (_kind, traits) => {
    if (traits.noOp) expect([traits.pods, traits.baseRisk]).toEqual(['none', 0]);
    else expect(traits.baseRisk).toBeGreaterThan(0);
  });

  it.each([
    ['restart', true],
    ['none', true],
    ['drain', false],
    ['toString', false],
    ['', false],
  ])('actionTraits(%j) is known: %s', (kind, known) => {
    expect(actionTraits(kind) !== undefined).toBe(known);
  });

  it.each(ROWS)('describeAction(%s) is its traits wording', (kind, traits) => {
    expect(describeAction(kind, WEB, { replicas: 4 })).toBe(traits.describe(WEB, { replicas: 4 }));
  });
});

describe('blast radius reads the traits', () => {
  it.each(ROWS)('%s on a healthy 3-replica Deployment scores its base risk', (kind, traits) => {
    const r = scoreBlastRadius(scoreInput(kind), DEFAULT_BLAST_RADIUS_POLICY);
    expect(r.contributions).toEqual([{ rule: 'base_risk', points: traits.baseRisk, reason: `${kind}: base risk ${traits.baseRisk}` }]);
    expect(r.score).toBe(traits.baseRisk);
  });

  it.each(NO_OPS)('%s (no-op) ignores everything but the deny list', (kind, traits) => {
    const risky = scoreInput(kind, { target: { ...WEB, namespace: 'shop-prod' }, workloadKind: 'StatefulSet', desiredReplicas: 1, availableReplicas: 1 });
    expect(scoreBlastRadius(risky, DEFAULT_BLAST_RADIUS_POLICY).score).toBe(traits.baseRisk);
    expect(scoreBlastRadius(scoreInput(kind, { target: { ...WEB, namespace: 'kube-system' } }), DEFAULT_BLAST_RADIUS_POLICY).tier).not.toBe('blocked');
    expect(scoreBlastRadius(scoreInput(kind), { ...DEFAULT_BLAST_RADIUS_POLICY, deniedActions: [kind] }).tier).toBe('blocked');
  });

  it.each(ACTING)('%s is blocked in a protected namespace and weighed in a critical one', (kind) => {
    const prot = scoreBlastRadius(scoreInput(kind, { target: { ...WEB, namespace: 'kube-system' } }), DEFAULT_BLAST_RADIUS_POLICY);
    expect(prot.hardRules.map((h) => h.rule)).toContain('protected_namespace');
    const crit = scoreBlastRadius(scoreInput(kind, { target: { ...WEB, namespace: 'shop-prod' } }), DEFAULT_BLAST_RADIUS_POLICY);
    expect(crit.contributions.map((c) => c.rule)).toContain('critical_namespace');
  });

  it.each(ACTING)('%s on a single ready replica: downtime counted only when it replaces pods', (kind, traits) => {
    const r = scoreBlastRadius(scoreInput(kind, { params: paramsFor(traits.pods, 1), desiredReplicas: 1, availableReplicas: 1 }), DEFAULT_BLAST_RADIUS_POLICY);
    const single = r.contributions.find((c) => c.rule === 'single_replica');
    if (traits.pods === 'replaces_all' || traits.pods === 'replaces_one') expect(single?.reason).toBe(`single replica: ${traits.phrase} means downtime (+15)`);
    else expect(single).toBeUndefined();
  });

  it.each(ROWS)('%s needs params.replicas only when it sets the replica count', (kind, traits) => {
    const r = scoreBlastRadius(scoreInput(kind, { params: {} }), DEFAULT_BLAST_RADIUS_POLICY);
    expect(r.hardRules.some((h) => h.rule === 'invalid_input')).toBe(traits.pods === 'sets_replicas');
  });

  /** Pods touched and healthy pods taken down on a 5-replica Deployment (maxUnavailable 25% → 1), by pod effect. */
  const BY_EFFECT: Record<PodEffect, { affectedPods: number; disruptedHealthyPods: number }> = {
    replaces_all: { affectedPods: 5, disruptedHealthyPods: 1 },
    replaces_one: { affectedPods: 1, disruptedHealthyPods: 1 },
    sets_replicas: { affectedPods: 3, disruptedHealthyPods: 3 }, // scale 5 → 2
    none: { affectedPods: 0, disruptedHealthyPods: 0 },
  };
  it.each(ROWS)('%s: pods affected and disrupted follow its pod effect', (kind, traits) => {
    const evidence = {
      ...emptyEvidence(WEB, NOW),
      deployment: { metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 5 }, status: { availableReplicas: 5 } },
    };
    const input = blastRadiusInputFromEvidence(evidence, kind, paramsFor(traits.pods, 2));
    expect({ affectedPods: input.affectedPods, disruptedHealthyPods: input.disruptedHealthyPods }).toEqual(BY_EFFECT[traits.pods]);
  });
});

describe('guardrails read the traits', () => {
  function guardInput(action: ActionKind, over: Partial<GuardrailInput> = {}): GuardrailInput {
    return {
      action,
      target: WEB,
      params: paramsFor(ACTION_TRAITS[action].pods),
      tier: 'human',
      confidence: 0.9,
      affectedPods: 1,
      healthyReplicasBefore: 3,
      healthyReplicasAfter: 2,
      now: NOW,
      history: { executedInLastHour: 0, executedOnTargetInLastHour: 0 },
      ...over,
    };
  }

  it.each(ROWS)('%s is refused when on the action denylist', (kind) => {
    const v = checkGuardrails(guardInput(kind), { ...DEFAULT_GUARDRAIL_POLICY, actionDenylist: [kind] });
    expect(v).toEqual({ kind: 'deny', reasons: [`action denied: ${kind} is on the action denylist`] });
  });

  it.each(ROWS)('%s: rate limits and a blocked tier stop it unless it is a no-op', (kind, traits) => {
    const v = checkGuardrails(guardInput(kind, { tier: 'blocked', history: { executedInLastHour: 99, executedOnTargetInLastHour: 99 } }), DEFAULT_GUARDRAIL_POLICY);
    expect(v.kind).toBe(traits.noOp ? 'allow' : 'deny');
  });

  /** An auto-tier action taking the last healthy replica away (scale: to 0, not allowed), by pod effect: verdict and first reason. */
  const LAST_REPLICA: Record<PodEffect, ['deny' | 'needs_approval', RegExp]> = {
    replaces_all: ['needs_approval', /^single replica: a \w+ leaves 0 of 1 healthy replicas/],
    replaces_one: ['deny', /^healthy replicas: deleting the pod would leave 0 of 1/],
    sets_replicas: ['deny', /^scale to 0: /],
    none: ['needs_approval', /^auto-execution is off/],
  };
  it.each(ACTING)('%s on the last healthy replica (auto tier)', (kind, traits) => {
    const v = checkGuardrails(
      guardInput(kind, { tier: 'auto', params: paramsFor(traits.pods, 0), healthyReplicasBefore: 1, healthyReplicasAfter: 0 }),
      DEFAULT_GUARDRAIL_POLICY,
    );
    const [verdict, reason] = LAST_REPLICA[traits.pods];
    expect(v.kind).toBe(verdict);
    expect(v.kind === 'allow' ? '' : v.reasons[0]).toMatch(reason);
  });

  it.each(ACTING.filter(([, t]) => t.pods === 'sets_replicas'))('%s down to fewer healthy replicas than the minimum is refused', (kind) => {
    const v = checkGuardrails(guardInput(kind, { params: { replicas: 1 }, healthyReplicasBefore: 2, healthyReplicasAfter: 0 }), DEFAULT_GUARDRAIL_POLICY);
    expect(v).toMatchObject({ kind: 'deny', reasons: [expect.stringMatching(/^healthy replicas: scaling to 1 would leave 0 of 2/)] });
  });
});

describe('the prompt reads the traits', () => {
  it.each(ROWS)('%s is offered to the model exactly when it has a model hint', (kind, traits) => {
    const catalog = formatActionCatalog();
    if (traits.model) expect(catalog.split('\n')).toContain(`- ${kind}: ${traits.model.summary} params: ${traits.model.params}`);
    else expect(catalog).not.toContain(`- ${kind}:`);
  });

  it('puts the catalog into the system prompt in catalog order', () => {
    const lines = formatActionCatalog().split('\n');
    expect(lines.map((l) => l.slice(2, l.indexOf(':')))).toEqual([...MODEL_ACTION_KINDS]);
    expect(diagnosisSystemPrompt()).toContain(formatActionCatalog());
  });
});
