/**
 * `pod.unschedulable`: Pending pods the scheduler cannot place, explained from its
 * `FailedScheduling` message (or the `PodScheduled=False, reason Unschedulable` condition):
 * `0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. preemption: …`.
 *
 * Kubernetes semantics: the message counts, per filter plugin, how many nodes it rejected
 * (NodeResourcesFit → `Insufficient <resource>`, TaintToleration → `untolerated taint`,
 * NodeAffinity → `didn't match Pod's node affinity/selector`, VolumeBinding → `unbound immediate
 * PersistentVolumeClaims`, …); the part after `preemption:` is about preemption and is ignored.
 * Source: https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/
 */
import type { ActionKind, Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Pod } from '../k8s-objects.ts';
import { clip, eventLine, eventsAbout, isPodReady, lines, nameOf, podSubject, requestedQuantities } from './support.ts';

/** Why some nodes rejected the pod. */
export type ObstacleKind = 'insufficient' | 'taint' | 'node_selector' | 'pod_affinity' | 'volume' | 'cordoned' | 'ports' | 'other';

/** One clause of a scheduler message. */
export interface SchedulingObstacle {
  kind: ObstacleKind;
  /** Nodes rejected for this reason, when the message counts them. */
  nodes?: number;
  /** For `insufficient`: the resource, e.g. `cpu`, `memory`, `nvidia.com/gpu`. */
  resource?: string;
  /** For `taint`: the taint as printed, e.g. `node-role.kubernetes.io/control-plane: `. */
  taint?: string;
  /** The clause as written. */
  text: string;
}

/** A parsed scheduler message. */
export interface SchedulingFailure {
  /** Nodes considered (`0/3 nodes` → 3), when stated. */
  totalNodes?: number;
  obstacles: SchedulingObstacle[];
}

const CLASSIFIERS: Array<[ObstacleKind, RegExp]> = [
  ['insufficient', /Insufficient /],
  ['taint', /untolerated taint|had taint|didn't tolerate/i],
  ['node_selector', /node affinity\/selector|node selector|didn't match Pod's node affinity/i],
  ['pod_affinity', /pod affinity|anti-affinity|pod topology spread/i],
  ['volume', /PersistentVolumeClaim|persistent volume|volume node affinity|volume/i],
  ['cordoned', /were unschedulable|node\(s\) unschedulable/i],
  ['ports', /free ports/i],
];

/**
 * Parse a scheduler message into its clauses.
 *
 * @example parseSchedulingMessage('0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. preemption: …')
 *   // { totalNodes: 3, obstacles: [{ kind: 'taint', nodes: 1, … }, { kind: 'insufficient', nodes: 2, resource: 'cpu', … }] }
 */
export function parseSchedulingMessage(message: string): SchedulingFailure {
  const head = /^\s*\d+\/(\d+) nodes are available:\s*(.*)$/s.exec(message);
  const body = (head ? head[2]! : message).split(/\.\s+|\.$|\s+preemption:/)[0] ?? '';
  const clauses = body.split(/,\s*(?=\d+\s)/).map((c) => c.trim()).filter(Boolean);
  return { ...(head ? { totalNodes: Number(head[1]) } : {}), obstacles: clauses.map(parseClause) };
}

function parseClause(text: string): SchedulingObstacle {
  const count = /^(\d+)\s+(.*)$/.exec(text);
  const rest = count ? count[2]! : text;
  const kind = CLASSIFIERS.find(([, re]) => re.test(rest))?.[0] ?? 'other';
  const obstacle: SchedulingObstacle = { kind, text, ...(count ? { nodes: Number(count[1]) } : {}) };
  if (kind === 'insufficient') obstacle.resource = /Insufficient (\S+)/.exec(rest)?.[1];
  if (kind === 'taint') {
    const taint = /\{([^}]*)\}/.exec(rest)?.[1];
    if (taint !== undefined) obstacle.taint = taint;
  }
  return obstacle;
}

/**
 * `pod.unschedulable`. Actions: `escalate` (a person must add capacity, tolerations, labels or
 * storage); when resources are insufficient `scale` is offered too, first when other pods of the
 * workload are running (scaling to the running count clears the pods that cannot fit).
 * Params: `pod`, `obstacles` (comma-separated kinds), `resource` and `replicas` when relevant.
 */
export const unschedulableAnalyzer: Analyzer = {
  name: 'pod.unschedulable',
  analyze(evidence) {
    return evidence.pods.filter((p) => p.status?.phase === 'Pending').flatMap((pod) => unschedulableFinding(evidence, pod) ?? []);
  },
};

function unschedulableFinding(evidence: Evidence, pod: Pod): Finding | undefined {
  const event = eventsAbout(evidence, 'Pod', nameOf(pod), 'FailedScheduling')[0];
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  const message = event?.message ?? condition?.message;
  if (!message) return undefined;
  const failure = parseSchedulingMessage(message);
  const insufficient = failure.obstacles.find((o) => o.kind === 'insufficient');
  const running = evidence.pods.filter((p) => p.status?.phase === 'Running' && isPodReady(p)).length;
  // Scaling down to what fits is only a fix when no HPA owns the replica count (it would undo it).
  const hpaOwnsReplicas = evidence.hpa !== undefined;
  const actions: ActionKind[] = !insufficient ? ['escalate'] : running > 0 && !hpaOwnsReplicas ? ['scale', 'escalate'] : ['escalate', 'scale'];
  const where = failure.totalNodes !== undefined ? ` on any of ${failure.totalNodes} nodes` : '';
  return {
    analyzer: 'pod.unschedulable',
    category: 'unschedulable',
    cause: `Pod cannot be scheduled${where}: ${failure.obstacles.map((o) => describeObstacle(o, pod)).join('; ') || clip(message, 160)}`,
    evidence: lines(
      event ? eventLine(event) : clip(`Pod ${nameOf(pod)}: PodScheduled=False (Unschedulable): ${message}`),
      insufficient?.resource && `Pod ${nameOf(pod)}: requests ${insufficient.resource} ${requestedQuantities(pod, insufficient.resource).join(' + ') || 'none'}`,
    ),
    actions,
    confidence: 0.9,
    subject: podSubject(pod),
    params: {
      pod: nameOf(pod),
      obstacles: [...new Set(failure.obstacles.map((o) => o.kind))].join(','),
      ...(insufficient?.resource ? { resource: insufficient.resource } : {}),
      ...(insufficient && running > 0 ? { replicas: running } : {}),
    },
  };
}

function describeObstacle(o: SchedulingObstacle, pod: Pod): string {
  const nodes = o.nodes !== undefined ? `${o.nodes} node(s) ` : '';
  switch (o.kind) {
    case 'insufficient': {
      const requested = requestedQuantities(pod, o.resource ?? '').join(' + ');
      return `${nodes}lack ${o.resource}${requested ? ` (pod requests ${requested})` : ''}`;
    }
    case 'taint':
      return `${nodes}have a taint the pod does not tolerate${o.taint ? ` (${o.taint.trim().replace(/:$/, '')})` : ''}`;
    case 'node_selector':
      return `${nodes}do not match its node selector/affinity`;
    case 'pod_affinity':
      return `${nodes}violate its pod affinity/anti-affinity or spread rules`;
    case 'volume':
      return /unbound/i.test(o.text) ? 'its PersistentVolumeClaim is not bound' : `${nodes}fail its volume requirements (${o.text})`;
    case 'cordoned':
      return `${nodes}are cordoned (unschedulable)`;
    case 'ports':
      return `${nodes}lack the free host ports it needs`;
    case 'other':
      return o.text;
  }
}
