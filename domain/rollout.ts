/**
 * Deployment rollouts as kubectl sees them: `rollout restart`, `rollout undo` and `rollout status`,
 * as pure functions over Deployment/ReplicaSet objects. The Kubernetes adapter sends what these
 * build; it decides nothing itself.
 *
 * Sources: kubectl `pkg/polymorphichelpers/objectrestarter.go`, `rollback.go`, `rollout_status.go`.
 */
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from './k8s-objects.ts';

/** Annotation kubectl sets on the pod template to restart a rollout. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** Revision annotation the deployment controller sets on Deployments and ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Label the deployment controller adds to each ReplicaSet's template; never copied back. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * Strategic-merge patch body of `kubectl rollout restart`: sets the restartedAt pod-template
 * annotation to `now` (RFC 3339, seconds), so the controller creates a new ReplicaSet.
 * @param now time of the restart.
 * @param resourceVersion when given, the patch carries it as an optimistic-concurrency precondition (409 if stale).
 */
export function restartPatch(now: Date, resourceVersion?: string): Record<string, unknown> {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
    spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: stamp } } } },
  };
}

/** Revision number of a Deployment or ReplicaSet (0 when absent or malformed). */
export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const n = Number(obj.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** ReplicaSets controlled by the Deployment (ownerReference with its uid, or name when uid is absent). */
export function ownedReplicaSets(deployment: Deployment, replicaSets: ReplicaSet[]): ReplicaSet[] {
  const uid = deployment.metadata?.uid;
  const name = deployment.metadata?.name;
  return replicaSets.filter((rs) =>
    (rs.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Deployment' && (uid && o.uid ? o.uid === uid : o.name === name)),
  );
}

/** Outcome of planning `rollout undo`. */
export type UndoPlan =
  | { kind: 'undo'; fromRevision: number; toRevision: number; replicaSet: string; template: PodTemplateSpec }
  | { kind: 'impossible'; reason: string };

/**
 * Plans `kubectl rollout undo` to the previous revision: the ReplicaSet with the highest revision
 * below the current one; its template without the `pod-template-hash` label becomes the
 * Deployment's template.
 * @param deployment live Deployment.
 * @param replicaSets ReplicaSets in its namespace (others are filtered out by owner).
 */
export function planUndo(deployment: Deployment, replicaSets: ReplicaSet[]): UndoPlan {
  if (deployment.spec?.paused) return { kind: 'impossible', reason: 'the deployment is paused; resume it before rolling back' };
  const owned = ownedReplicaSets(deployment, replicaSets).sort((a, b) => revisionOf(b) - revisionOf(a));
  const current = revisionOf(deployment) || (owned[0] ? revisionOf(owned[0]) : 0);
  const previous = owned.find((rs) => revisionOf(rs) > 0 && revisionOf(rs) < current);
  if (!previous?.spec?.template) {
    return { kind: 'impossible', reason: `no previous revision to roll back to (current revision ${current || 'unknown'})` };
  }
  return {
    kind: 'undo',
    fromRevision: current,
    toRevision: revisionOf(previous),
    replicaSet: previous.metadata?.name ?? '',
    template: templateWithoutHash(previous.spec.template),
  };
}

/** A copy of a pod template without the controller's `pod-template-hash` label. */
export function templateWithoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  }
  return copy;
}

/**
 * JSON patch (RFC 6902) that replaces the Deployment's template, as kubectl's rollback does;
 * `resourceVersion` is carried so a concurrent change answers 409 Conflict.
 */
export function undoPatch(template: PodTemplateSpec, resourceVersion?: string): Array<Record<string, unknown>> {
  return [
    ...(resourceVersion ? [{ op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion }] : []),
    { op: 'replace', path: '/spec/template', value: template },
  ];
}

/** Where a rollout stands, as `kubectl rollout status` reports it. */
export type RolloutStatus =
  | { kind: 'complete'; message: string }
  | { kind: 'progressing'; message: string }
  | { kind: 'failed'; message: string };

/**
 * `kubectl rollout status` for a Deployment.
 * @returns complete when the new ReplicaSet is fully rolled out and available; failed when the
 *   Progressing condition reports ProgressDeadlineExceeded; progressing otherwise.
 */
export function deploymentRolloutStatus(d: Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '?';
  const generation = d.metadata?.generation ?? 0;
  const status = d.status ?? {};
  if ((status.observedGeneration ?? 0) < generation) {
    return { kind: 'progressing', message: 'waiting for the deployment spec update to be observed' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { kind: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const desired = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < desired) return { kind: 'progressing', message: `${updated} out of ${desired} new replicas have been updated` };
  if (total > updated) return { kind: 'progressing', message: `${total - updated} old replicas are pending termination` };
  if (available < updated) return { kind: 'progressing', message: `${available} of ${updated} updated replicas are available` };
  return { kind: 'complete', message: `deployment "${name}" successfully rolled out` };
}

/** Sum of container restarts over pods (init containers included). */
export function totalRestarts(pods: Pod[]): number {
  return pods.reduce(
    (sum, p) =>
      sum +
      [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].reduce(
        (s, c) => s + (c.restartCount ?? 0),
        0,
      ),
    0,
  );
}

/**
 * Short description of unhealthy pods (`web-abc: CrashLoopBackOff (exit 1)`), used to say why a
 * verification failed. Healthy pods are omitted; at most `limit` entries.
 */
export function describeUnhealthyPods(pods: Pod[], limit = 3): string[] {
  const out: string[] = [];
  for (const p of pods) {
    for (const c of p.status?.containerStatuses ?? []) {
      if (c.ready) continue;
      const waiting = c.state?.waiting?.reason;
      const exit = c.lastState?.terminated?.exitCode ?? c.state?.terminated?.exitCode;
      const why = waiting ?? c.state?.terminated?.reason ?? (p.status?.phase === 'Pending' ? 'Pending' : 'not ready');
      out.push(`${p.metadata?.name}: ${why}${exit !== undefined ? ` (exit ${exit})` : ''}`);
      break;
    }
    if (!p.status?.containerStatuses?.length && p.status?.phase && p.status.phase !== 'Running') {
      const reason = p.status.conditions?.find((c) => c.status === 'False')?.reason;
      out.push(`${p.metadata?.name}: ${p.status.phase}${reason ? ` (${reason})` : ''}`);
    }
    if (out.length >= limit) break;
  }
  return out;
}
