/**
 * `pdb.blocking`: a PodDisruptionBudget that allows no voluntary disruption although its pods are
 * healthy — as written it blocks every eviction, so `kubectl drain`, node upgrades and the cluster
 * autoscaler stall on its pods.
 *
 * Kubernetes semantics: the disruption controller sets `status.disruptionsAllowed =
 * currentHealthy - desiredHealthy`; the Eviction API refuses with 429 `Cannot evict pod as it would
 * violate the pod's disruption budget` while it is 0. A budget with `minAvailable` equal to the
 * replica count (or `maxUnavailable: 0`) is 0 even when every pod is healthy.
 * Source: https://kubernetes.io/docs/tasks/run-application/configure-pdb/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { PodDisruptionBudget } from '../k8s-objects.ts';
import { lines, nameOf } from './support.ts';

/** Alerts that are about a budget (kube-prometheus `KubePdbNotEnoughHealthyPods`). */
const PDB_ALERTS = new Set(['KubePdbNotEnoughHealthyPods']);

/**
 * `pdb.blocking`: the evidence's budget allows 0 disruptions with `currentHealthy >=
 * desiredHealthy` (pods are fine; the budget itself blocks). Confidence 0.85 when a node running
 * its pods is cordoned (a drain is waiting on it) or the alert is about the budget, else 0.55 (a
 * standing risk, not a failure). Action: `escalate` (the budget must allow at least one
 * disruption). Params: `pdb`, `disruptionsAllowed`.
 */
export const pdbBlockingAnalyzer: Analyzer = {
  name: 'pdb.blocking',
  analyze(evidence) {
    const pdb = evidence.pdb;
    const s = pdb?.status;
    if (!pdb || !s || s.disruptionsAllowed !== 0 || (s.expectedPods ?? 0) === 0) return [];
    if ((s.currentHealthy ?? 0) < (s.desiredHealthy ?? 0)) return [];
    return [blockingFinding(evidence, pdb)];
  },
};

function blockingFinding(evidence: Evidence, pdb: PodDisruptionBudget): Finding {
  const name = nameOf(pdb);
  const s = pdb.status!;
  const spec = pdb.spec ?? {};
  const rule = spec.minAvailable !== undefined ? `minAvailable ${spec.minAvailable}` : `maxUnavailable ${spec.maxUnavailable ?? '?'}`;
  const hosts = new Set(evidence.pods.map((p) => p.spec?.nodeName).filter(Boolean));
  const cordoned = evidence.nodes.filter((n) => n.spec?.unschedulable && hosts.has(nameOf(n))).map(nameOf);
  const alerted = evidence.alertname !== undefined && PDB_ALERTS.has(evidence.alertname);
  return {
    analyzer: 'pdb.blocking',
    category: 'pdb_blocking',
    cause: `PodDisruptionBudget ${name} (${rule}) allows no voluntary disruption with ${s.currentHealthy} of ${s.expectedPods} pods healthy: evictions and node drains${cordoned.length ? ` (node ${cordoned.join(', ')} is cordoned)` : ''} are blocked`,
    evidence: lines(
      `PodDisruptionBudget ${name}: ${rule}, currentHealthy ${s.currentHealthy}, desiredHealthy ${s.desiredHealthy}, expectedPods ${s.expectedPods}, disruptionsAllowed 0`,
      ...cordoned.map((n) => `Node ${n}: cordoned (spec.unschedulable), runs pods covered by ${name}`),
    ),
    actions: ['escalate'],
    confidence: cordoned.length > 0 || alerted ? 0.85 : 0.55,
    subject: `PodDisruptionBudget/${name}`,
    params: { pdb: name, disruptionsAllowed: 0 },
  };
}
