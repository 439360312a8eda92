/**
 * Planning: a diagnosis becomes a {@link RemediationPlan} — a catalog action on a target with its
 * parameters, scored by blast radius, checked by the guardrails, dry-run on the server. Routing
 * follows: `auto` (guardrails allow, auto-execution on) runs at once; `human`/`dual` get a card;
 * `blocked` gets a card without an execute button. What each action is (no-op, wording, undo hint)
 * comes from the action traits (`domain/actions/catalog.ts`).
 */
import { ACTION_TRAITS, actionTraits, describeAction } from '../domain/actions/catalog.ts';
import { emptyEvidence, type ActionKind, type Evidence, type TargetRef } from '../domain/diagnosis.ts';
import {
  blastRadiusInputFromEvidence,
  scoreBlastRadius,
  type BlastRadius,
  type BlastRadiusInput,
  type BlastRadiusPolicy,
  DEFAULT_BLAST_RADIUS_POLICY,
} from '../domain/blast-radius.ts';
import {
  checkGuardrails,
  DEFAULT_GUARDRAIL_POLICY,
  type GuardrailHistory,
  type GuardrailPolicy,
  type GuardrailVerdict,
} from '../domain/guardrails.ts';
import { approvalsRequired, type Tier } from '../domain/remediation/index.ts';
import { ACTION_CATALOG, ActionImpossible, DEFAULT_ACTION_POLICY, type ActionContext, type ActionPolicy } from './actions/index.ts';
import type { DiagnosisRecord } from './diagnose.ts';
import { K8sCallFailed, type ClusterPort } from './ports.ts';

/** Planning policy from config. */
export interface PlanPolicy {
  blastRadius: BlastRadiusPolicy;
  guardrails: GuardrailPolicy;
  actions: ActionPolicy;
}

/** Defaults: config.ts's defaults for every part. */
export const DEFAULT_PLAN_POLICY: PlanPolicy = {
  blastRadius: DEFAULT_BLAST_RADIUS_POLICY,
  guardrails: DEFAULT_GUARDRAIL_POLICY,
  actions: DEFAULT_ACTION_POLICY,
};

/** A policy with some parts overridden (tests, the offline CLI). */
export function planPolicy(overrides: {
  blastRadius?: Partial<BlastRadiusPolicy>;
  guardrails?: Partial<GuardrailPolicy>;
  actions?: Partial<ActionPolicy>;
} = {}): PlanPolicy {
  return {
    blastRadius: { ...DEFAULT_BLAST_RADIUS_POLICY, ...overrides.blastRadius },
    guardrails: { ...DEFAULT_GUARDRAIL_POLICY, ...overrides.guardrails },
    actions: { ...DEFAULT_ACTION_POLICY, ...overrides.actions },
  };
}

/** No actions in the last hour, no failures, no anti-patterns. */
export const NO_HISTORY: PlanHistory = { history: { executedInLastHour: 0, executedOnTargetInLastHour: 0 } };

/** What the guardrails need from history (read from the database by the caller). */
export interface PlanHistory {
  history: GuardrailHistory;
  /** When an unexpired anti-pattern for these symptoms and this action was recorded. */
  antiPatternSince?: Date;
}

/** A remediation plan, stored as JSON on the remediation. */
export interface RemediationPlan {
  action: ActionKind;
  target: TargetRef;
  params: Record<string, string | number>;
  description: string;
  blastRadius: BlastRadius;
  /** Routing tier after guardrails (an `auto` plan the guardrails refuse becomes `human`). */
  tier: Tier;
  approvalsRequired: number;
  /** True when it runs without a human (tier auto, guardrails allow, auto-execution enabled). */
  autoExecute: boolean;
  guardrails: GuardrailVerdict;
  /** How to undo it, in words. */
  rollbackPlan: string;
  /** Server-side dry-run at planning time. */
  dryRun: { ok: boolean; message: string } | null;
  /** Why the diagnosed action was replaced or the tier changed. */
  notes: string[];
  /** Pods the action touches. */
  affectedPods: number;
}

/**
 * Plans the diagnosed action: the diagnosis's action, else the next action the best finding
 * supports that the catalog can prepare on this target, else `escalate`. Never throws for cluster
 * errors: a failed dry-run is recorded in the plan.
 */
