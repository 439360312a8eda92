/**
 * The agent's side of the action traits: the catalog registry has one module per kind, the
 * model's answer schema accepts exactly the kinds the model may choose, and planning reads no-op,
 * wording and undo hint from the traits (a no-op never reaches the cluster).
 */
import { describe, expect, it } from 'vitest';
import { ACTION_CATALOG } from '../../agent/actions/index.ts';
import { diagnosisAnswerSchema } from '../../agent/llm/schema.ts';
import { DEFAULT_PLAN_POLICY, planInverse, planProposal, planRemediation } from '../../agent/plan.ts';
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import type { ClusterPort } from '../../agent/ports.ts';
import { ACTION_KINDS, ACTION_TRAITS, type ActionKind } from '../../domain/actions/catalog.ts';
import { emptyEvidence, type TargetRef } from '../../domain/diagnosis.ts';

const NOW = new Date('2026-12-02T12:00:00Z');
const WEB: TargetRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };
const ROWS = ACTION_KINDS.map((k) => [k, ACTION_TRAITS[k]] as const);
const NO_OPS = ROWS.filter(([, t]) => t.noOp);

/** A cluster that records every call and answers none: reads fail, so dry-runs fail. */
function unreachableCluster(): { cluster: ClusterPort; calls: string[] } {
  const calls: string[] = [];
  const cluster = new Proxy({} as ClusterPort, {
    get: (_t, method) =>
      method === 'then'
        ? undefined
        : async () => {
            calls.push(String(method));
            throw new Error('the cluster is unreachable in this test');
          },
  });
  return { cluster, calls };
}

function diagnosis(action: ActionKind): DiagnosisRecord {
  return {
    source: 'rules',
    category: 'crash_loop',
    cause: 'container app keeps crashing (exit 1)',
    evidence: [],
    confidence: 0.9,
    action,
    params: {},
    findings: [{ analyzer: 'test', category: 'crash_loop', cause: 'container app keeps crashing', actions: [action] }],
    gaps: [],
    target: null,
    fallbackReasons: [],
  };
}

describe('ACTION_CATALOG', () => {
  it.each(ROWS)('has the %s module', (kind) => {
    expect(ACTION_CATALOG[kind].kind).toBe(kind);
  });
});

describe('diagnosisAnswerSchema', () => {
  it.each(ROWS)('accepts %s exactly when the model may choose it', (kind, traits) => {
    const answer = {
      summary: 'web crashes',
      probableCause: 'exit 1',
      category: 'crash_loop',
      confidence: 0.9,
      action: { kind, params: {} },
      reasoning: 'logs',
    };
    expect(diagnosisAnswerSchema.safeParse(answer).success).toBe(traits.model !== null);
  });
});

describe('planning reads the traits', () => {
  it.each(ROWS)('a proposed %s carries its wording and undo hint; only a no-op skips the dry-run', async (kind, traits) => {
    const { cluster } = unreachableCluster();
    const params = { replicas: 2 };
    const plan = await planProposal(cluster, WEB, kind, params, DEFAULT_PLAN_POLICY, NOW);
    expect(plan.description).toBe(traits.describe(WEB, params));
    expect(plan.rollbackPlan).toBe(traits.undoHint);
    if (traits.noOp) expect(plan.dryRun).toBeNull();
    else expect(plan.dryRun).toMatchObject({ ok: false });
  });

  it.each(NO_OPS)('a diagnosed %s is planned without a cluster call, needs no approval and never auto-executes', async (kind, traits) => {
    const { cluster, calls } = unreachableCluster();
    const plan = await planRemediation(diagnosis(kind), emptyEvidence(WEB, NOW), cluster, DEFAULT_PLAN_POLICY, NOW);
    expect(calls).toEqual([]);
    expect(plan).toMatchObject({ action: kind, approvalsRequired: 0, autoExecute: false, dryRun: null, rollbackPlan: traits.undoHint, tier: 'human' });
  });

  it('refuses to undo with an inverse action that is not in the catalog', async () => {
    const { cluster } = unreachableCluster();
    await expect(planInverse(cluster, { id: 7, target: WEB }, { action: 'drain', params: {} }, DEFAULT_PLAN_POLICY)).rejects.toThrow(
      'undo of remediation #7: recorded inverse action "drain" is not in the catalog',
    );
  });
});
