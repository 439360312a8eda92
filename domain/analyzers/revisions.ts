/**
 * Deployment rollout history from ReplicaSets: which revision a pod belongs to, whether a revision
 * is healthy, whether the failure began with the latest revision, and what changed between two
 * pod templates.
 *
 * Kubernetes semantics: the Deployment controller stamps each ReplicaSet with the annotation
 * `deployment.kubernetes.io/revision` (a rollback re-stamps the old ReplicaSet with a new, higher
 * number), and labels both the ReplicaSet and its pods with `pod-template-hash`.
 * Source: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
import type { Evidence, Finding } from '../diagnosis.ts';
import type { Container, Pod, PodTemplateSpec, ReplicaSet } from '../k8s-objects.ts';
import { EVICTED, ageMs, eventsAbout, isPodHealthy, isPodReady, nameOf, ownerName, podProblem, withFirst } from './support.ts';

/** The annotation holding a ReplicaSet's revision number. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** One revision of a Deployment: its ReplicaSet and the pods in the evidence that belong to it. */
export interface Revision {
  number: number;
  replicaSet: ReplicaSet;
  name: string;
  pods: Pod[];
}

/** A failing pod of the latest revision and what is wrong with it. */
export interface FailingPod {
  pod: Pod;
  problem: string;
}

/** The failure began with the latest revision, while an older one was healthy. */
export interface BadRollout {
  latest: Revision;
  /** The newest older revision that was healthy: the rollback target. */
  healthy: Revision;
  failing: FailingPod[];
  /** What changed from `healthy` to `latest` (see {@link templateChanges}). */
  changes: string[];
}

/** A ReplicaSet's revision number, 0 when the annotation is missing or not a number. */
export function revisionNumber(rs: ReplicaSet): number {
  const n = Number.parseInt(rs.metadata?.annotations?.[REVISION_ANNOTATION] ?? '', 10);
  return Number.isFinite(n) ? n : 0;
}

/**
 * The Deployment's revisions, newest first. ReplicaSets owned by another Deployment are skipped;
 * pods are assigned by owner reference, else by `pod-template-hash`.
 *
 * @param evidence the gathered evidence (`replicaSets`, `pods`, optional `deployment`).
 */
export function rolloutHistory(evidence: Evidence): Revision[] {
  const deployment = evidence.deployment ? nameOf(evidence.deployment) : undefined;
  return evidence.replicaSets
    .filter((rs) => deployment === undefined || (ownerName(rs, 'Deployment') ?? deployment) === deployment)
    .filter((rs) => revisionNumber(rs) > 0)
    .map((rs) => ({ number: revisionNumber(rs), replicaSet: rs, name: nameOf(rs), pods: evidence.pods.filter((p) => belongsTo(p, rs)) }))
    .sort((a, b) => b.number - a.number);
}

function belongsTo(pod: Pod, rs: ReplicaSet): boolean {
  const owner = ownerName(pod, 'ReplicaSet');
  if (owner !== undefined) return owner === nameOf(rs);
  const hash = rs.metadata?.labels?.['pod-template-hash'];
  return hash !== undefined && pod.metadata?.labels?.['pod-template-hash'] === hash;
}

/**
 * Whether a revision is known to have worked: its ReplicaSet reports available or ready
 * replicas, or all of its pods in the evidence are healthy.
 */
export function isRevisionHealthy(rev: Revision): boolean {
  const status = rev.replicaSet.status;
  if ((status?.availableReplicas ?? 0) > 0 || (status?.readyReplicas ?? 0) > 0) return true;
  return rev.pods.length > 0 && rev.pods.every(isPodHealthy);
}

/** One-line summary of a revision for evidence, e.g. `revision 4 (ReplicaSet web-6c8b): 3 available of 3`. */
export function revisionLine(rev: Revision): string {
  const s = rev.replicaSet.status;
  const images = (rev.replicaSet.spec?.template?.spec?.containers ?? []).map((c) => c.image).filter(Boolean);
  return `revision ${rev.number} (ReplicaSet ${rev.name}): ${s?.availableReplicas ?? 0} available, ${s?.readyReplicas ?? 0} ready of ${rev.replicaSet.spec?.replicas ?? s?.replicas ?? 0}; image ${images.join(', ') || 'unknown'}`;
}

