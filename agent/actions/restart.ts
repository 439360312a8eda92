/**
 * `restart`: `kubectl rollout restart` of a Deployment, StatefulSet or DaemonSet — the
 * `kubectl.kubernetes.io/restartedAt` pod-template annotation set by strategic merge patch, so the
 * controller replaces every pod. Undo for a Deployment: roll back to the revision it replaced.
 */
import { isPodReady, updateStrategyOf, type WorkloadKind } from '../../domain/actions/workload.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, KObject, Pod, StatefulSet } from '../../domain/k8s-objects.ts';
import { RESTARTED_AT_ANNOTATION, restartPatch, revisionOf } from '../../domain/rollout.ts';
import {
  applyPatch,
  desiredPods,
  dryRunPatch,
  isWorkload,
  pollVerify,
  refOf,
  requireSupported,
  rolloutProbe,
  shortRef,
  WORKLOAD_KINDS,
  workloadInEvidence,
  type PatchPlan,
} from './shared.ts';
import { ActionImpossible, type ActionContext, type ActionParams, type Applied, type CatalogAction } from './types.ts';

/** Why this workload cannot be restarted, or undefined. */
export function whyNotRestartable(kind: WorkloadKind, obj: KObject): string | undefined {
  if (kind === 'Deployment' && (obj as Deployment).spec?.paused) return "can't restart paused deployment (run rollout resume first)";
  if (kind !== 'Deployment') {
    const type = updateStrategyOf(obj as StatefulSet).type;
    if (type !== 'RollingUpdate') return `the ${kind} uses the ${type} update strategy: a restart would not replace any pod`;
  }
  return undefined;
}

/**
 * A StatefulSet with the default `OrderedReady` policy replaces no pod while any pod is not Ready
 * (the controller waits for it first), so a restart of a crash-looping one never progresses;
 * deleting the failing pod does. Undefined when the restart can progress.
 */
export function orderedReadyStall(kind: WorkloadKind, obj: KObject, pods: Pod[]): string | undefined {
  if (kind !== 'StatefulSet' || (obj as StatefulSet).spec?.podManagementPolicy === 'Parallel') return undefined;
  const unready = pods.filter((p) => !isPodReady(p)).map((p) => p.metadata?.name ?? '?');
  if (unready.length === 0) return undefined;
  return (
    `the StatefulSet uses OrderedReady pod management: its controller replaces no pod while ${unready.slice(0, 3).join(', ')} ` +
    `${unready.length === 1 ? 'is' : 'are'} not ready, so a restart would stall; delete the failing pod instead`
  );
}

function plan(ctx: ActionContext, target: TargetRef & { kind: WorkloadKind }, params: ActionParams) {
  return (live: KObject): PatchPlan<Applied> => {
    const why = whyNotRestartable(target.kind, live);
    if (why) throw new ActionImpossible('restart', refOf(target), why);
    const patch = restartPatch(ctx.now(), live.metadata?.resourceVersion);
    return {
      kind: 'patch',
      patch: { type: 'strategic', body: patch },
      done: (after) => {
        const restartedAt =
          (after as Deployment).spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION] ?? '';
        const fromRevision = target.kind === 'Deployment' ? revisionOf(live) : 0;
        const inverse = fromRevision > 0 ? { action: 'rollback' as const, params: { toRevision: fromRevision } } : null;
        return {
          preState: live,
          params: { ...params, restartedAt, ...(fromRevision ? { fromRevision } : {}) },
          inverse,
          detail: inverse
            ? `rollout restart of ${shortRef(target)} at ${restartedAt} (was revision ${fromRevision}); undo rolls back to revision ${fromRevision}`
            : `rollout restart of ${shortRef(target)} at ${restartedAt}; not reversible: its pods are replaced and a ${target.kind} has no rollout undo here`,
        };
      },
    };
  };
}

/** The `restart` catalog action. */
export const restartAction: CatalogAction = {
  kind: 'restart',
  supports: (target) => isWorkload(target),
  prepare(evidence, params) {
    const target = evidence.target;
    if (!isWorkload(target)) {
      return { kind: 'impossible', reason: `rollout restart works on ${WORKLOAD_KINDS.join(', ')}, not ${target.kind}` };
    }
    const obj = workloadInEvidence(evidence);
    if (!obj) return { kind: 'impossible', reason: `${refOf(target)} was not found when gathering evidence` };
    const why = whyNotRestartable(target.kind, obj);
    if (why) return { kind: 'impossible', reason: why };
    const stall = orderedReadyStall(target.kind, obj, evidence.pods);
    if (stall) return { kind: 'impossible', reason: stall };
    const pods = desiredPods(target.kind, obj, evidence.pods);
    return {
      kind: 'ok',
      params: { ...params },
      description: `rollout restart ${shortRef(target)} (${pods} pod${pods === 1 ? '' : 's'} replaced by a rolling update)`,
      affectedPods: pods,
    };
  },
  async dryRun(ctx, target, params) {
    requireSupported('restart', target, WORKLOAD_KINDS);
    const t = target as TargetRef & { kind: WorkloadKind };
    await dryRunPatch(ctx, t.kind, t, plan(ctx, t, params));
  },
  async apply(ctx, target, params) {
    requireSupported('restart', target, WORKLOAD_KINDS);
    const t = target as TargetRef & { kind: WorkloadKind };
    return applyPatch(ctx, t.kind, t, plan(ctx, t, params));
  },
  async verify(ctx, target, _params, _applied) {
    if (!isWorkload(target)) return { ok: false, message: `cannot verify a restart of ${target.kind}` };
    return pollVerify(ctx, () => rolloutProbe(ctx, target));
  },
};
