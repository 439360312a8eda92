/**
 * `job.failed`: a Job the controller gave up on (`Failed=True`, reason `BackoffLimitExceeded`,
 * `DeadlineExceeded` or `PodFailurePolicy`), explained with its pods' last exit codes.
 *
 * Kubernetes semantics: a Job retries failed pods until `spec.backoffLimit` (default 6) failures,
 * or until `activeDeadlineSeconds` passes, then marks itself Failed.
 * Source: https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Job } from '../k8s-objects.ts';
import { describeExitCode } from './exit-codes.ts';
import { errorLogHints } from './logs.ts';
import { clip, containerViews, lastTermination, lines, nameOf, parseTime, terminationLine } from './support.ts';

/** Default `spec.backoffLimit` when the Job does not set it. */
export const DEFAULT_BACKOFF_LIMIT = 6;

const WHY: Record<string, string> = {
  BackoffLimitExceeded: 'reached its backoff limit',
  DeadlineExceeded: 'ran longer than its activeDeadlineSeconds',
  PodFailurePolicy: 'a pod failure matched its podFailurePolicy',
};

/**
 * `job.failed`. Evidence: the Failed condition, failed/succeeded counts, up to three pod
 * terminations and the error lines of the newest failed pod's log. Action: `escalate` (a failed
 * Job needs a fix and a re-run by a person). Params: `job`, `failed`, `backoffLimit`, `exitCode`.
 */
export const jobFailedAnalyzer: Analyzer = {
  name: 'job.failed',
  analyze(evidence) {
    const job = evidence.job;
    const failed = job?.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    return job && failed ? [jobFinding(evidence, job, failed.reason ?? 'Failed', failed.message)] : [];
  },
};

function jobFinding(evidence: Evidence, job: Job, reason: string, message: string | undefined): Finding {
  const name = nameOf(job);
  const limit = job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  const failedCount = job.status?.failed ?? 0;
  const terminated = evidence.pods
    .flatMap((pod) => containerViews(pod, { which: 'all' }))
    .filter((v) => (lastTermination(v.status)?.exitCode ?? 0) !== 0)
    .sort((a, b) => (parseTime(lastTermination(a.status)?.finishedAt) ?? 0) - (parseTime(lastTermination(b.status)?.finishedAt) ?? 0));
  const last = terminated[terminated.length - 1];
  const exitCode = last ? lastTermination(last.status)!.exitCode : undefined;
  const why = WHY[reason] ?? `failed (${reason})`;
  const exit = last && exitCode !== undefined ? `; its pods' container ${last.status.name} ended with ${describeExitCode(exitCode)}` : '';
  return {
    analyzer: 'job.failed',
    category: 'job_failed',
    cause: `Job ${name} ${why} after ${failedCount} failed pod(s) (backoffLimit ${limit})${exit}`,
    evidence: lines(
      clip(`Job ${name}: condition Failed=True (${reason})${message ? `: ${message}` : ''}`),
      `Job ${name}: ${failedCount} failed, ${job.status?.succeeded ?? 0} succeeded, ${job.status?.active ?? 0} active; backoffLimit ${limit}`,
      ...terminated.slice(-3).map(terminationLine),
      ...(last ? errorLogHints(evidence, nameOf(last.pod), last.status.name) : []),
    ),
    actions: ['escalate'],
    confidence: 0.9,
    subject: `Job/${name}`,
    params: { job: name, failed: failedCount, backoffLimit: limit, ...(exitCode !== undefined ? { exitCode } : {}) },
  };
}
