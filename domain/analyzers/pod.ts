/**
 * Container-state analyzers: crash loops (by last exit code) and OOM kills.
 *
 * Kubernetes semantics: a container that keeps exiting is restarted with an exponential back-off
 * and shows `state.waiting.reason: CrashLoopBackOff`; the previous run's result is in
 * `lastState.terminated` (exit code, reason, times). A container killed by the kernel OOM killer
 * for exceeding its memory limit gets `reason: OOMKilled` and exit code 137 (128 + SIGKILL).
 * Source: https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-states
 */
import type { ActionKind, Analyzer, Evidence, Finding } from '../diagnosis.ts';
import { describeExitCode, explainExitCode } from './exit-codes.ts';
import { errorLogHints } from './logs.ts';
import { findBadRollout, preferRollback } from './revisions.ts';
import {
  type ContainerView,
  START_FAILURE_REASONS,
  containerViews,
  lastTermination,
  lines,
  nameOf,
  podSubject,
  terminationLine,
  terminationMessageLine,
  waitingLine,
} from './support.ts';

/** Restarts at or above this count, with the container not ready, count as a crash loop even between back-offs. */
export const CRASH_LOOP_MIN_RESTARTS = 3;

/**
 * `pod.crash_loop`: app containers in `CrashLoopBackOff` (or restarting repeatedly), explained by
 * their last exit code. OOM kills and start failures are left to `pod.oom_killed` and
 * `pod.config_error`. Evidence: termination line, waiting line, termination message and up to
 * five error lines of the crashed instance's log. Actions: `restart` then `escalate`
 * (`escalate` first when a restart cannot help, e.g. exit 127), `rollback` first when the pod
 * belongs to a bad rollout.
 */
export const crashLoopAnalyzer: Analyzer = {
  name: 'pod.crash_loop',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) =>
      containerViews(pod, { which: 'app' })
        .filter(isCrashLooping)
        .map((view) => preferRollback(crashLoopFinding(evidence, view), bad, pod)),
    );
  },
};

/** Whether a container is crash-looping for a reason this analyzer owns (not OOM, not a start failure). */
function isCrashLooping(view: ContainerView): boolean {
  const { status } = view;
  const term = lastTermination(status);
  if (term?.reason === 'OOMKilled' || (term?.reason && START_FAILURE_REASONS.has(term.reason))) return false;
  if (status.state?.waiting?.reason === 'CrashLoopBackOff') return true;
  return (status.restartCount ?? 0) >= CRASH_LOOP_MIN_RESTARTS && status.ready === false && term !== undefined && term.exitCode !== 0;
}

function crashLoopFinding(evidence: Evidence, view: ContainerView): Finding {
  const container = view.status.name;
  const pod = nameOf(view.pod);
  const term = lastTermination(view.status);
  const base = {
    analyzer: 'pod.crash_loop',
    category: 'crash_loop' as const,
    subject: podSubject(view.pod),
    evidence: lines(
      terminationLine(view),
      waitingLine(view),
      terminationMessageLine(view),
      ...errorLogHints(evidence, pod, container),
    ),
  };
  if (!term) {
    return {
      ...base,
      cause: `Container ${container} keeps crashing; its last exit code is not reported`,
      actions: ['restart', 'escalate'],
      confidence: 0.7,
      params: { pod, container },
    };
  }
  const restartHelps = explainExitCode(term.exitCode).restartHelps;
  // An OrderedReady StatefulSet replaces no pod while one is not ready, so a rolling restart
  // stalls; deleting the crash-looping pod is the fallback its catalog entry is refused for.
  const fallback: ActionKind[] = orderedReadyStatefulSetPod(evidence, view) ? ['delete_pod'] : [];
  const actions: ActionKind[] = restartHelps ? ['restart', ...fallback, 'escalate'] : ['escalate', 'restart'];
  return {
    ...base,
    cause: `Container ${container} keeps crashing with ${describeExitCode(term.exitCode)}`,
    actions,
    confidence: 0.85,
    params: { pod, container, exitCode: term.exitCode },
  };
}

/** Whether the pod belongs to a StatefulSet with `podManagementPolicy: OrderedReady` (the default). */
function orderedReadyStatefulSetPod(evidence: Evidence, view: ContainerView): boolean {
  const owner = view.pod.metadata?.ownerReferences?.find((o) => o.kind === 'StatefulSet')?.name;
  if (!owner) return false;
  const set = evidence.statefulSet && nameOf(evidence.statefulSet) === owner ? evidence.statefulSet : undefined;
  return (set?.spec?.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
}

/** Confidence of an OOM finding while the container is still failing. */
export const OOM_CONFIDENCE = 0.95;

/** Confidence of an OOM finding when the container has since been running and ready again. */
export const OOM_RECOVERED_CONFIDENCE = 0.8;

/**
 * `pod.oom_killed`: containers (app or init) whose current or last run ended `OOMKilled`.
 * With a memory limit the fix is more memory: actions `raise_memory` (params `container`,
 * `currentLimit` as written in the pod spec, e.g. `100Mi`) then `restart`. Without a limit the
 * node itself ran out of memory: `restart` then `escalate`. `rollback` first when the pod belongs
 * to a bad rollout.
 */
export const oomKilledAnalyzer: Analyzer = {
  name: 'pod.oom_killed',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) =>
      containerViews(pod)
        .filter((view) => lastTermination(view.status)?.reason === 'OOMKilled')
        .map((view) => preferRollback(oomFinding(view), bad, pod)),
    );
  },
};

function oomFinding(view: ContainerView): Finding {
  const container = view.status.name;
  const limit = view.spec?.resources?.limits?.memory;
  const request = view.spec?.resources?.requests?.memory;
  const resources = `Pod ${nameOf(view.pod)}: container ${container} memory limit ${limit ?? 'none'}, request ${request ?? 'none'}`;
  const recovered = view.status.ready === true && view.status.state?.running !== undefined;
  const shared = {
    analyzer: 'pod.oom_killed',
    category: 'oom_killed' as const,
    subject: podSubject(view.pod),
    evidence: lines(terminationLine(view), waitingLine(view), resources),
    confidence: recovered ? OOM_RECOVERED_CONFIDENCE : OOM_CONFIDENCE,
  };
  if (limit === undefined) {
    return {
      ...shared,
      cause: `Container ${container} was OOM-killed (exit code 137) without a memory limit: the node ran out of memory`,
      actions: ['restart', 'escalate'],
      params: { pod: nameOf(view.pod), container },
    };
  }
  return {
    ...shared,
    cause: `Container ${container} is killed for exceeding its memory limit of ${limit} (OOMKilled, exit code 137)`,
    actions: ['raise_memory', 'restart'],
    params: { pod: nameOf(view.pod), container, currentLimit: String(limit) },
  };
}
