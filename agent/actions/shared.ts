/**
 * Plumbing shared by the catalog actions: live reads, the patch loop (re-read → dry-run →
 * apply with the resourceVersion precondition → retry on 409), the verification poll, and the
 * rollout probe of Deployments, StatefulSets and DaemonSets.
 */
import {
  CONTROLLER_REVISION_LABEL,
  daemonSetRolloutStatus,
  isPodReady,
  isTerminating,
  statefulSetRolloutStatus,
  updateStrategyOf,
  type WorkloadKind,
} from '../../domain/actions/workload.ts';
import type { ActionKind, Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { DaemonSet, Deployment, KObject, Pod, ReplicaSet, StatefulSet } from '../../domain/k8s-objects.ts';
import {
  deploymentRolloutStatus,
  describeUnhealthyPods,
  ownedReplicaSets,
  POD_TEMPLATE_HASH_LABEL,
  revisionOf,
  totalRestarts,
  type RolloutStatus,
} from '../../domain/rollout.ts';
import { selectorString } from '../../domain/selectors.ts';
import { K8sCallFailed, K8sConflict, type ClusterKind, type PatchBody } from '../ports.ts';
import { ActionImpossible, type ActionContext, type Verified } from './types.ts';

/** Workload kinds whose pod template the catalog changes. */
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** True for Deployment, StatefulSet and DaemonSet targets. */
export function isWorkload(target: TargetRef): target is TargetRef & { kind: WorkloadKind } {
  return (WORKLOAD_KINDS as readonly string[]).includes(target.kind);
}

/** `Deployment shop/web`, as errors name objects. */
export function refOf(target: { kind: string; namespace: string; name: string }): string {
  return target.namespace ? `${target.kind} ${target.namespace}/${target.name}` : `${target.kind} ${target.name}`;
}

/** `deployment/web`, as cards name objects. */
export function shortRef(target: { kind: string; name: string }): string {
  return `${target.kind.toLowerCase()}/${target.name}`;
}

/** The workload object of the target in the evidence, if gathered. */
export function workloadInEvidence(evidence: Evidence): KObject | undefined {
  switch (evidence.target.kind) {
    case 'Deployment':
      return evidence.deployment;
    case 'StatefulSet':
      return evidence.statefulSet;
    case 'DaemonSet':
      return evidence.daemonSet;
    default:
      return undefined;
  }
}

/** Pods a workload runs (desired), for the blast radius. */
export function desiredPods(kind: WorkloadKind, obj: KObject, pods: Pod[]): number {
  if (kind === 'DaemonSet') {
    const desired = (obj as DaemonSet).status?.desiredNumberScheduled;
    return typeof desired === 'number' ? desired : pods.length;
  }
  return (obj as Deployment).spec?.replicas ?? 1;
}

/**
 * Reads an object; a missing object is an API answer (404), reported as K8sCallFailed.
 * @throws K8sCallFailed
 */
export async function readLive<T extends KObject = KObject>(ctx: ActionContext, kind: ClusterKind, namespace: string, name: string): Promise<T> {
  const obj = await ctx.cluster.get(kind, namespace, name);
  if (!obj) throw new K8sCallFailed('get', refOf({ kind, namespace, name }), 404, { detail: 'not found' });
  return obj as T;
}

/** Throws {@link ActionImpossible} unless the action supports the target kind. */
export function requireSupported(action: ActionKind, target: TargetRef, supported: readonly string[]): void {
  if (!supported.includes(target.kind)) {
    throw new ActionImpossible(action, refOf(target), `${action} works on ${supported.join(', ')}, not ${target.kind}`);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying on {@link K8sConflict} with a fresh attempt (which
 * re-reads the live object) up to `policy.conflictRetries` attempts in total. Each conflict is
 * recorded as a `k8s.conflict` step.
 * @throws the last K8sConflict, or any other error at once.
 */
export async function withConflictRetry<T>(ctx: ActionContext, attempt: (n: number) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, Math.floor(ctx.policy.conflictRetries));
  const sleep = ctx.sleep ?? defaultSleep;
  for (let n = 1; ; n++) {
    const t0 = Date.now();
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof K8sConflict)) throw err;
      await ctx.step('k8s.conflict', { input: { attempt: n, of: attempts }, error: err.message, durationMs: Date.now() - t0 });
      if (n >= attempts) throw err;
      await sleep(Math.min(ctx.policy.pollMs, 10 * n));
    }
  }
}