/**
 * Detect a bad rollout: the newest ReplicaSet owns failing pods while an older revision was
 * healthy (had available/ready replicas or healthy pods).
 *
 * @returns the latest and rollback-target revisions, the failing pods and the template changes;
 *   `undefined` when there is one revision only, the latest has no failing pod, or no older
 *   revision is known to have worked.
 */
export function findBadRollout(evidence: Evidence): BadRollout | undefined {
  const [latest, ...older] = rolloutHistory(evidence);
  if (!latest) return undefined;
  const failing = latest.pods.flatMap((pod) => {
    const problem = revisionPodProblem(evidence, pod);
    return problem && problem !== EVICTED ? [{ pod, problem }] : [];
  });
  const healthy = older.find(isRevisionHealthy);
  if (failing.length === 0 || !healthy) return undefined;
  const changes = templateChanges(healthy.replicaSet.spec?.template, latest.replicaSet.spec?.template);
  return { latest, healthy, failing, changes };
}

/** A Pending pod whose init container has run this long (5 minutes) without finishing counts as failing. */
export const PENDING_INIT_MS = 5 * 60 * 1000;

/**
 * What is wrong with a pod of a revision, from its status ({@link podProblem}) and, for failures
 * the status alone does not show, its recent events: a probe failing while the pod is not ready,
 * a Pending pod the scheduler cannot place or whose volumes cannot be mounted, or a Pending pod
 * whose init container does not finish. `undefined` for a healthy or merely starting pod.
 *
 * @param evidence the gathered evidence (events, `collectedAt`).
 * @param pod a pod of the revision.
 */
