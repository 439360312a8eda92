/**
 * `pod.init_failure`: init containers that fail or never finish, so the pod's app containers
 * never start (`Init:Error`, `Init:CrashLoopBackOff`, or stuck at `Init:0/1`).
 *
 * Kubernetes semantics: init containers run one after another and must each exit 0 before the
 * app containers start; a failing one is retried by the kubelet (with back-off) unless the pod's
 * `restartPolicy` is `Never`, which fails the pod. OOM kills, image pulls and configuration
 * errors of init containers are reported by their own analyzers.
 * Source: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import { describeExitCode } from './exit-codes.ts';
import { errorLogHints } from './logs.ts';
import { findBadRollout, preferRollback } from './revisions.ts';
import {
  type ContainerView,
  START_FAILURE_REASONS,
  ageMs,
  containerViews,
  lastTermination,
  lines,
  nameOf,
  podSubject,
  terminationLine,
  terminationMessageLine,
  waitingLine,
} from './support.ts';

/** An init container running longer than this (10 minutes) while the pod is Pending counts as stuck. */
export const INIT_STUCK_MS = 10 * 60 * 1000;

/**
 * `pod.init_failure`. Actions: `escalate` then `restart` (the kubelet already retries init
 * containers, so a restart rarely fixes what blocks them); `rollback` first when the pod belongs
 * to a bad rollout. Params: `pod`, `container`, `exitCode` when known.
 */
export const initFailureAnalyzer: Analyzer = {
  name: 'pod.init_failure',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) =>
      containerViews(pod, { which: 'init' }).flatMap((view) => {
        const finding = failedInit(evidence, view) ?? stuckInit(evidence, view);
        return finding ? [preferRollback(finding, bad, pod)] : [];
      }),
    );
  },
};

function failedInit(evidence: Evidence, view: ContainerView): Finding | undefined {
  const term = lastTermination(view.status);
  if (!term || term.exitCode === 0 || view.status.ready) return undefined;
  if (term.reason === 'OOMKilled' || (term.reason !== undefined && START_FAILURE_REASONS.has(term.reason))) return undefined;
  const container = view.status.name;
  return {
    analyzer: 'pod.init_failure',
    category: 'init_failure',
    cause: `Init container ${container} fails with ${describeExitCode(term.exitCode)}, so the pod's containers never start`,
    evidence: lines(
      terminationLine(view),
      waitingLine(view),
      terminationMessageLine(view),
      ...errorLogHints(evidence, nameOf(view.pod), container),
    ),
    actions: ['escalate', 'restart'],
    confidence: 0.9,
    subject: podSubject(view.pod),
    params: { pod: nameOf(view.pod), container, exitCode: term.exitCode },
  };
}

function stuckInit(evidence: Evidence, view: ContainerView): Finding | undefined {
  const startedAt = view.status.state?.running?.startedAt;
  const age = ageMs(startedAt, evidence.collectedAt);
  if (view.pod.status?.phase !== 'Pending' || age === undefined || age < INIT_STUCK_MS) return undefined;
  const minutes = Math.round(age / 60_000);
  const container = view.status.name;
  return {
    analyzer: 'pod.init_failure',
    category: 'init_failure',
    cause: `Init container ${container} has been running for ${minutes} min without finishing, so the pod's containers never start (it is probably waiting for a dependency)`,
    evidence: lines(
      `Pod ${nameOf(view.pod)}: init container ${container} running since ${startedAt}, ${minutes} min before collection`,
      ...errorLogHints(evidence, nameOf(view.pod), container, { fallback: 2 }),
    ),
    actions: ['escalate', 'restart'],
    confidence: 0.6,
    subject: podSubject(view.pod),
    params: { pod: nameOf(view.pod), container },
  };
}
