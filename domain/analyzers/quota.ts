/**
 * `workload.quota_exceeded`: a controller cannot create pods because the namespace's
 * ResourceQuota is used up (or requires requests/limits the pod template does not set).
 *
 * Kubernetes semantics: the ResourceQuota admission plugin rejects the pod create; the
 * ReplicaSet, StatefulSet, DaemonSet or Job controller records a `FailedCreate` Warning event
 * `Error creating: pods "web-7d9c-x" is forbidden: exceeded quota: compute, requested:
 * limits.memory=512Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi` (or `failed quota:
 * compute: must specify limits.cpu`), and a Deployment shows `ReplicaFailure=True`.
 * Source: https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { KEvent } from '../k8s-objects.ts';
import { clip, eventLine, isRecent, lines, nameOf } from './support.ts';

/** What a quota rejection says. */
export interface QuotaRejection {
  quota: string;
  requested?: string;
  used?: string;
  limited?: string;
  /** For `failed quota … must specify …`: the fields the pod must set. */
  mustSpecify?: string;
}

/**
 * Parse a ResourceQuota admission message.
 *
 * @example parseQuotaMessage('… exceeded quota: compute, requested: pods=1, used: pods=10, limited: pods=10')
 *   // { quota: 'compute', requested: 'pods=1', used: 'pods=10', limited: 'pods=10' }
 * @returns `undefined` when the message is not a quota rejection.
 */
export function parseQuotaMessage(message: string): QuotaRejection | undefined {
  const exceeded = /exceeded quota: ([\w.-]+)(?:, requested: (.+?), used: (.+?), limited: (.+?))?$/s.exec(message.trim());
  if (exceeded) {
    return { quota: exceeded[1]!, ...(exceeded[2] ? { requested: exceeded[2], used: exceeded[3]!, limited: exceeded[4]! } : {}) };
  }
  const failed = /failed quota: ([\w.-]+): must specify (.+)$/s.exec(message.trim());
  return failed ? { quota: failed[1]!, mustSpecify: failed[2]!.trim() } : undefined;
}

/**
 * `workload.quota_exceeded`: one finding for the newest `FailedCreate` quota rejection (or the
 * Deployment's `ReplicaFailure` condition when no event was gathered). Confidence 0.9, above the
 * stuck rollout it causes. Action: `escalate` (raise the quota or lower the requests). Params:
 * `quota`, and `requested`/`used`/`limited` or `mustSpecify`.
 */
export const quotaExceededAnalyzer: Analyzer = {
  name: 'workload.quota_exceeded',
  analyze(evidence) {
    const events = evidence.events
      .filter((e) => e.reason === 'FailedCreate' && isRecent(e, evidence.collectedAt) && parseQuotaMessage(e.message ?? ''))
      .slice(0, 2);
    const condition = evidence.deployment?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True' && parseQuotaMessage(c.message ?? ''));
    const message = events[0]?.message ?? condition?.message;
    if (!message) return [];
    return [quotaFinding(evidence, parseQuotaMessage(message)!, events, condition?.message)];
  },
};

function quotaFinding(evidence: Evidence, q: QuotaRejection, events: KEvent[], conditionMessage: string | undefined): Finding {
  const what = q.mustSpecify
    ? `ResourceQuota ${q.quota} requires every pod to set ${q.mustSpecify}, and the pod template does not`
    : q.requested
      ? `ResourceQuota ${q.quota} is used up (requested ${q.requested}; used ${q.used} of ${q.limited})`
      : `ResourceQuota ${q.quota} is exceeded`;
  const subject = events[0]?.involvedObject ? `${events[0].involvedObject.kind}/${events[0].involvedObject.name}` : `${evidence.target.kind}/${evidence.target.name}`;
  return {
    analyzer: 'workload.quota_exceeded',
    category: 'quota_exceeded',
    cause: `Pods cannot be created in namespace ${evidence.target.namespace || 'default'}: ${what}`,
    evidence: lines(
      ...events.map(eventLine),
      conditionMessage && clip(`ReplicaFailure: ${conditionMessage}`),
      ...(evidence.resourceQuotas ?? []).filter((r) => nameOf(r) === q.quota).map((r) => clip(`ResourceQuota ${q.quota}: ${Object.entries(r.status?.hard ?? {}).map(([k, v]) => `${k} ${r.status?.used?.[k] ?? '?'}/${v}`).join(', ')}`)),
    ),
    actions: ['escalate'],
    confidence: 0.9,
    subject,
    params: { quota: q.quota, ...(q.requested ? { requested: q.requested, used: q.used!, limited: q.limited! } : {}), ...(q.mustSpecify ? { mustSpecify: q.mustSpecify } : {}) },
  };
}
