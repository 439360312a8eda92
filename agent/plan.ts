/**
 * Planning: a diagnosis becomes a {@link RemediationPlan} — a catalog action on a target, scored
 * by blast radius, with its inverse and a server-side dry-run result.
 */
import type { ActionKind, Evidence, TargetRef } from '../domain/diagnosis.ts';
import type { Deployment, ReplicaSet } from '../domain/k8s-objects.ts';
import {
  approvalsRequired,
  describeAction,
  EXECUTABLE_ACTIONS,
  scoreBlastRadius,
  type BlastRadius,
  type Tier,
} from '../domain/remediation.ts';
import { planUndo, restartPatch, revisionOf, undoPatch } from '../domain/rollout.ts';
import type { DiagnosisRecord } from './diagnose.ts';
import type { ClusterPort, PatchBody } from './ports.ts';
import { selectorString } from '../domain/selectors.ts';

/** Planning policy from config. */
export interface PlanPolicy {
  protectedNamespaces: readonly string[];
  criticalNamespaces: readonly string[];
}

/** A remediation plan, stored as JSON on the remediation. */
export interface RemediationPlan {
  action: ActionKind;
  target: TargetRef;
  params: Record<string, string | number>;
  description: string;
  blastRadius: BlastRadius;
  tier: Tier;
  approvalsRequired: number;
  /** How to undo it, in words. */
  rollbackPlan: string;
  /** Server-side dry-run at planning time. */
  dryRun: { ok: boolean; message: string } | null;
  /** Why the diagnosed action was replaced (e.g. not executable on this kind). */
  notes: string[];
}

/**
 * Plans the diagnosed action. Executable actions today: `restart` and `rollback` on a Deployment;
 * anything else is proposed as `escalate` with a note. Never throws for cluster errors: a failed
 * dry-run is recorded in the plan.
 */
export async function planRemediation(
  diagnosis: DiagnosisRecord,
  evidence: Evidence,
  cluster: ClusterPort,
  policy: PlanPolicy,
  now: Date,
): Promise<RemediationPlan> {
  const target = evidence.target;
  const notes: string[] = [];
  let action: ActionKind = diagnosis.action;
  let params: Record<string, string | number> = { ...diagnosis.params };
  const dep = evidence.deployment;

  const executable = (a: ActionKind) => EXECUTABLE_ACTIONS.includes(a) && target.kind === 'Deployment' && dep !== undefined;
  if (action !== 'escalate' && action !== 'none' && !executable(action)) {
    // Fall back to the next action the best finding supports that can run today.
    const alternative = (diagnosis.findings[0]?.actions ?? []).find((a) => a !== action && executable(a));
    notes.push(`${action} on ${target.kind} is not executable yet; ${alternative ? `proposing ${alternative} instead` : 'escalating to a human'}`);
    action = alternative ?? 'escalate';
  }
  if (action === 'rollback' && dep) {
    const undo = planUndo(dep, evidence.replicaSets);
    if (undo.kind === 'impossible') {
      notes.push(`rollback impossible: ${undo.reason}`);
      action = 'escalate';
    } else {
      params = { ...params, fromRevision: undo.fromRevision, toRevision: undo.toRevision };
    }
  }

  const desired = dep?.spec?.replicas ?? 1;
  const blastRadius = scoreBlastRadius({
    action,
    target,
    desiredReplicas: desired,
    availableReplicas: dep?.status?.availableReplicas ?? 0,
    affectedPods: Math.max(desired, evidence.pods.length),
    protectedNamespaces: policy.protectedNamespaces,
    criticalNamespaces: policy.criticalNamespaces,
  });
  // Until guardrails exist, nothing runs without a human: `auto` is treated as `human`.
  // Escalations go to a human too (nothing to approve, but someone must look).
  const tier: Tier = blastRadius.tier === 'auto' ? 'human' : blastRadius.tier;

  let dryRun: RemediationPlan['dryRun'] = null;
  if ((action === 'restart' || action === 'rollback') && dep && tier !== 'blocked') {
    dryRun = await dryRunAction(cluster, action, dep, evidence.replicaSets, now);
  }
  return {
    action,
    target,
    params,
    description: describeAction(action, target, params),
    blastRadius,
    tier,
    // Blocked plans can never be approved: 0 here, and the state `blocked` keeps them from running.
    approvalsRequired: action === 'escalate' || action === 'none' || tier === 'blocked' ? 0 : approvalsRequired(tier),
    rollbackPlan: rollbackPlanFor(action, dep),
    dryRun,
    notes,
  };
}

