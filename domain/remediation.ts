/**
 * Remediation plans, blast-radius scoring, tiers and the remediation state machine. Pure.
 */
import type { ActionKind, TargetRef } from './diagnosis.ts';

/** Lifecycle of a remediation (issue "Safe remediation"). */
export const REMEDIATION_STATES = [
  'proposed',
  'pending',
  'approved',
  'executing',
  'verifying',
  'succeeded',
  'failed',
  'rejected',
  'expired',
  'blocked',
  'snoozed',
  'cancelled',
] as const;
export type RemediationState = (typeof REMEDIATION_STATES)[number];

/** States from which nothing more happens. */
export const TERMINAL_STATES: readonly RemediationState[] = ['succeeded', 'failed', 'rejected', 'expired', 'blocked', 'cancelled'];

/** Allowed transitions; every state change in the store is checked against this table. */
export const TRANSITIONS: Readonly<Record<RemediationState, readonly RemediationState[]>> = {
  proposed: ['pending', 'blocked', 'approved', 'cancelled'],
  pending: ['approved', 'rejected', 'expired', 'snoozed', 'cancelled'],
  snoozed: ['pending', 'expired', 'cancelled'],
  approved: ['executing', 'cancelled'],
  executing: ['verifying', 'failed'],
  verifying: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  rejected: [],
  expired: [],
  blocked: [],
  cancelled: [],
};

/** True when `from → to` is a legal transition. */
export function canTransition(from: RemediationState, to: RemediationState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Who must approve: `auto` runs at once, `human` needs one approver, `dual` two, `blocked` none may. */
export type Tier = 'auto' | 'human' | 'dual' | 'blocked';

/**
 * Tier for a blast-radius score 0–100: auto ≤ 10, human 11–50, dual 51–99, blocked 100.
 * A score that is not a number fails closed (`blocked`), never open (`auto`).
 */
export function tierForScore(score: number): Tier {
  if (Number.isNaN(score) || score >= 100) return 'blocked';
  if (score > 50) return 'dual';
  if (score > 10) return 'human';
  return 'auto';
}

/** Approvals a tier needs before executing. */
export function approvalsRequired(tier: Tier): number {
  switch (tier) {
    case 'auto':
      return 0;
    case 'human':
      return 1;
    case 'dual':
      return 2;
    case 'blocked':
      return Number.POSITIVE_INFINITY;
  }
}

/** Facts about the target that the score depends on, read from live state when planning. */
export interface BlastRadiusInput {
  action: ActionKind;
  target: TargetRef;
  /** Desired replicas of the workload (1 for a bare pod). */
  desiredReplicas: number;
  /** Currently available replicas. */
  availableReplicas: number;
  /** Pods the action touches. */
  affectedPods: number;
  /** Namespaces where no action may ever run (e.g. kube-system). */
  protectedNamespaces: readonly string[];
  /** Glob patterns of critical namespaces, e.g. `*-prod`. */
  criticalNamespaces: readonly string[];
  /** The workload mounts volumes / is a StatefulSet. */
  stateful?: boolean;
}

/** Score with the reasons shown on the card. */
export interface BlastRadius {
  score: number;
  tier: Tier;
  reasons: string[];
}

/** Base risk of each catalog action (points of 100). */
export const ACTION_BASE_RISK: Readonly<Record<ActionKind, number>> = {
  none: 0,
  escalate: 0,
  delete_pod: 10,
  restart: 15,
  scale: 20,
  rollback: 25,
  raise_memory: 30,
  apply_manifest: 20,
};

/**
 * Scores an action's blast radius, 0–100, with a reason per contribution. Hard rules score 100
 * (blocked): protected namespaces. The tier follows {@link tierForScore}.
 */
export function scoreBlastRadius(input: BlastRadiusInput): BlastRadius {
  const reasons: string[] = [];
  if (input.protectedNamespaces.includes(input.target.namespace)) {
    return { score: 100, tier: 'blocked', reasons: [`namespace ${input.target.namespace} is protected`] };
  }
  let score = ACTION_BASE_RISK[input.action];
  reasons.push(`${input.action}: base risk ${score}`);
  if (input.criticalNamespaces.some((p) => globMatch(p, input.target.namespace))) {
    score += 25;
    reasons.push(`namespace ${input.target.namespace} is critical (+25)`);
  }
  if (input.action !== 'escalate' && input.action !== 'none') {
    if (input.desiredReplicas <= 1) {
      score += 15;
      reasons.push('single replica: the action means downtime (+15)');
    } else if (input.availableReplicas < input.desiredReplicas) {
      score += 10;
      reasons.push(`only ${input.availableReplicas} of ${input.desiredReplicas} replicas available (+10)`);
    }
    if (input.affectedPods > 10) {
      score += 10;
      reasons.push(`${input.affectedPods} pods affected (+10)`);
    }
    if (input.stateful) {
      score += 20;
      reasons.push('stateful workload (+20)');
    }
  }
  score = Math.min(99, Math.max(0, score));
  return { score, tier: tierForScore(score), reasons };
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

/** Escapes a string for literal use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Human wording of an action, for cards. */
export function describeAction(action: ActionKind, target: TargetRef, params: Record<string, unknown> = {}): string {
  const t = `${target.kind.toLowerCase()}/${target.name}`;
  switch (action) {
    case 'restart':
      return `rollout restart ${t}`;
    case 'rollback':
      return params.toRevision ? `rollout undo ${t} to revision ${params.toRevision}` : `rollout undo ${t}`;
    case 'scale':
      return `scale ${t} to ${params.replicas ?? '?'} replicas`;
    case 'delete_pod':
      return `delete pod ${params.pod ?? target.name}`;
    case 'raise_memory':
      return `raise memory limit of ${params.container ?? 'container'} in ${t}`;
    case 'escalate':
      return 'escalate to a human (no automatic action)';
    case 'apply_manifest':
      return `server-side apply ${params.summary ?? `${params.count ?? 'the'} manifest(s)`}`;
    case 'none':
      return 'no action';
  }
}

/** Actions the executor can run today. Others are proposed as "escalate". */
export const EXECUTABLE_ACTIONS: readonly ActionKind[] = ['restart', 'rollback'];
