/**
 * `pod.probe_misconfigured`: probes that can never pass, found by comparing each probe with the
 * pod's declared ports and reading how it fails — a restart cannot fix them, so they are not
 * `probe_failure` (an application that stopped answering).
 *
 * Kubernetes semantics: `httpGet`, `tcpSocket` and `grpc` probes connect to `port` on the pod IP;
 * a named port is resolved against the container's own `ports[].name` (an unknown name makes every
 * probe fail). An `exec` probe runs its command inside the container: when the command does not
 * exist in the image the runtime answers `executable file not found in $PATH` (exit 126/127)
 * every time. Source: https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
import type { ActionKind, Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Container, KEvent, Pod } from '../k8s-objects.ts';
import { type BadRollout, findBadRollout, isInBadRollout } from './revisions.ts';
import { eventContainer, eventLine, eventsAbout, lines, nameOf, podSubject } from './support.ts';

/** The probe fields of a container spec, and the word the kubelet uses in its events. */
export const PROBES = [
  ['livenessProbe', 'Liveness'],
  ['readinessProbe', 'Readiness'],
  ['startupProbe', 'Startup'],
] as const;

/** A probe as written in a container spec (the fields this analyzer reads). */
export interface ProbeSpec {
  httpGet?: { port?: number | string; path?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  exec?: { command?: string[] };
}

/** What makes a probe unable to pass. */
export type ProbeMistake =
  | { kind: 'undeclared_port'; port: number; declared: number[] }
  | { kind: 'unknown_port_name'; port: string; declared: string[] }
  | { kind: 'exec_command_missing'; command: string };

/** Unhealthy-event messages of an exec probe whose command is not in the image. */
const EXEC_MISSING = /executable file not found|exec: "?([^":]+)"?: not found|: not found|command not found|no such file or directory/i;

/**
 * Why a probe can never pass, or `undefined` when nothing in the spec or events says so.
 *
 * @param probe the probe spec.
 * @param container the container it belongs to (its named ports).
 * @param pod the pod (every container's declared ports).
 * @param events this probe's `Unhealthy` events, newest first.
 * @example probeMistake({ httpGet: { port: 8081 } }, c, pod, []) // { kind: 'undeclared_port', port: 8081, declared: [8080] }
 */
export function probeMistake(probe: ProbeSpec, container: Container, pod: Pod, events: KEvent[]): ProbeMistake | undefined {
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    const names = portsOf(container).flatMap((p) => (p.name ? [p.name] : []));
    return names.includes(port) ? undefined : { kind: 'unknown_port_name', port, declared: names };
  }
  if (port !== undefined) {
    const number = Number(port);
    const declared = (pod.spec?.containers ?? []).flatMap((c) => portsOf(c).map((p) => p.containerPort));
    // Declaring ports is optional: without any declaration the spec says nothing about where the app listens.
    return declared.length > 0 && !declared.includes(number) ? { kind: 'undeclared_port', port: number, declared } : undefined;
  }
  const command = probe.exec?.command;
  if (command && events.some((e) => EXEC_MISSING.test(e.message ?? ''))) {
    return { kind: 'exec_command_missing', command: command.join(' ') };
  }
  return undefined;
}

function portsOf(container: Container): Array<{ containerPort: number; name?: string }> {
  return (container.ports as Array<{ containerPort: number; name?: string }> | undefined) ?? [];
}

function describeMistake(m: ProbeMistake): string {
  switch (m.kind) {
    case 'undeclared_port':
      return `it checks port ${m.port}, which no container of the pod declares (ports ${m.declared.join(', ')})`;
    case 'unknown_port_name':
      return `it checks the named port "${m.port}", which the container does not declare${m.declared.length ? ` (names ${m.declared.join(', ')})` : ''}`;
    case 'exec_command_missing':
      return `its exec command "${m.command}" does not exist in the image`;
  }
}

/**
 * `pod.probe_misconfigured`. Only probes that are failing count (an `Unhealthy` event for them, a
 * liveness probe with restarts, or a readiness/startup probe of a container that is not ready).
 * Confidence 0.92 (above `pod.probe_failure`). Actions: `escalate` (the probe must be fixed);
 * `rollback` first when the pod belongs to the latest revision of a bad rollout and the healthy
 * revision's probe was different. Params: `pod`, `container`, `probe`, `mistake`.
 */
export const probeMisconfiguredAnalyzer: Analyzer = {
  name: 'pod.probe_misconfigured',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) =>
      (pod.spec?.containers ?? []).flatMap((container) =>
        PROBES.flatMap(([field, word]) => {
          const probe = container[field] as ProbeSpec | undefined;
          if (!probe) return [];
          const events = eventsAbout(evidence, 'Pod', nameOf(pod), 'Unhealthy').filter(
            (e) => (e.message ?? '').startsWith(`${word} probe`) && (eventContainer(e) ?? pod.spec?.containers?.[0]?.name) === container.name,
          );
          if (!isFailing(pod, container.name, word, events)) return [];
          const mistake = probeMistake(probe, container, pod, events);
          return mistake ? [misconfiguredFinding(evidence, pod, container, field, word, mistake, events, bad)] : [];
        }),
      ),
    );
  },
};

function isFailing(pod: Pod, container: string, word: string, events: KEvent[]): boolean {
  if (events.length > 0) return true;
  const status = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (!status) return false;
  return word === 'Liveness' ? (status.restartCount ?? 0) > 0 : status.ready === false;
}

function misconfiguredFinding(
  evidence: Evidence,
  pod: Pod,
  container: Container,
  field: string,
  word: string,
  mistake: ProbeMistake,
  events: KEvent[],
  bad: BadRollout | undefined,
): Finding {
  const previous = bad && isInBadRollout(bad, pod) ? bad.healthy.replicaSet.spec?.template?.spec?.containers?.find((c) => c.name === container.name) : undefined;
  const probeChanged = previous !== undefined && JSON.stringify(previous[field] ?? null) !== JSON.stringify(container[field] ?? null);
  const actions: ActionKind[] = probeChanged ? ['rollback', 'escalate'] : ['escalate'];
  const consequence = word === 'Readiness' ? 'the pod never becomes ready' : 'the kubelet keeps restarting the container';
  return {
    analyzer: 'pod.probe_misconfigured',
    category: 'probe_misconfigured',
    cause: `${word} probe of container ${container.name} can never pass: ${describeMistake(mistake)}, so ${consequence}; a restart cannot fix it`,
    evidence: lines(
      `Pod ${nameOf(pod)}: container ${container.name} ${field} ${JSON.stringify(container[field])}`,
      ...events.slice(0, 2).map(eventLine),
      probeChanged && `Revision ${bad!.healthy.number} (ReplicaSet ${bad!.healthy.name}) had ${field} ${JSON.stringify(previous![field] ?? null)} and was healthy`,
    ),
    actions,
    confidence: 0.92,
    subject: podSubject(pod),
    params: {
      pod: nameOf(pod),
      container: container.name,
      probe: word.toLowerCase(),
      mistake: mistake.kind,
      ...(probeChanged ? { toRevision: bad!.healthy.number } : {}),
    },
  };
}
