/**
 * `container.cpu_throttled`: CPU throttling named by the alert (`CPUThrottlingHigh`, kube-prometheus:
 * `container_cpu_cfs_throttled_periods_total / container_cpu_cfs_periods_total > 25%`). Throttling
 * shows in no object status; the alert and the container's CPU limit are the evidence.
 *
 * Kubernetes semantics: a CPU limit becomes a CFS quota per 100 ms period; a container that wants
 * more is paused until the next period (latency, failed probes), it is not killed.
 * Source: https://runbooks.prometheus-operator.dev/runbooks/kubernetes/cputhrottlinghigh/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Container } from '../k8s-objects.ts';
import { lines } from './support.ts';

/** Alert names that mean CPU throttling. */
export const THROTTLING_ALERTS = new Set(['CPUThrottlingHigh']);

/**
 * `container.cpu_throttled`: for the alert's container (its `container` label), else every
 * container with a CPU limit. Confidence 0.8 (a pod-level failure found alongside outranks it).
 * Action: `escalate` (raise or remove the CPU limit, or find what burns CPU). Params:
 * `container`, `cpuLimit`.
 */
export const cpuThrottledAnalyzer: Analyzer = {
  name: 'container.cpu_throttled',
  analyze(evidence) {
    if (!evidence.alertname || !THROTTLING_ALERTS.has(evidence.alertname)) return [];
    const template = templateContainers(evidence);
    const named = evidence.target.container ? template.filter((c) => c.name === evidence.target.container) : template.filter((c) => c.resources?.limits?.cpu !== undefined);
    const containers = named.length > 0 ? named : template.slice(0, 1);
    return containers.map((c) => throttledFinding(evidence, c));
  },
};

function templateContainers(evidence: Evidence): Container[] {
  const workload = evidence.deployment ?? evidence.statefulSet ?? evidence.daemonSet ?? evidence.job;
  return workload?.spec?.template?.spec?.containers ?? evidence.pods[0]?.spec?.containers ?? [];
}

function throttledFinding(evidence: Evidence, c: Container): Finding {
  const limit = c.resources?.limits?.cpu;
  const request = c.resources?.requests?.cpu;
  const subject = `${evidence.target.kind}/${evidence.target.name}`;
  return {
    analyzer: 'container.cpu_throttled',
    category: 'cpu_throttled',
    cause:
      limit !== undefined
        ? `Container ${c.name} is CPU-throttled (${evidence.alertname}): it needs more CPU than its limit of ${limit} allows, so it is paused every CFS period`
        : `Container ${c.name} is reported CPU-throttled (${evidence.alertname}) but its spec sets no CPU limit here (a LimitRange default may apply)`,
    evidence: lines(`${subject}: container ${c.name} cpu limit ${limit ?? 'none'}, request ${request ?? 'none'}`),
    actions: ['escalate'],
    confidence: 0.8,
    subject,
    params: { container: c.name, ...(limit !== undefined ? { cpuLimit: String(limit) } : {}) },
  };
}
