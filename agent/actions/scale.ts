/**
 * `scale`: sets `spec.replicas` of a Deployment or StatefulSet (`kubectl scale`) by JSON merge
 * patch carrying the resourceVersion. Bounded by `policy.maxScaleReplicas`; 0 only when
 * `policy.allowScaleToZero`. Refused while an HPA manages the replicas. Undo: scale back.
 */
import { checkReplicas, isPodReady, scalePatch } from '../../domain/actions/workload.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, KObject, Pod, StatefulSet } from '../../domain/k8s-objects.ts';
import { describeUnhealthyPods } from '../../domain/rollout.ts';
import { selectorString } from '../../domain/selectors.ts';
import { applyPatch, dryRunPatch, pollVerify, refOf, requireSupported, shortRef, workloadInEvidence, type PatchPlan, type Probe } from './shared.ts';
import { ActionImpossible, type ActionContext, type ActionParams, type ActionPolicy, type Applied, type CatalogAction } from './types.ts';

const SCALABLE = ['Deployment', 'StatefulSet'] as const;
type ScalableKind = (typeof SCALABLE)[number];

function isScalable(target: TargetRef): target is TargetRef & { kind: ScalableKind } {
  return (SCALABLE as readonly string[]).includes(target.kind);
}

function replicasOf(obj: KObject): number {
  return (obj as Deployment).spec?.replicas ?? 1;
}

function plan(target: TargetRef & { kind: ScalableKind }, params: ActionParams, policy: ActionPolicy) {
  return (live: KObject): PatchPlan<Applied> => {
    const check = checkReplicas(params.replicas, policy);
    if (check.kind === 'impossible') throw new ActionImpossible('scale', refOf(target), check.reason);
    const from = replicasOf(live);
    const to = check.replicas;
    const applied = (detail: string, inverse: Applied['inverse']): Applied => ({
      preState: live,
      params: { ...params, replicas: to, fromReplicas: from },
      inverse,
      detail,
    });
    if (from === to) return { kind: 'skip', result: applied(`${shortRef(target)} already has ${to} replicas; nothing changed`, null) };
    const back = checkReplicas(from, policy);
    return {
      kind: 'patch',
      patch: { type: 'merge', body: scalePatch(to, live.metadata?.resourceVersion) },
      done: () =>
        back.kind === 'ok'
          ? applied(`scaled ${shortRef(target)} from ${from} to ${to} replicas; undo scales back to ${from}`, {
              action: 'scale',
              params: { replicas: from },
            })
          : applied(`scaled ${shortRef(target)} from ${from} to ${to} replicas; not reversible automatically: ${back.reason}`, null),
    };
  };
}

async function scaleProbe(ctx: ActionContext, target: TargetRef & { kind: ScalableKind }, replicas: number): Promise<Probe> {
  const obj = await ctx.cluster.get(target.kind, target.namespace, target.name);
  if (!obj) return { done: true, result: { ok: false, message: `${refOf(target)} disappeared during verification` } };
  const want = replicasOf(obj);
  if (want !== replicas) {
    return { done: true, result: { ok: false, message: `spec.replicas is ${want}, not ${replicas}: something else changed it (an HPA or another client)` } };
  }
  const s = ((obj as StatefulSet).status ?? {}) as Record<string, unknown>;
  const observed = typeof s.observedGeneration === 'number' ? s.observedGeneration : 0;
  if (observed < (obj.metadata?.generation ?? 0)) return { done: false, seen: 'waiting for the spec update to be observed' };
  const total = Number(s.replicas ?? 0);
  const ready = Number(s.readyReplicas ?? 0);
  const available = target.kind === 'Deployment' ? Number(s.availableReplicas ?? 0) : ready;
  if (total === replicas && ready === replicas && available === replicas) {
    return { done: true, result: { ok: true, message: `${shortRef(target)} has ${ready}/${replicas} replicas ready` } };
  }
  const selector = selectorString((obj as Deployment).spec?.selector);
  const pods = selector === undefined ? [] : ((await ctx.cluster.list('Pod', target.namespace, { labelSelector: selector })) as Pod[]);
  const unhealthy = describeUnhealthyPods(pods.filter((p) => !isPodReady(p)));
  return {
    done: false,
    seen: `${ready}/${replicas} replicas ready, ${total} running${unhealthy.length ? `; ${unhealthy.join('; ')}` : ''}`,
  };
}

/** The `scale` catalog action. */
export const scaleAction: CatalogAction = {
  kind: 'scale',
  supports: (target) => isScalable(target),
  prepare(evidence, params, policy) {
    const target = evidence.target;
    if (!isScalable(target)) return { kind: 'impossible', reason: `scale works on Deployments and StatefulSets, not ${target.kind}` };
    const obj = workloadInEvidence(evidence);
    if (!obj) return { kind: 'impossible', reason: `${refOf(target)} was not found when gathering evidence` };
    const check = checkReplicas(params.replicas, policy);
    if (check.kind === 'impossible') return check;
    const from = replicasOf(obj);
    if (from === check.replicas) return { kind: 'impossible', reason: `${shortRef(target)} already has ${from} replicas` };
    const hpa = evidence.hpa;
    if (hpa) {
      return {
        kind: 'impossible',
        reason: `HorizontalPodAutoscaler ${hpa.metadata?.name} manages the replicas (${hpa.spec?.minReplicas ?? 1}–${hpa.spec?.maxReplicas ?? '?'}) and would undo a manual scale; change the HPA instead`,
      };
    }
    return {
      kind: 'ok',
      params: { ...params, replicas: check.replicas, fromReplicas: from },
      description: `scale ${shortRef(target)} from ${from} to ${check.replicas} replicas`,
      affectedPods: Math.abs(check.replicas - from),
    };
  },
  async dryRun(ctx, target, params) {
    requireSupported('scale', target, SCALABLE);
    const t = target as TargetRef & { kind: ScalableKind };
    await dryRunPatch(ctx, t.kind, t, plan(t, params, ctx.policy));
  },
  async apply(ctx, target, params) {
    requireSupported('scale', target, SCALABLE);
    const t = target as TargetRef & { kind: ScalableKind };
    return applyPatch(ctx, t.kind, t, plan(t, params, ctx.policy));
  },
  async verify(ctx, target, params, applied) {
    if (!isScalable(target)) return { ok: false, message: `cannot verify scaling ${target.kind}` };
    const replicas = Number(applied?.params.replicas ?? params.replicas);
    if (!Number.isSafeInteger(replicas)) return { ok: false, message: `no replica count to verify (params.replicas ${String(params.replicas)})` };
    return pollVerify(ctx, () => scaleProbe(ctx, target, replicas));
  },
};