export function revisionPodProblem(evidence: Evidence, pod: Pod): string | undefined {
  const status = podProblem(pod);
  if (status) return status;
  const name = nameOf(pod);
  if (!isPodReady(pod) && pod.status?.phase === 'Running') {
    const unhealthy = eventsAbout(evidence, 'Pod', name, 'Unhealthy')[0];
    if (unhealthy) return `${/^(\w+) probe/.exec(unhealthy.message ?? '')?.[1] ?? 'a'} probe failing`;
  }
  if (pod.status?.phase !== 'Pending') return undefined;
  if (eventsAbout(evidence, 'Pod', name, 'FailedScheduling').length > 0) return 'unschedulable';
  if (eventsAbout(evidence, 'Pod', name).some((e) => e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume')) return 'volume cannot be mounted';
  const init = (pod.status?.initContainerStatuses ?? []).find((c) => c.state?.running && (ageMs(c.state.running.startedAt, evidence.collectedAt) ?? 0) >= PENDING_INIT_MS);
  return init ? `init container ${init.name} does not finish` : undefined;
}

/** Whether a pod belongs to the latest revision of a bad rollout. */
export function isInBadRollout(bad: BadRollout | undefined, pod: Pod): boolean {
  return bad?.latest.pods.includes(pod) ?? false;
}

/**
 * Make a pod-level finding rollback-first when its pod belongs to the latest revision of a bad
 * rollout whose template changed (rolling back an identical template fixes nothing): `rollback` goes to the front of `actions`, a line naming both revisions is added to the
 * evidence, and `params.toRevision` names the rollback target. Other findings are returned as is.
 *
 * @param finding the finding about `pod`.
 * @param bad the result of {@link findBadRollout} for the same evidence.
 * @param pod the pod the finding is about.
 */
export function preferRollback(finding: Finding, bad: BadRollout | undefined, pod: Pod): Finding {
  if (!bad || bad.changes.length === 0 || !isInBadRollout(bad, pod)) return finding;
  const line = `Pod ${nameOf(pod)} belongs to revision ${bad.latest.number} (ReplicaSet ${bad.latest.name}); revision ${bad.healthy.number} (ReplicaSet ${bad.healthy.name}) was healthy`;
  return {
    ...finding,
    actions: withFirst('rollback', finding.actions),
    evidence: [...finding.evidence, line],
    params: { ...finding.params, toRevision: bad.healthy.number },
  };
}

/**
 * What changed between two pod templates, one line per change, values of environment variables
 * never shown (only their names): container images, commands, args, env names, resources, other
 * container fields by name (probes, ports, …), added, removed or changed volumes, and other pod
 * spec fields by name. Template metadata (e.g. the `restartedAt` annotation) is not compared.
 *
 * @param before the older template.
 * @param after the newer template.
 * @example templateChanges(a, b) // ['container api image shop:1.4 → shop:1.5', 'container api env added FEATURE_X']
 */
export function templateChanges(before: PodTemplateSpec | undefined, after: PodTemplateSpec | undefined): string[] {
  const out: string[] = [];
  out.push(...containerListChanges('container', before?.spec?.containers ?? [], after?.spec?.containers ?? []));
  out.push(...containerListChanges('init container', before?.spec?.initContainers ?? [], after?.spec?.initContainers ?? []));
  out.push(...volumeChanges(before?.spec?.volumes ?? [], after?.spec?.volumes ?? []));
  const other = changedKeys(before?.spec ?? {}, after?.spec ?? {}, ['containers', 'initContainers', 'volumes']);
  if (other.length > 0) out.push(`pod spec changed: ${other.join(', ')}`);
  return out;
}

/** Top-level keys whose values differ between two objects, ignoring some keys. */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>, ignore: string[]): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !ignore.includes(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

function volumeChanges(before: Array<{ name: string }>, after: Array<{ name: string }>): string[] {
  const out = nameSetChanges('volumes', before.map((v) => v.name), after.map((v) => v.name));
  const changed = after.filter((a) => {
    const b = before.find((v) => v.name === a.name);
    return b !== undefined && JSON.stringify(b) !== JSON.stringify(a);
  });
  if (changed.length > 0) out.push(`volumes changed: ${changed.map((v) => v.name).join(', ')}`);
  return out;
}

function containerListChanges(label: string, before: Container[], after: Container[]): string[] {
  const out: string[] = [];
  for (const b of before) if (!after.some((a) => a.name === b.name)) out.push(`${label} ${b.name} removed`);
  for (const a of after) {
    const b = before.find((c) => c.name === a.name);
    out.push(...(b ? containerChanges(`${label} ${a.name}`, b, a) : [`${label} ${a.name} added (image ${a.image ?? 'unknown'})`]));
  }
  return out;
}

function containerChanges(label: string, before: Container, after: Container): string[] {
  const out: string[] = [];
  if (before.image !== after.image) out.push(`${label} image ${before.image ?? 'unset'} → ${after.image ?? 'unset'}`);
  if (JSON.stringify(before.command ?? []) !== JSON.stringify(after.command ?? [])) out.push(`${label} command changed`);
  if (JSON.stringify(before.args ?? []) !== JSON.stringify(after.args ?? [])) out.push(`${label} args changed`);
  out.push(...envChanges(label, before, after));
  out.push(...resourceChanges(label, before, after));
  const other = changedKeys(before, after, ['name', 'image', 'command', 'args', 'env', 'resources']);
  if (other.length > 0) out.push(`${label} changed: ${other.join(', ')}`);
  return out;
}

function envChanges(label: string, before: Container, after: Container): string[] {
  const b = new Map((before.env ?? []).map((e) => [e.name, JSON.stringify(e.valueFrom ?? e.value ?? null)]));
  const a = new Map((after.env ?? []).map((e) => [e.name, JSON.stringify(e.valueFrom ?? e.value ?? null)]));
  const out = nameSetChanges(`${label} env`, [...b.keys()], [...a.keys()]);
  const changed = [...a.keys()].filter((k) => b.has(k) && b.get(k) !== a.get(k));
  if (changed.length > 0) out.push(`${label} env value changed: ${changed.join(', ')}`);
  return out;
}

function resourceChanges(label: string, before: Container, after: Container): string[] {
  const out: string[] = [];
  for (const kind of ['requests', 'limits'] as const) {
    const b = before.resources?.[kind] ?? {};
    const a = after.resources?.[kind] ?? {};
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      if (String(b[key] ?? '') !== String(a[key] ?? '')) {
        out.push(`${label} ${kind}.${key} ${b[key] ?? 'unset'} → ${a[key] ?? 'unset'}`);
      }
    }
  }
  return out;
}

function nameSetChanges(label: string, before: string[], after: string[]): string[] {
  const added = after.filter((n) => !before.includes(n));
  const removed = before.filter((n) => !after.includes(n));
  return [
    ...(added.length > 0 ? [`${label} added ${added.join(', ')}`] : []),
    ...(removed.length > 0 ? [`${label} removed ${removed.join(', ')}`] : []),
  ];
}
