/**
 * Node analyzers: `node.not_ready` (condition `Ready` is `False` or `Unknown`) and
 * `node.pressure` (`MemoryPressure`, `DiskPressure` or `PIDPressure` is `True`).
 *
 * Kubernetes semantics: the kubelet reports `Ready=False` when it is unhealthy (runtime or network
 * not ready, PLEG), the node controller sets `Ready=Unknown` when the kubelet stops posting status
 * (`NodeStatusUnknown`); pressure conditions make the kubelet evict pods and the scheduler avoid
 * the node. Source: https://kubernetes.io/docs/reference/node/node-status/#condition
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Condition, Node } from '../k8s-objects.ts';
import { clip, lines, nameOf } from './support.ts';

/** Pressure condition types and the resource each one is about. */
export const PRESSURE_CONDITIONS: Record<string, string> = {
  MemoryPressure: 'memory',
  DiskPressure: 'disk',
  PIDPressure: 'process IDs',
};

/** At most this many affected pods are listed in a node finding's evidence. */
const MAX_POD_LINES = 5;

/**
 * `node.not_ready`. Confidence 0.95. Action: `escalate` (the catalog has no node actions; the
 * node controller evicts its pods after the `not-ready`/`unreachable` toleration, 300 s by default).
 * Params: `node`, `status`.
 */
export const nodeNotReadyAnalyzer: Analyzer = {
  name: 'node.not_ready',
  analyze(evidence) {
    return evidence.nodes.flatMap((node) => {
      const ready = condition(node, 'Ready');
      return ready && ready.status !== 'True' ? [notReadyFinding(evidence, node, ready)] : [];
    });
  },
};

function notReadyFinding(evidence: Evidence, node: Node, ready: Condition): Finding {
  const name = nameOf(node);
  const why = ready.status === 'Unknown' ? 'its kubelet stopped reporting status' : (ready.message ?? ready.reason ?? 'the kubelet reports it is not ready');
  return {
    analyzer: 'node.not_ready',
    category: 'node_not_ready',
    cause: `Node ${name} is NotReady (Ready=${ready.status}): ${clip(why, 200)}`,
    evidence: lines(conditionLine(name, ready), ...nodeFlags(node), ...podsOn(evidence, name)),
    actions: ['escalate'],
    confidence: 0.95,
    subject: `Node/${name}`,
    params: { node: name, status: ready.status },
  };
}

/**
 * `node.pressure`: one finding per node listing every active pressure. Confidence 0.8. Action:
 * `escalate`. Params: `node`, `pressure` (comma-separated condition types).
 */
export const nodePressureAnalyzer: Analyzer = {
  name: 'node.pressure',
  analyze(evidence) {
    return evidence.nodes.flatMap((node) => {
      const active = (node.status?.conditions ?? []).filter((c) => c.type in PRESSURE_CONDITIONS && c.status === 'True');
      return active.length > 0 ? [pressureFinding(evidence, node, active)] : [];
    });
  },
};

function pressureFinding(evidence: Evidence, node: Node, active: Condition[]): Finding {
  const name = nameOf(node);
  const resources = active.map((c) => PRESSURE_CONDITIONS[c.type]).join(' and ');
  return {
    analyzer: 'node.pressure',
    category: 'node_pressure',
    cause: `Node ${name} is low on ${resources} (${active.map((c) => c.type).join(', ')}): the kubelet evicts pods and the scheduler avoids it`,
    evidence: lines(...active.map((c) => conditionLine(name, c)), ...podsOn(evidence, name)),
    actions: ['escalate'],
    confidence: 0.8,
    subject: `Node/${name}`,
    params: { node: name, pressure: active.map((c) => c.type).join(',') },
  };
}

function condition(node: Node, type: string): Condition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

function conditionLine(node: string, c: Condition): string {
  const since = c.lastTransitionTime ? ` since ${c.lastTransitionTime}` : '';
  return clip(`Node ${node}: condition ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${since}${c.message ? `: ${c.message}` : ''}`);
}

function nodeFlags(node: Node): string[] {
  const name = nameOf(node);
  const taints = (node.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
  return lines(
    node.spec?.unschedulable && `Node ${name}: cordoned (spec.unschedulable)`,
    taints.length > 0 && `Node ${name}: taints ${taints.join(', ')}`,
  );
}

function podsOn(evidence: Evidence, node: string): string[] {
  const pods = evidence.pods.filter((p) => p.spec?.nodeName === node);
  if (pods.length === 0) return [];
  const names = pods.slice(0, MAX_POD_LINES).map(nameOf).join(', ');
  const more = pods.length > MAX_POD_LINES ? ` and ${pods.length - MAX_POD_LINES} more` : '';
  return [`Node ${node}: runs pods of the target: ${names}${more}`];
}
