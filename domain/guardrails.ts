/**
 * Guardrails: the last word on whether a planned action may execute, given how much has already
 * happened (rate limits, cooldowns, anti-patterns) and what the action would leave standing.
 *
 * {@link checkGuardrails} is called **twice** for every remediation:
 *
 * 1. **When planning**, with the history and replica counts read at planning time. `allow` lets an
 *    `auto` plan run at once (and a `human`/`dual` plan go to its card); `needs_approval` turns an
 *    `auto` plan into a card that shows the reasons; `deny` makes a card without an execute button.
 * 2. **Right before executing** (after approval), against live state re-read from the cluster and
 *    the database. Anything but `allow` stops execution: `deny` fails the remediation with the
 *    reasons; `needs_approval` (only possible for `auto`) routes it to a card instead. Pass the tier
 *    the action runs under: an `auto` plan that a human approved on a card is checked as `human`.
 *
 * The input is plain data: the caller counts executions and looks up failures and anti-patterns.
 * History must not include the action being checked. Pure: no clock (`now` is passed in).
 */
import { ACTION_TRAITS } from './actions/catalog.ts';
import { formatTarget, type ActionKind, type TargetRef } from './diagnosis.ts';
import { globMatch, type Tier } from './remediation/index.ts';

/** Everything the guardrails look at, read by the caller from the database and live state. */
export interface GuardrailInput {
  action: ActionKind;
  target: TargetRef;
  /** The action's params; `scale` reads `replicas` (a number or a string of digits). */
  params?: Readonly<Record<string, unknown>>;
  /** The tier the action would execute under (from the blast radius, or `human` once approved on a card). */
  tier: Tier;
  /** Diagnosis confidence, 0–1. */
  confidence: number;
  /** Pods the action touches, pods. */
  affectedPods: number;
  /** Healthy (ready) replicas of the workload now, replicas. */
  healthyReplicasBefore: number;
  /** Healthy replicas while/after the action runs (its lowest point), replicas. */
  healthyReplicasAfter: number;
  /** The current time. */
  now: Date;
  history: GuardrailHistory;
  /**
   * When an anti-pattern for the same symptoms hash and action was recorded (most recent), if any.
   * Only one younger than {@link GuardrailPolicy.antiPatternDays} blocks auto-execution.
   */
  antiPatternSince?: Date;
}

/** What already happened, counted by the caller. Executions are actions that reached `executing`. */
export interface GuardrailHistory {
  /** Actions executed in the last hour, on any target. */
  executedInLastHour: number;
  /** Actions executed in the last hour on this target. */
  executedOnTargetInLastHour: number;
  /** When the last failed action on this target finished, if any. */
  lastFailureOnTargetAt?: Date;
  /** Which action that was, for the cooldown sentence ("a restart of … failed 4 min ago"). */
  lastFailedActionOnTarget?: ActionKind;
}

/** Guardrail settings; field names match `config.safety`. Defaults in {@link DEFAULT_GUARDRAIL_POLICY}. */
export interface GuardrailPolicy {
  /** Most actions executed in one hour, overall (deny at the limit). */
  maxActionsPerHour: number;
  /** Most actions executed in one hour on one resource (deny at the limit). */
  maxActionsPerResourcePerHour: number;
  /** Minutes a resource cools down after a failed action (deny while cooling). */
  failureCooldownMinutes: number;
  /** Namespace glob patterns actions may run in; empty = all. */
  namespaceAllowlist: readonly string[];
  /** Catalog actions that never run. */
  actionDenylist: readonly string[];
  /** Healthy replicas that must remain after the action, replicas. */
  minHealthyReplicas: number;
  /** Allow `scale` to 0 replicas (then the healthy-replica rule does not apply to it). */
  allowScaleToZero: boolean;
  /** Upper bound of `scale`, replicas. */
  maxScaleReplicas: number;
  /** Run `auto`-tier actions without a human at all. */
  autoExecute: boolean;
  /** Minimum diagnosis confidence for `auto`, 0–1. */
  autoMinConfidence: number;
  /** Most pods an `auto` action may touch, pods. */
  autoMaxAffectedPods: number;
  /** Days an anti-pattern blocks auto-execution of its action for its symptoms hash. */
  antiPatternDays: number;
}

/**
 * Defaults (the numbers): 5 actions per hour overall, 3 per resource, 10-minute cooldown
 * after a failure, all namespaces, no denied actions, 1 healthy replica must remain, no scale to 0,
 * scale ≤ 20 replicas; `auto` needs confidence ≥ 0.85, ≤ 3 affected pods, and no anti-pattern in 7
 * days. Auto-execution itself is **off** by default (as `AUTO_EXECUTE` in config): opt in.
 */
