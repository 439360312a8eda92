/**
 * `delete_pod`: deletes one pod so that its controller (ReplicaSet, StatefulSet, DaemonSet…)
 * recreates it. A bare pod (no controller ownerReference) or a static pod is refused. Verified
 * when the deleted pod is gone and a replacement of the same owner is Ready without restarts.
 * Not reversible: the controller has already recreated it.
 */
import { controllerOf, isPodReady, isTerminating, whyPodNotDeletable, worstPod } from '../../domain/actions/workload.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, KObject, Pod } from '../../domain/k8s-objects.ts';
import { describeUnhealthyPods, totalRestarts } from '../../domain/rollout.ts';
import { selectorMatches, selectorString } from '../../domain/selectors.ts';
import type { ClusterKind } from '../ports.ts';
import { pollVerify, readLive, refOf, requireSupported, withConflictRetry, type Probe } from './shared.ts';
import { ActionImpossible, type ActionContext, type ActionParams, type Applied, type CatalogAction } from './types.ts';

const TARGETS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet'] as const;
/** Owner kinds the cluster port can read (for their selector). */
const READABLE_OWNERS: readonly string[] = ['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'];

/** The pod a delete_pod plan names: `params.pod`, else the Pod target itself. */
function podName(target: TargetRef, params: ActionParams): string | undefined {
  if (params.pod !== undefined && params.pod !== '') return String(params.pod);
  return target.kind === 'Pod' ? target.name : undefined;
}

/** Live checks before deleting: the pod exists, has a controller, and belongs to the target. */
async function livePod(ctx: ActionContext, target: TargetRef, params: ActionParams): Promise<Pod> {
  const name = podName(target, params);
  if (!name) throw new ActionImpossible('delete_pod', refOf(target), 'no pod named (params.pod)');
  const pod = await readLive<Pod>(ctx, 'Pod', target.namespace, name);
  const why = whyPodNotDeletable(pod);
  if (why) throw new ActionImpossible('delete_pod', refOf(target), why);
  if (target.kind !== 'Pod') {
    const workload = await readLive<Deployment>(ctx, target.kind as ClusterKind, target.namespace, target.name);
    if (!selectorMatches(workload.spec?.selector, pod.metadata?.labels ?? {})) {
      throw new ActionImpossible('delete_pod', refOf(target), `pod ${name} does not belong to ${refOf(target)}`);
    }
  }
  return pod;
}

/** Pods controlled by the same owner (by uid, else by kind and name). */
async function ownerPods(ctx: ActionContext, namespace: string, owner: { kind: string; name: string; uid?: string }, labels: Record<string, string>): Promise<Pod[]> {
  let selector: string | undefined;
  if (READABLE_OWNERS.includes(owner.kind)) {
    const obj = (await ctx.cluster.get(owner.kind as ClusterKind, namespace, owner.name)) as Deployment | undefined;
    selector = selectorString(obj?.spec?.selector);
  }
  // Unknown owner kinds (custom controllers): narrow by the pod's own labels.
  selector ??= Object.entries(labels)
    .filter(([k]) => k !== 'statefulset.kubernetes.io/pod-name' && k !== 'apps.kubernetes.io/pod-index')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const pods = (await ctx.cluster.list('Pod', namespace, { labelSelector: selector })) as Pod[];
  return pods.filter((p) => {
    const c = controllerOf(p);
    return c !== undefined && c.kind === owner.kind && (owner.uid && c.uid ? c.uid === owner.uid : c.name === owner.name);
  });
}

async function deleteProbe(ctx: ActionContext, target: TargetRef, p: ActionParams): Promise<Probe> {
  const ns = target.namespace;
  const name = String(p.pod ?? (target.kind === 'Pod' ? target.name : ''));
  const podUid = p.podUid === undefined ? undefined : String(p.podUid);
  const ownerKind = p.ownerKind === undefined ? undefined : String(p.ownerKind);
  const ownerName = p.ownerName === undefined ? undefined : String(p.ownerName);
  const same = (await ctx.cluster.get('Pod', ns, name)) as Pod | undefined;
  // The same name may come back as the replacement (StatefulSet pods keep their names).
  const stillThere = same !== undefined && (podUid ? same.metadata?.uid === podUid : ownerKind !== 'StatefulSet');
  if (stillThere) return { done: false, seen: `pod ${name} is still there${isTerminating(same) ? ' (terminating)' : ''}` };
  if (!ownerKind || !ownerName) {
    return same && isPodReady(same)
      ? { done: true, result: { ok: true, message: `pod ${name} was replaced and is ready` } }
      : { done: false, seen: `pod ${name} is gone; owner unknown, waiting for a ready replacement` };
  }
  const known = new Set([podUid, ...String(p.siblings ?? '').split(',')].filter((u): u is string => !!u));
  const pods = await ownerPods(ctx, ns, { kind: ownerKind, name: ownerName, uid: p.ownerUid === undefined ? undefined : String(p.ownerUid) }, {});
  if (p.podWasTerminal === 1) {
    // An Evicted/Failed/Succeeded pod was already replaced by its controller: removing it creates
    // no new pod. Done once it is gone and the owner's pods are ready.
    const live = pods.filter((x) => !isTerminating(x) && x.status?.phase !== 'Failed' && x.status?.phase !== 'Succeeded');
    const ready = live.filter(isPodReady).length;
    return live.length > 0 && ready === live.length
      ? { done: true, result: { ok: true, message: `terminal pod ${name} removed; ${ownerKind} ${ownerName}: ${ready}/${live.length} pods ready` } }
      : { done: false, seen: `terminal pod ${name} removed; ${ownerKind} ${ownerName}: ${ready}/${live.length} pods ready` };
  }
  const replacements = pods.filter((x) => !isTerminating(x) && !known.has(x.metadata?.uid ?? ''));
  const owner = `${ownerKind} ${ownerName}`;
  if (replacements.length === 0) return { done: false, seen: `pod ${name} is gone; no replacement from ${owner} yet (${pods.length} pods)` };
  const restarted = replacements.find((x) => totalRestarts([x]) > 0);
  if (restarted) {
    return {
      done: true,
      result: {
        ok: false,
        message: `replacement ${restarted.metadata?.name} restarted ${totalRestarts([restarted])} time(s): ${describeUnhealthyPods([restarted]).join('; ') || 'now ready'}`,
      },
    };
  }
  const ready = replacements.find(isPodReady);
  if (ready) {
    const readyCount = pods.filter(isPodReady).length;
    return {
      done: true,
      result: { ok: true, message: `pod ${name} is gone; replacement ${ready.metadata?.name} is ready (${owner}: ${readyCount}/${pods.length} pods ready)` },
    };
  }
  return { done: false, seen: `pod ${name} is gone; replacement not ready: ${describeUnhealthyPods(replacements).join('; ') || 'starting'}` };
}