export async function planRemediation(
  diagnosis: DiagnosisRecord,
  evidence: Evidence,
  cluster: ClusterPort,
  policy: PlanPolicy,
  now: Date,
  past: PlanHistory = NO_HISTORY,
): Promise<RemediationPlan> {
  const target = evidence.target;
  const notes: string[] = [];
  const candidates = [...new Set<ActionKind>([diagnosis.action, ...(diagnosis.findings[0]?.actions ?? [])])];
  let chosen: { action: ActionKind; params: Record<string, string | number>; description: string; affectedPods: number } | undefined;
  for (const action of candidates) {
    if (ACTION_TRAITS[action].noOp) {
      chosen = { action, params: {}, description: describeAction(action, target), affectedPods: 0 };
      break;
    }
    const entry = ACTION_CATALOG[action];
    if (!entry.supports(target)) {
      notes.push(`${action} does not apply to a ${target.kind}`);
      continue;
    }
    const prepared = entry.prepare(evidence, catalogParams(diagnosis.params), policy.actions);
    if (prepared.kind === 'impossible') {
      notes.push(`${action} impossible: ${prepared.reason}`);
      continue;
    }
    chosen = { action, params: prepared.params, description: prepared.description, affectedPods: prepared.affectedPods };
    break;
  }
  if (!chosen) {
    notes.push('no catalog action fits; escalating to a human');
    chosen = { action: 'escalate', params: {}, description: describeAction('escalate', target), affectedPods: 0 };
  }
  const { action, params } = chosen;
  const input = blastRadiusInputFromEvidence(evidence, action, params);
  const blastRadius = scoreBlastRadius(input, policy.blastRadius);
  const guardrails = guardrailVerdict(input, blastRadius.tier, diagnosis.confidence, chosen.affectedPods, now, past, policy.guardrails);
  const { tier, autoExecute } = route(action, blastRadius.tier, guardrails, notes);

  let dryRun: RemediationPlan['dryRun'] = null;
  if (!ACTION_TRAITS[action].noOp && tier !== 'blocked') {
    dryRun = await dryRunAction(cluster, action, target, params, policy.actions, now);
  }
  return {
    action,
    target,
    params,
    description: chosen.description,
    blastRadius,
    tier,
    // Blocked plans can never be approved: 0 here, and the state `blocked` keeps them from running.
    approvalsRequired: ACTION_TRAITS[action].noOp || tier === 'blocked' || tier === 'auto' ? 0 : approvalsRequired(tier),
    autoExecute,
    guardrails,
    rollbackPlan: ACTION_TRAITS[action].undoHint,
    dryRun,
    notes,
    affectedPods: chosen.affectedPods,
  };
}

/**
 * The guardrails for an action, from blast-radius facts (healthy replicas before and after) and
 * history. Called when planning and again right before executing.
 */
export function guardrailVerdict(
  input: BlastRadiusInput,
  tier: Tier,
  confidence: number,
  affectedPods: number,
  now: Date,
  past: PlanHistory,
  policy: GuardrailPolicy,
): GuardrailVerdict {
  const before = input.availableReplicas;
  return checkGuardrails(
    {
      action: input.action,
      target: { kind: input.target.kind as TargetRef['kind'], namespace: input.target.namespace, name: input.target.name },
      params: input.params,
      tier,
      confidence,
      affectedPods,
      healthyReplicasBefore: before,
      healthyReplicasAfter: Math.max(0, before - (input.disruptedHealthyPods ?? 0)),
      now,
      history: past.history,
      antiPatternSince: past.antiPatternSince,
    },
    policy,
  );
}

/** Routing: a deny blocks; `auto` runs only when the guardrails allow, else a human decides. */
function route(action: ActionKind, scored: Tier, verdict: GuardrailVerdict, notes: string[]): { tier: Tier; autoExecute: boolean } {
  if (ACTION_TRAITS[action].noOp) return { tier: scored === 'blocked' ? 'blocked' : 'human', autoExecute: false };
  switch (verdict.kind) {
    case 'deny':
      notes.push(...verdict.reasons.map((r) => `guardrail: ${r}`));
      return { tier: 'blocked', autoExecute: false };
    case 'needs_approval':
      if (scored === 'auto') notes.push(...verdict.reasons.map((r) => `auto-execution refused: ${r}`));
      return { tier: scored === 'auto' ? 'human' : scored, autoExecute: false };
    case 'allow':
      return { tier: scored, autoExecute: scored === 'auto' };
  }
}