/** What a patch attempt plans from the live object. */
export type PatchPlan<T> =
  | { kind: 'patch'; patch: PatchBody; done: (after: KObject) => T }
  /** Nothing to change (e.g. already at the wanted state): no dry-run, no write. */
  | { kind: 'skip'; result: T };

/**
 * The apply loop of template/replica actions: re-read the live object, plan the patch from it
 * (carrying its resourceVersion), server-side dry-run, apply; on 409 start over.
 * @param plan builds the patch from the live object; may read more (ReplicaSets) and may throw ActionImpossible.
 */
export async function applyPatch<T>(
  ctx: ActionContext,
  kind: ClusterKind,
  target: TargetRef,
  plan: (live: KObject) => Promise<PatchPlan<T>> | PatchPlan<T>,
): Promise<T> {
  return withConflictRetry(ctx, async () => {
    const t0 = Date.now();
    const live = await readLive(ctx, kind, target.namespace, target.name);
    const planned = await plan(live);
    if (planned.kind === 'skip') return planned.result;
    await ctx.cluster.patch(kind, target.namespace, target.name, planned.patch, { dryRun: true });
    const dryRun = { input: planned.patch, output: 'accepted', durationMs: Date.now() - t0 };
    const t1 = Date.now();
    let after: KObject;
    try {
      // The dry-run's audit row is written after the real call, keeping the window between the
      // read and the write (where a controller's status update causes a 409) as short as possible.
      after = await ctx.cluster.patch(kind, target.namespace, target.name, planned.patch);
    } finally {
      await ctx.step('k8s.dry_run', dryRun);
    }
    await ctx.step('k8s.apply', {
      input: planned.patch,
      output: { resourceVersion: after.metadata?.resourceVersion, generation: after.metadata?.generation },
      durationMs: Date.now() - t1,
    });
    return planned.done(after);
  });
}

/**
 * Dry-run only: re-read, plan, `dryRun=All`; retried on 409 like {@link applyPatch}.
 */
export async function dryRunPatch(
  ctx: ActionContext,
  kind: ClusterKind,
  target: TargetRef,
  plan: (live: KObject) => Promise<PatchPlan<unknown>> | PatchPlan<unknown>,
): Promise<void> {
  await withConflictRetry(ctx, async () => {
    const t0 = Date.now();
    const live = await readLive(ctx, kind, target.namespace, target.name);
    const planned = await plan(live);
    if (planned.kind === 'skip') {
      await ctx.step('k8s.dry_run', { output: 'nothing to change', durationMs: Date.now() - t0 });
      return;
    }
    await ctx.cluster.patch(kind, target.namespace, target.name, planned.patch, { dryRun: true });
    await ctx.step('k8s.dry_run', { input: planned.patch, output: 'accepted', durationMs: Date.now() - t0 });
  });
}

/** One verification read: finished (with the verdict) or still waiting (with what was seen). */
export type Probe = { done: true; result: Verified } | { done: false; seen: string };

/** `2 s`, `1.5 s` or `300 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

/**
 * Polls `probe` every `policy.pollMs` until it finishes or `policy.verifyTimeoutMs` passes;
 * a failing read is remembered as what was seen and polled again. Records a `k8s.verify` step.
 */
