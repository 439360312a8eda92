/**
 * `pod.network_blocked`: a failing container whose log says a name lookup or a connection timed
 * out, while a NetworkPolicy selects its pod and allows no egress to DNS (port 53) or to the port
 * it dials — the traffic is dropped by policy, not by the dependency.
 *
 * Kubernetes semantics: a pod is isolated for egress as soon as one NetworkPolicy with
 * `policyTypes: [Egress]` selects it; then only what some selecting policy's `egress` rules allow
 * may leave it (rules are additive; a rule without `ports` allows every port, one without `to`
 * every destination). Dropped packets look like timeouts (`i/o timeout`, `EAI_AGAIN`).
 * Source: https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { NetworkPolicy, Pod } from '../k8s-objects.ts';
import { selectorMatches } from '../selectors.ts';
import { matchLogSignature } from './log-signatures.ts';
import { containerViews, lastTermination, lines, nameOf, podSubject } from './support.ts';

/** The cluster DNS port (CoreDNS/kube-dns answer on UDP and TCP 53). */
export const DNS_PORT = 53;

/** Log signatures whose failure a dropped packet produces. */
const BLOCKABLE = new Set(['dns_resolution_failed', 'connection_timed_out']);

/** The NetworkPolicies that select a pod and isolate it for egress. */
export function egressPolicies(policies: readonly NetworkPolicy[], pod: Pod): NetworkPolicy[] {
  return policies.filter((p) => {
    if ((p.metadata?.namespace ?? pod.metadata?.namespace) !== pod.metadata?.namespace) return false;
    if (!selectorMatches(p.spec?.podSelector ?? {}, pod.metadata?.labels ?? {})) return false;
    const types = p.spec?.policyTypes ?? (p.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress']);
    return types.includes('Egress');
  });
}

/**
 * Whether the selecting policies let traffic to `port` out (some rule with no `ports`, or with that
 * port number; named ports count as allowing, since they cannot be resolved here).
 *
 * @param policies the egress policies selecting the pod ({@link egressPolicies}).
 * @param port destination port.
 */
export function egressAllows(policies: readonly NetworkPolicy[], port: number): boolean {
  return policies.some((p) =>
    (p.spec?.egress ?? []).some((rule) => {
      const ports = rule.ports ?? [];
      return ports.length === 0 || ports.some((q) => q.port === undefined || typeof q.port === 'string' || (q.port <= port && port <= (q.endPort ?? q.port)));
    }),
  );
}

/**
 * `pod.network_blocked`. Confidence 0.94 (above the log signature it explains). Action:
 * `escalate` (the policy must allow the traffic). Params: `pod`, `container`, `policies`, `port`.
 */
export const networkBlockedAnalyzer: Analyzer = {
  name: 'pod.network_blocked',
  analyze(evidence) {
    const policies = evidence.networkPolicies ?? [];
    if (policies.length === 0) return [];
    return evidence.pods.flatMap((pod) => {
      const selecting = egressPolicies(policies, pod);
      if (selecting.length === 0) return [];
      return containerViews(pod)
        .filter((v) => !v.status.ready && (lastTermination(v.status)?.exitCode ?? 0) !== 0)
        .flatMap((v) => blockedFinding(evidence, pod, v.status.name, selecting) ?? []);
    });
  },
};

function blockedFinding(evidence: Evidence, pod: Pod, container: string, selecting: NetworkPolicy[]): Finding | undefined {
  const log = evidence.logs.filter((l) => l.pod === nameOf(pod) && l.container === container).sort((a, b) => Number(b.previous) - Number(a.previous))[0];
  const match = log && matchLogSignature(log.lines);
  if (!match || !BLOCKABLE.has(match.signature.id)) return undefined;
  const dns = match.signature.id === 'dns_resolution_failed';
  const port = dns ? DNS_PORT : Number(/:(\d+)$/.exec(match.groups.host ?? '')?.[1] ?? NaN);
  if (!Number.isFinite(port) || egressAllows(selecting, port)) return undefined;
  const names = selecting.map(nameOf);
  const what = dns ? 'DNS (port 53), so every name lookup times out' : `port ${port} (${match.groups.host}), so its connections time out`;
  return {
    analyzer: 'pod.network_blocked',
    category: 'network_blocked',
    cause: `NetworkPolicy ${names.join(', ')} selects pod ${nameOf(pod)} for egress and allows no traffic to ${what}`,
    evidence: lines(
      `Log ${container}${log!.previous ? ' (previous instance)' : ''}: ${match.line}`,
      ...selecting.map((p) => `NetworkPolicy ${nameOf(p)}: podSelector ${JSON.stringify(p.spec?.podSelector ?? {})}, egress rules ${JSON.stringify(p.spec?.egress ?? [])}`.slice(0, 300)),
    ),
    actions: ['escalate'],
    confidence: 0.94,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), container, policies: names.join(','), port },
  };
}