export const DEFAULT_GUARDRAIL_POLICY: GuardrailPolicy = Object.freeze({
  maxActionsPerHour: 5,
  maxActionsPerResourcePerHour: 3,
  failureCooldownMinutes: 10,
  namespaceAllowlist: Object.freeze([]),
  actionDenylist: Object.freeze([]),
  minHealthyReplicas: 1,
  allowScaleToZero: false,
  maxScaleReplicas: 20,
  autoExecute: false,
  autoMinConfidence: 0.85,
  autoMaxAffectedPods: 3,
  antiPatternDays: 7,
});

/**
 * The verdict. `allow`: nothing stands in the way (the tier still decides how many approvers).
 * `needs_approval`: an `auto` candidate failed an auto-only rule; it may still go to a human card.
 * `deny`: never execute. Reasons are sentences for the card, each starting with the rule's name.
 */
export type GuardrailVerdict = { kind: 'allow' } | { kind: 'needs_approval'; reasons: string[] } | { kind: 'deny'; reasons: string[] };

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * Checks the guardrails. Every rule is evaluated and every failing one is reported; any deny rule
 * makes the verdict `deny` (with only the deny reasons), else any auto-only rule makes it
 * `needs_approval`, else `allow`.
 *
 * Deny rules: blocked tier; namespace outside the allowlist; denied action; executions in the last
 * hour ≥ `maxActionsPerHour`; on this resource ≥ `maxActionsPerResourcePerHour`; a failure on this
 * resource less than `failureCooldownMinutes` ago (a failure time in the future counts as now);
 * `scale` to 0 unless allowed, or above `maxScaleReplicas`; `delete_pod`/`scale` that takes healthy
 * replicas below `minHealthyReplicas` (only when it lowers them: acting on a workload with nothing
 * healthy left is allowed); counts that are not non-negative integers (fail closed).
 *
 * Needs approval (tier `auto` only): `restart`/`rollback`/`raise_memory` that leaves fewer than
 * `minHealthyReplicas` healthy while it runs (a single-replica restart); `autoExecute` off;
 * confidence below `autoMinConfidence`; more than `autoMaxAffectedPods` pods; an anti-pattern
 * recorded less than `antiPatternDays` ago.
 *
 * Which replica rule applies follows the action's pod effect (`sets_replicas`, `replaces_one`,
 * `replaces_all` in `domain/actions/catalog.ts`). No-op actions (`escalate`, `none`) execute
 * nothing: only the denylist applies to them.
 *
 * @param input facts as data; see {@link GuardrailInput}.
 * @param policy limits from config; see {@link DEFAULT_GUARDRAIL_POLICY}.
 * @throws RangeError when `now` (or another date) is not a valid Date — a bug in the caller.
 * @example
 * checkGuardrails({ ...input, history: { executedInLastHour: 0, executedOnTargetInLastHour: 0,
 *   lastFailureOnTargetAt: new Date(now.getTime() - 4 * 60_000), lastFailedActionOnTarget: 'restart' } }, DEFAULT_GUARDRAIL_POLICY)
 * // { kind: 'deny', reasons: ['cooldown: a restart of shop/Deployment/web failed 4 min ago; wait 6 min'] }
 */
