/**
 * `pod.probe_failure`: failing liveness, readiness and startup probes, read from the kubelet's
 * `Unhealthy` Warning events (`Liveness probe failed: HTTP probe failed with statuscode: 500`).
 *
 * Kubernetes semantics: a failing liveness or startup probe makes the kubelet kill and restart
 * the container (`Killing` event `Container x failed liveness probe, will be restarted`); a failing
 * readiness probe only removes the pod from Service endpoints.
 * Source: https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { KEvent, Pod } from '../k8s-objects.ts';
import { findBadRollout, preferRollback } from './revisions.ts';
import { clip, eventContainer, eventLine, eventsAbout, lines, nameOf, podSubject } from './support.ts';

/** Probe kinds as they appear at the start of `Unhealthy` messages. */
export type ProbeKind = 'Liveness' | 'Readiness' | 'Startup';

/** One failing probe of one container. */
interface ProbeFailure {
  probe: ProbeKind;
  container: string;
  events: KEvent[];
}

/**
 * `pod.probe_failure`. Confidence 0.9 when a liveness/startup probe is restarting the container,
 * 0.8 for a liveness/startup probe without restarts yet, 0.75 for readiness. Actions: `restart`
 * then `escalate`; `rollback` first when the pod belongs to a bad rollout. Params: `pod`,
 * `container`, `probe`.
 */
export const probeFailureAnalyzer: Analyzer = {
  name: 'pod.probe_failure',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) => probeFailures(evidence, pod).map((f) => preferRollback(probeFinding(evidence, pod, f), bad, pod)));
  },
};

/**
 * Group a pod's recent `Unhealthy` events by container and probe kind.
 *
 * @returns one entry per failing (container, probe), events newest first.
 */
function probeFailures(evidence: Evidence, pod: Pod): ProbeFailure[] {
  const groups = new Map<string, ProbeFailure>();
  for (const event of eventsAbout(evidence, 'Pod', nameOf(pod), 'Unhealthy')) {
    const probe = /^(Liveness|Readiness|Startup) probe/.exec(event.message ?? '')?.[1] as ProbeKind | undefined;
    if (!probe) continue;
    const container = eventContainer(event) ?? pod.spec?.containers?.[0]?.name ?? '?';
    const key = `${container}/${probe}`;
    const group = groups.get(key) ?? { probe, container, events: [] };
    group.events.push(event);
    groups.set(key, group);
  }
  return [...groups.values()];
}

function probeFinding(evidence: Evidence, pod: Pod, failure: ProbeFailure): Finding {
  const { probe, container, events } = failure;
  const restarts = pod.status?.containerStatuses?.find((c) => c.name === container)?.restartCount ?? 0;
  const kills = eventsAbout(evidence, 'Pod', nameOf(pod), 'Killing').filter((e) => /failed (liveness|startup) probe/i.test(e.message ?? '') && (eventContainer(e) ?? container) === container);
  const restarting = probe !== 'Readiness' && (restarts > 0 || kills.length > 0);
  const detail = clip((events[0]?.message ?? '').replace(/^\w+ probe failed:\s*/, ''), 160);
  const consequence = probe === 'Readiness' ? 'so the pod receives no traffic' : restarting ? 'so the kubelet keeps restarting it' : 'so the kubelet will restart it';
  return {
    analyzer: 'pod.probe_failure',
    category: 'probe_failure',
    cause: `${probe} probe of container ${container} fails (${detail}), ${consequence}`,
    evidence: lines(...events.slice(0, 2).map(eventLine), ...kills.slice(0, 1).map(eventLine), restarts > 0 && `Pod ${nameOf(pod)}: container ${container} restarts ${restarts}`),
    actions: ['restart', 'escalate'],
    confidence: restarting ? 0.9 : probe === 'Readiness' ? 0.75 : 0.8,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), container, probe: probe.toLowerCase() },
  };
}