/**
 * Builds the patch for an executable action against the live Deployment, carrying its
 * resourceVersion as a precondition.
 * @throws Error when a rollback has no previous revision.
 */
export function actionPatch(action: 'restart' | 'rollback', live: Deployment, replicaSets: ReplicaSet[], now: Date): PatchBody {
  const rv = live.metadata?.resourceVersion;
  if (action === 'restart') return { type: 'strategic', body: restartPatch(now, rv) };
  const undo = planUndo(live, replicaSets);
  if (undo.kind === 'impossible') throw new Error(`rollback impossible: ${undo.reason}`);
  return { type: 'json', body: undoPatch(undo.template, rv) };
}

async function dryRunAction(
  cluster: ClusterPort,
  action: 'restart' | 'rollback',
  dep: Deployment,
  replicaSets: ReplicaSet[],
  now: Date,
): Promise<{ ok: boolean; message: string }> {
  const ns = dep.metadata?.namespace ?? '';
  const name = dep.metadata?.name ?? '';
  try {
    await cluster.patch('Deployment', ns, name, actionPatch(action, dep, replicaSets, now), { dryRun: true });
    return { ok: true, message: 'server-side dry-run accepted' };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

function rollbackPlanFor(action: ActionKind, dep: Deployment | undefined): string {
  const rev = dep ? revisionOf(dep) : 0;
  switch (action) {
    case 'restart':
    case 'rollback':
      return rev ? `rollout undo back to revision ${rev}` : 'rollout undo to the previous revision';
    case 'escalate':
    case 'none':
      return 'nothing to undo';
    case 'scale':
    case 'delete_pod':
    case 'raise_memory':
      return 'restore the pre-state snapshot';
  }
}

/**
 * Plans the inverse of a finished remediation (Undo), against live state: same scoring and
 * dry-run as any proposal.
 * @param rem the remediation being undone.
 * @param inverse what its execution recorded as the way back.
 */
export async function planInverse(
  cluster: ClusterPort,
  rem: { id: number; target: TargetRef },
  inverse: { action: string; params: Record<string, string | number> },
  policy: PlanPolicy,
  now: Date = new Date(),
): Promise<RemediationPlan> {
  const target = rem.target;
  const action = inverse.action as ActionKind;
  let dep: Deployment | undefined;
  let replicaSets: ReplicaSet[] = [];
  if (target.kind === 'Deployment') {
    dep = (await cluster.get('Deployment', target.namespace, target.name).catch(() => undefined)) as Deployment | undefined;
    if (dep && action === 'rollback') {
      replicaSets = (await cluster
        .list('ReplicaSet', target.namespace, { labelSelector: selectorString(dep.spec?.selector) })
        .catch(() => [])) as ReplicaSet[];
    }
  }
  const desired = dep?.spec?.replicas ?? 1;
  const blastRadius = scoreBlastRadius({
    action,
    target,
    desiredReplicas: desired,
    availableReplicas: dep?.status?.availableReplicas ?? 0,
    affectedPods: desired,
    protectedNamespaces: policy.protectedNamespaces,
    criticalNamespaces: policy.criticalNamespaces,
  });
  const tier: Tier = blastRadius.tier === 'auto' ? 'human' : blastRadius.tier;
  const dryRun =
    (action === 'restart' || action === 'rollback') && dep && tier !== 'blocked'
      ? await dryRunAction(cluster, action, dep, replicaSets, now)
      : null;
  return {
    action,
    target,
    params: inverse.params,
    description: describeAction(action, target, inverse.params),
    blastRadius,
    tier,
    approvalsRequired: tier === 'blocked' ? 0 : approvalsRequired(tier),
    rollbackPlan: 'the action being undone',
    dryRun,
    notes: [`undo of remediation #${rem.id}`],
  };
}
