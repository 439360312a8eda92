/**
 * `pod.evicted`: pods the kubelet evicted under node pressure (`status.phase: Failed`,
 * `status.reason: Evicted`, `status.message: The node was low on resource: memory. …`).
 *
 * Kubernetes semantics: node-pressure eviction terminates pods to reclaim memory, disk or PIDs;
 * the evicted Pod objects stay in the API (phase Failed) until deleted, while their controller
 * creates replacements. Source: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/
 */
import type { Analyzer, Finding } from '../diagnosis.ts';
import type { Pod } from '../k8s-objects.ts';
import { clip, nameOf, podSubject } from './support.ts';

/**
 * The starved resource named in an eviction message, e.g. `memory`, `ephemeral-storage`;
 * `DiskPressure` style conditions (`The node had condition: [DiskPressure].`) are mapped too.
 */
export function evictionResource(message: string): string | undefined {
  const low = /low on resource: ([\w-]+)/i.exec(message)?.[1];
  if (low) return low;
  const condition = /condition: \[(\w+)Pressure\]/i.exec(message)?.[1];
  return condition ? condition.toLowerCase() : undefined;
}

/**
 * `pod.evicted`. Action: `delete_pod` (remove the failed Pod object; its controller has replaced
 * it). Params: `pod`, `node`, `resource` when stated.
 */
export const evictedAnalyzer: Analyzer = {
  name: 'pod.evicted',
  analyze(evidence) {
    return evidence.pods.filter((p) => p.status?.phase === 'Failed' && p.status.reason === 'Evicted').map(evictedFinding);
  },
};

function evictedFinding(pod: Pod): Finding {
  const message = pod.status?.message ?? '';
  const resource = evictionResource(message);
  const node = pod.spec?.nodeName;
  return {
    analyzer: 'pod.evicted',
    category: 'evicted',
    cause: `Pod was evicted by the kubelet${node ? ` of node ${node}` : ''} because the node ran low on ${resource ?? 'a resource'}`,
    evidence: [clip(`Pod ${nameOf(pod)}: phase Failed, reason Evicted${node ? `, node ${node}` : ''}: ${message || 'no message'}`)],
    actions: ['delete_pod'],
    confidence: 0.85,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), ...(node ? { node } : {}), ...(resource ? { resource } : {}) },
  };
}