/** Server-side dry-run of an action through the catalog; refusals become `{ ok: false }`. */
export async function dryRunAction(
  cluster: ClusterPort,
  action: ActionKind,
  target: TargetRef,
  params: Record<string, string | number>,
  policy: ActionPolicy,
  now: Date = new Date(),
): Promise<{ ok: boolean; message: string }> {
  const ctx: ActionContext = { cluster, policy, now: () => now, step: async () => {} };
  try {
    await ACTION_CATALOG[action].dryRun(ctx, target, params);
    return { ok: true, message: 'server-side dry-run accepted' };
  } catch (err) {
    if (err instanceof ActionImpossible) return { ok: false, message: err.reason };
    if (err instanceof K8sCallFailed) return { ok: false, message: err.message };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Diagnosis params in the catalog's names: the model's answer schema says `revision` and `memory`
 * (domain/prompt.ts), the catalog reads `toRevision` and `limit`.
 */
export function catalogParams(params: Readonly<Record<string, string | number>>): Record<string, string | number> {
  const out: Record<string, string | number> = { ...params };
  if (out.revision !== undefined && out.toRevision === undefined) out.toRevision = out.revision;
  if (out.memory !== undefined && out.limit === undefined) out.limit = out.memory;
  delete out.revision;
  delete out.memory;
  return out;
}

/**
 * Plans the inverse of a finished remediation (Undo) as a new proposal: scored on live state, and
 * always decided by a human.
 * @throws Error when the recorded inverse names an action that is not in the catalog (corrupt data).
 * @param rem the remediation being undone.
 * @param inverse what its execution recorded as the way back.
 */
export async function planInverse(
  cluster: ClusterPort,
  rem: { id: number; target: TargetRef },
  inverse: { action: string; params: Record<string, string | number> },
  policy: PlanPolicy,
): Promise<RemediationPlan> {
  if (!actionTraits(inverse.action)) throw new Error(`undo of remediation #${rem.id}: recorded inverse action ${JSON.stringify(inverse.action)} is not in the catalog`);
  const plan = await planProposal(cluster, rem.target, inverse.action as ActionKind, inverse.params, policy, new Date());
  return { ...plan, rollbackPlan: 'the action being undone', notes: [`undo of remediation #${rem.id}`, ...plan.notes] };
}

/**
 * Plans an action Watchkeeper proposes itself (Undo, drift rollback, an alerting rule): scored on
 * live state, dry-run, always decided by a human (an `auto` score still needs one approver).
 */
export async function planProposal(
  cluster: ClusterPort,
  target: TargetRef,
  action: ActionKind,
  params: Record<string, string | number>,
  policy: PlanPolicy,
  now: Date,
): Promise<RemediationPlan> {
  const workload = ['Deployment', 'StatefulSet', 'DaemonSet'].includes(target.kind)
    ? await cluster.get(target.kind as 'Deployment', target.namespace, target.name).catch(() => undefined)
    : undefined;
  const evidence: Evidence = {
    ...emptyEvidence(target, now),
    ...(target.kind === 'Deployment' && workload ? { deployment: workload } : {}),
    ...(target.kind === 'StatefulSet' && workload ? { statefulSet: workload } : {}),
    ...(target.kind === 'DaemonSet' && workload ? { daemonSet: workload } : {}),
  };
  const blastRadius = scoreBlastRadius(blastRadiusInputFromEvidence(evidence, action, params), policy.blastRadius);
  const tier: Tier = blastRadius.tier === 'auto' ? 'human' : blastRadius.tier;
  const dryRun = tier !== 'blocked' && !ACTION_TRAITS[action].noOp ? await dryRunAction(cluster, action, target, params, policy.actions, now) : null;
  return {
    action,
    target,
    params,
    description: describeAction(action, target, params),
    blastRadius,
    tier,
    approvalsRequired: tier === 'blocked' ? 0 : approvalsRequired(tier),
    autoExecute: false,
    guardrails: { kind: 'allow' },
    rollbackPlan: ACTION_TRAITS[action].undoHint,
    dryRun,
    notes: [],
    affectedPods: 0,
  };
}