export async function pollVerify(ctx: ActionContext, probe: () => Promise<Probe>): Promise<Verified> {
  const sleep = ctx.sleep ?? defaultSleep;
  const t0 = Date.now();
  const deadline = t0 + ctx.policy.verifyTimeoutMs;
  let seen = 'no status read yet';
  let result: Verified;
  for (;;) {
    try {
      const p = await probe();
      if (p.done) {
        result = p.result;
        break;
      }
      seen = p.seen;
    } catch (err) {
      seen = `status read failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      result = { ok: false, message: `not verified within ${formatDuration(ctx.policy.verifyTimeoutMs)}: ${seen}` };
      break;
    }
    await sleep(Math.max(0, Math.min(ctx.policy.pollMs, deadline - Date.now())));
  }
  await ctx.step('k8s.verify', { output: result, durationMs: Date.now() - t0, ...(result.ok ? {} : { error: result.message }) });
  return result;
}

/** kubectl rollout status of any workload kind. */
export function rolloutStatusOf(kind: WorkloadKind, obj: KObject): RolloutStatus {
  switch (kind) {
    case 'Deployment':
      return deploymentRolloutStatus(obj as Deployment);
    case 'StatefulSet':
      return statefulSetRolloutStatus(obj as StatefulSet);
    case 'DaemonSet':
      return daemonSetRolloutStatus(obj as DaemonSet);
  }
}

/**
 * Pods of the workload's current revision, without terminating ones: for a Deployment those of
 * the ReplicaSet with the Deployment's revision (by `pod-template-hash`); for a StatefulSet those
 * at `status.updateRevision`; for a DaemonSet all of its pods (complete means all are updated).
 */
async function currentRevisionPods(ctx: ActionContext, kind: WorkloadKind, obj: KObject, pods: Pod[]): Promise<{ pods: Pod[]; label: string }> {
  const live = pods.filter((p) => !isTerminating(p));
  if (kind === 'Deployment') {
    const dep = obj as Deployment;
    const rsList = (await ctx.cluster.list('ReplicaSet', dep.metadata?.namespace ?? '', {
      labelSelector: selectorString(dep.spec?.selector),
    })) as ReplicaSet[];
    const revision = revisionOf(dep);
    const rs = ownedReplicaSets(dep, rsList).find((r) => revisionOf(r) === revision);
    const hash = rs?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] ?? rs?.spec?.selector?.matchLabels?.[POD_TEMPLATE_HASH_LABEL];
    if (!hash) return { pods: live, label: revision ? `revision ${revision}` : 'current revision' };
    return { pods: live.filter((p) => p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL] === hash), label: `revision ${revision}` };
  }
  if (kind === 'StatefulSet') {
    const update = (obj as StatefulSet).status?.updateRevision;
    if (!update) return { pods: live, label: 'current revision' };
    return { pods: live.filter((p) => p.metadata?.labels?.[CONTROLLER_REVISION_LABEL] === update), label: `revision ${update}` };
  }
  return { pods: live, label: 'current revision' };
}

/** Pods expected at the current revision once the rollout is complete. */
function expectedUpdatedPods(kind: WorkloadKind, obj: KObject): number {
  if (kind === 'DaemonSet') return Number((obj as DaemonSet).status?.desiredNumberScheduled ?? 0);
  const desired = (obj as Deployment).spec?.replicas ?? 1;
  if (kind === 'StatefulSet') {
    const partition = updateStrategyOf(obj as StatefulSet).rollingUpdate?.partition ?? 0;
    return Math.max(0, desired - partition);
  }
  return desired;
}

/**
 * One rollout verification read: complete (kubectl's rules), the current revision's pods all
 * ready, and none of them restarted. A Deployment past its progress deadline fails at once.
 * @param extra optional check of the live object first (e.g. the new memory limit is in place); a string fails verification with that message.
 */
export async function rolloutProbe(
  ctx: ActionContext,
  target: TargetRef & { kind: WorkloadKind },
  extra?: (obj: KObject) => string | undefined,
): Promise<Probe> {
  const kind = target.kind;
  const obj = await ctx.cluster.get(kind, target.namespace, target.name);
  if (!obj) return { done: true, result: { ok: false, message: `${refOf(target)} disappeared during verification` } };
  const problem = extra?.(obj);
  if (problem) return { done: true, result: { ok: false, message: problem } };
  const status = rolloutStatusOf(kind, obj);
  const selector = selectorString((obj as Deployment).spec?.selector);
  const pods = selector === undefined ? [] : ((await ctx.cluster.list('Pod', target.namespace, { labelSelector: selector })) as Pod[]);
  const current = await currentRevisionPods(ctx, kind, obj, pods);
  if (status.kind === 'failed') {
    return { done: true, result: { ok: false, message: `${status.message}; ${describeUnhealthyPods(current.pods).join('; ') || 'no pod detail'}` } };
  }
  if (status.kind === 'complete') {
    const expected = expectedUpdatedPods(kind, obj);
    const restarts = totalRestarts(current.pods);
    const ready = current.pods.filter(isPodReady).length;
    if (restarts > 0) {
      return {
        done: true,
        result: {
          ok: false,
          message: `rollout complete but pods of ${current.label} restarted ${restarts} time(s): ${describeUnhealthyPods(current.pods).join('; ') || 'now ready'}`,
        },
      };
    }
    if (ready >= expected) {
      return {
        done: true,
        result: { ok: true, message: `rollout complete: ${current.label}, ${ready}/${expected} pods ready, no restarts` },
      };
    }
    return { done: false, seen: `rollout complete but ${ready}/${expected} pods of ${current.label} ready` };
  }
  const unhealthy = describeUnhealthyPods(current.pods);
  return { done: false, seen: `${status.message}${unhealthy.length ? `; ${unhealthy.join('; ')}` : ''}` };
}
