/**
 * Deployment analyzers: a rollout that does not finish (`deployment.rollout_stuck`) and a failure
 * that began with the latest revision (`deployment.bad_rollout`).
 *
 * Kubernetes semantics: the Deployment controller reports `Progressing=False, reason
 * ProgressDeadlineExceeded` when a rollout makes no progress for `progressDeadlineSeconds`
 * (default 600), `ReplicaFailure=True` when a ReplicaSet cannot create pods (quota, admission),
 * and `Progressing=Unknown, reason DeploymentPaused` while `spec.paused` is set.
 * Source: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#deployment-status
 */
import type { ActionKind, Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Condition, Deployment } from '../k8s-objects.ts';
import { type BadRollout, findBadRollout, revisionLine, rolloutHistory } from './revisions.ts';
import { clip, eventLine, eventsAbout, lines, nameOf } from './support.ts';

/** Most template changes listed in a bad-rollout finding's evidence. */
export const MAX_CHANGE_LINES = 6;

/**
 * `deployment.rollout_stuck`: one finding per Deployment, for the strongest of (in order)
 * `ReplicaFailure` (confidence 0.85), `ProgressDeadlineExceeded` (0.7), paused (0.75 when the
 * template is not rolled out, else 0.5), and available < desired replicas (0.5). These are
 * symptoms: pod-level findings usually name the cause and outrank them. Actions: `escalate`;
 * `rollback` first after a progress deadline when an older revision exists.
 */
export const rolloutStuckAnalyzer: Analyzer = {
  name: 'deployment.rollout_stuck',
  analyze(evidence) {
    const d = evidence.deployment;
    const finding = d ? stuckFinding(evidence, d) : undefined;
    return finding ? [finding] : [];
  },
};

function stuckFinding(evidence: Evidence, d: Deployment): Finding | undefined {
  const name = nameOf(d);
  const conditions = d.status?.conditions ?? [];
  const progressing = conditions.find((c) => c.type === 'Progressing');
  const replicaFailure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const desired = d.spec?.replicas ?? 1;
  const available = d.status?.availableReplicas ?? 0;
  const updated = d.status?.updatedReplicas ?? 0;
  const base = {
    analyzer: 'deployment.rollout_stuck',
    category: 'rollout_stuck' as const,
    subject: `Deployment/${name}`,
    evidence: lines(replicasLine(d), ...conditions.filter((c) => c.status !== 'True' || c.type === 'ReplicaFailure').map((c) => conditionLine(name, c))),
    params: { deployment: name, desired, available },
  };
  if (replicaFailure) {
    const events = rolloutHistory(evidence).flatMap((rev) => eventsAbout(evidence, 'ReplicaSet', rev.name, 'FailedCreate'));
    return {
      ...base,
      cause: `Deployment ${name} cannot create pods: ${clip(replicaFailure.message ?? replicaFailure.reason ?? 'ReplicaFailure', 200)}`,
      evidence: lines(...base.evidence, ...events.slice(0, 2).map(eventLine)),
      actions: ['escalate'],
      confidence: 0.85,
    };
  }
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    const older = rolloutHistory(evidence).length > 1;
    const actions: ActionKind[] = older ? ['rollback', 'escalate'] : ['escalate'];
    const deadline = d.spec?.progressDeadlineSeconds ?? 600;
    return {
      ...base,
      cause: `Rollout of Deployment ${name} made no progress within its ${deadline}s deadline (ProgressDeadlineExceeded): ${available} of ${desired} replicas available`,
      actions,
      confidence: 0.7,
    };
  }
  if (d.spec?.paused) {
    const notRolledOut = updated < desired || progressing?.reason === 'DeploymentPaused';
    return {
      ...base,
      cause: `Deployment ${name} is paused, so changes to its template are not rolled out (${updated} of ${desired} replicas updated)`,
      actions: ['escalate'],
      confidence: notRolledOut ? 0.75 : 0.5,
    };
  }
  if (available < desired) {
    return {
      ...base,
      cause: `Deployment ${name} has ${available} of ${desired} replicas available`,
      actions: ['escalate'],
      confidence: 0.5,
    };
  }
  return undefined;
}

/** `Deployment web: 3 desired | 3 updated | 3 total | 0 available | 3 unavailable`, as `kubectl describe` prints it. */
function replicasLine(d: Deployment): string {
  const s = d.status ?? {};
  return `Deployment ${nameOf(d)}: ${d.spec?.replicas ?? 1} desired | ${s.updatedReplicas ?? 0} updated | ${s.replicas ?? 0} total | ${s.availableReplicas ?? 0} available | ${s.unavailableReplicas ?? 0} unavailable${d.spec?.paused ? ' | paused' : ''}`;
}

function conditionLine(name: string, c: Condition): string {
  return clip(`Deployment ${name}: condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
}

/**
 * `deployment.bad_rollout`: the newest ReplicaSet (highest `deployment.kubernetes.io/revision`)
 * owns failing pods while an older revision was healthy. The finding names both revisions and what
 * changed between their templates (image, command, env names, resources, volumes).
 *
 * Confidence: 0.95 when every pod of the latest revision fails and its template changed, 0.8 when
 * only some fail, 0.6 when the pod specs are identical (e.g. `kubectl rollout restart`: rolling
 * back changes nothing). Actions: `rollback` then `escalate`; only `escalate` for identical specs.
 * Params: `fromRevision`, `toRevision`, `replicaSet` (the rollback target).
 */
export const badRolloutAnalyzer: Analyzer = {
  name: 'deployment.bad_rollout',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return bad ? [badRolloutFinding(evidence, bad)] : [];
  },
};

function badRolloutFinding(evidence: Evidence, bad: BadRollout): Finding {
  const { latest, healthy, failing, changes } = bad;
  const allFailing = failing.length === latest.pods.length;
  const changed = changes.length > 0 ? `; changed: ${changes.slice(0, 3).join('; ')}` : '; the pod spec did not change';
  return {
    analyzer: 'deployment.bad_rollout',
    category: 'bad_rollout',
    cause: `The failure began with revision ${latest.number}: ${failing.length} of ${latest.pods.length} of its pods fail (${failing[0]!.problem}) while revision ${healthy.number} was healthy${changed}`,
    evidence: lines(
      `Latest ${revisionLine(latest)}`,
      `Healthy ${revisionLine(healthy)}`,
      ...changes.slice(0, MAX_CHANGE_LINES).map((c) => `Changed from revision ${healthy.number} to ${latest.number}: ${c}`),
      ...failing.slice(0, 3).map((f) => `Pod ${nameOf(f.pod)} (revision ${latest.number}): ${f.problem}`),
    ),
    actions: changes.length === 0 ? ['escalate'] : ['rollback', 'escalate'],
    confidence: changes.length === 0 ? 0.6 : allFailing ? 0.95 : 0.8,
    subject: evidence.deployment ? `Deployment/${nameOf(evidence.deployment)}` : `ReplicaSet/${latest.name}`,
    params: { fromRevision: latest.number, toRevision: healthy.number, replicaSet: healthy.name },
  };
}