export function checkGuardrails(input: GuardrailInput, policy: GuardrailPolicy): GuardrailVerdict {
  assertDate('now', input.now);
  if (input.history.lastFailureOnTargetAt !== undefined) assertDate('history.lastFailureOnTargetAt', input.history.lastFailureOnTargetAt);
  if (input.antiPatternSince !== undefined) assertDate('antiPatternSince', input.antiPatternSince);

  const deny: string[] = [];
  const approval: string[] = [];
  const { action, target, history } = input;
  const where = formatTarget(target);
  const now = input.now.getTime();

  if (policy.actionDenylist.includes(action)) deny.push(`action denied: ${action} is on the action denylist`);
  const traits = ACTION_TRAITS[action];
  if (traits.noOp) return verdict(deny, approval);

  for (const [field, value] of [
    ['affectedPods', input.affectedPods],
    ['healthyReplicasBefore', input.healthyReplicasBefore],
    ['healthyReplicasAfter', input.healthyReplicasAfter],
    ['history.executedInLastHour', history.executedInLastHour],
    ['history.executedOnTargetInLastHour', history.executedOnTargetInLastHour],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) deny.push(`invalid input: ${field} is ${String(value)}, not a count; refusing to execute`);
  }

  if (input.tier === 'blocked') deny.push('blocked: the blast radius hit a hard rule; this action never executes');

  if (policy.namespaceAllowlist.length > 0 && !policy.namespaceAllowlist.some((p) => globMatch(p, target.namespace))) {
    deny.push(`namespace: ${target.namespace || '(cluster scope)'} is not in the allowlist (${policy.namespaceAllowlist.join(', ')})`);
  }

  if (history.executedInLastHour >= policy.maxActionsPerHour) {
    deny.push(`rate limit: ${plural(history.executedInLastHour, 'action')} executed in the last hour (limit ${policy.maxActionsPerHour})`);
  }
  if (history.executedOnTargetInLastHour >= policy.maxActionsPerResourcePerHour) {
    deny.push(
      `rate limit: ${plural(history.executedOnTargetInLastHour, 'action')} on ${where} in the last hour (limit ${policy.maxActionsPerResourcePerHour} per resource)`,
    );
  }

  if (history.lastFailureOnTargetAt !== undefined) {
    const cooldownMs = policy.failureCooldownMinutes * MINUTE_MS;
    const elapsed = Math.max(0, now - history.lastFailureOnTargetAt.getTime());
    if (elapsed < cooldownMs) {
      const what = history.lastFailedActionOnTarget ? `a ${history.lastFailedActionOnTarget}` : 'an action';
      const ago = elapsed < MINUTE_MS ? 'less than 1 min' : `${Math.floor(elapsed / MINUTE_MS)} min`;
      const wait = Math.ceil((cooldownMs - elapsed) / MINUTE_MS);
      deny.push(`cooldown: ${what} of ${where} failed ${ago} ago; wait ${wait} min`);
    }
  }

  const lowersHealthy = input.healthyReplicasAfter < input.healthyReplicasBefore;
  const belowMinimum = input.healthyReplicasAfter < policy.minHealthyReplicas && lowersHealthy;
  const left = `${input.healthyReplicasAfter} of ${input.healthyReplicasBefore} healthy replicas of ${where} (minimum ${policy.minHealthyReplicas})`;
  switch (traits.pods) {
    case 'sets_replicas': {
      const raw = input.params?.replicas;
      const replicas = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
        deny.push(`scale: params.replicas is ${String(raw)}, not a replica count`);
      } else if (replicas === 0 && !policy.allowScaleToZero) {
        deny.push(`scale to 0: scaling ${where} to 0 replicas is not allowed by policy`);
      } else if (replicas > policy.maxScaleReplicas) {
        deny.push(`scale: ${replicas} replicas exceeds the limit of ${policy.maxScaleReplicas}`);
      } else if (belowMinimum && !(replicas === 0 && policy.allowScaleToZero)) {
        deny.push(`healthy replicas: scaling to ${replicas} would leave ${left}`);
      }
      break;
    }
    case 'replaces_one':
      if (belowMinimum) deny.push(`healthy replicas: deleting the pod would leave ${left}`);
      break;
    case 'replaces_all':
      if (belowMinimum && input.tier === 'auto') {
        approval.push(`single replica: a ${action} leaves ${left} while it runs; a human must approve the downtime`);
      }
      break;
    case 'none':
      break;
  }

  if (input.tier === 'auto') {
    if (!policy.autoExecute) approval.push('auto-execution is off in config (AUTO_EXECUTE)');
    if (!(input.confidence >= policy.autoMinConfidence)) {
      approval.push(`confidence: ${formatConfidence(input.confidence)} is below the auto-execution threshold ${formatConfidence(policy.autoMinConfidence)}`);
    }
    if (input.affectedPods > policy.autoMaxAffectedPods) {
      approval.push(`affected pods: ${input.affectedPods} pods exceed the auto-execution limit of ${policy.autoMaxAffectedPods}`);
    }
    if (input.antiPatternSince !== undefined) {
      const windowMs = policy.antiPatternDays * DAY_MS;
      const age = Math.max(0, now - input.antiPatternSince.getTime());
      if (age < windowMs) {
        approval.push(
          `anti-pattern: a ${action} failed for these symptoms ${formatAge(age)} ago; auto-execution stays off for ${formatAge(windowMs - age)} more`,
        );
      }
    }
  }
  return verdict(deny, approval);
}

function verdict(deny: string[], approval: string[]): GuardrailVerdict {
  if (deny.length > 0) return { kind: 'deny', reasons: deny };
  if (approval.length > 0) return { kind: 'needs_approval', reasons: approval };
  return { kind: 'allow' };
}

function assertDate(name: string, d: Date): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`checkGuardrails: ${name} is not a valid Date`);
}

/** `0.80` for 0.8; `unknown` for NaN. */
function formatConfidence(c: number): string {
  return Number.isFinite(c) ? c.toFixed(2) : 'unknown';
}

/** `3 d 4 h`, `5 h`, `12 min`, rounded down to the largest two units that matter. */
function formatAge(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / (60 * MINUTE_MS));
  const minutes = Math.floor((ms % (60 * MINUTE_MS)) / MINUTE_MS);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return `${hours} h`;
  return minutes > 0 ? `${minutes} min` : 'less than 1 min';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