/** The `delete_pod` catalog action. */
export const deletePodAction: CatalogAction = {
  kind: 'delete_pod',
  supports: (target) => (TARGETS as readonly string[]).includes(target.kind),
  prepare(evidence, params) {
    const target = evidence.target;
    if (!(TARGETS as readonly string[]).includes(target.kind)) {
      return { kind: 'impossible', reason: `delete_pod works on pods of ${TARGETS.join(', ')}, not ${target.kind}` };
    }
    const named = podName(target, params);
    const pod = named ? evidence.pods.find((p) => p.metadata?.name === named) : worstPod(evidence.pods);
    if (!pod) {
      return {
        kind: 'impossible',
        reason: named ? `pod ${named} is not among the pods of ${refOf(target)}` : 'no pod named, and every pod of the target is ready without restarts',
      };
    }
    const why = whyPodNotDeletable(pod);
    if (why) return { kind: 'impossible', reason: why };
    const owner = controllerOf(pod)!;
    const name = pod.metadata?.name ?? '';
    return {
      kind: 'ok',
      params: { ...params, pod: name },
      description: `delete pod ${name} (its ${owner.kind} ${owner.name} recreates it)`,
      affectedPods: 1,
    };
  },
  async dryRun(ctx, target, params) {
    requireSupported('delete_pod', target, TARGETS);
    const t0 = Date.now();
    const pod = await livePod(ctx, target, params);
    const name = pod.metadata?.name ?? '';
    await ctx.cluster.delete('Pod', target.namespace, name, { dryRun: true });
    await ctx.step('k8s.dry_run', { input: { delete: `Pod ${target.namespace}/${name}` }, output: 'accepted', durationMs: Date.now() - t0 });
  },
  async apply(ctx, target, params) {
    requireSupported('delete_pod', target, TARGETS);
    return withConflictRetry(ctx, async (): Promise<Applied> => {
      const t0 = Date.now();
      const pod = await livePod(ctx, target, params);
      const name = pod.metadata?.name ?? '';
      const owner = controllerOf(pod)!;
      const siblings = (await ownerPods(ctx, target.namespace, owner, pod.metadata?.labels ?? {})).map((p) => p.metadata?.uid ?? '').filter(Boolean);
      await ctx.cluster.delete('Pod', target.namespace, name, { dryRun: true });
      await ctx.step('k8s.dry_run', { input: { delete: `Pod ${target.namespace}/${name}` }, output: 'accepted', durationMs: Date.now() - t0 });
      const t1 = Date.now();
      await ctx.cluster.delete('Pod', target.namespace, name);
      await ctx.step('k8s.apply', { input: { delete: `Pod ${target.namespace}/${name}`, uid: pod.metadata?.uid }, output: 'deleted', durationMs: Date.now() - t1 });
      return {
        preState: pod as KObject,
        params: {
          ...params,
          pod: name,
          ...(pod.metadata?.uid ? { podUid: pod.metadata.uid } : {}),
          ownerKind: owner.kind,
          ownerName: owner.name,
          ...(owner.uid ? { ownerUid: owner.uid } : {}),
          siblings: siblings.join(','),
          podWasTerminal: pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded' ? 1 : 0,
        },
        inverse: null,
        detail: `deleted pod ${name}; not reversible; its controller recreates it (${owner.kind} ${owner.name})`,
      };
    });
  },
  async verify(ctx, target, params, applied) {
    const p = { ...params, ...applied?.params };
    return pollVerify(ctx, () => deleteProbe(ctx, target, p));
  },
};
