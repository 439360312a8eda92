/**
 * `pod.config_error`: containers the kubelet cannot configure or start.
 *
 * Kubernetes semantics: before creating a container the kubelet resolves `env`/`envFrom`
 * references; a missing ConfigMap, Secret or key leaves the container waiting with
 * `CreateContainerConfigError` (`configmap "x" not found`, `secret "x" not found`,
 * `couldn't find key K in Secret ns/x`). A missing ConfigMap/Secret *volume* keeps the pod in
 * `ContainerCreating` with `FailedMount` events. When the runtime cannot start the process
 * (missing executable, bad mount) the container waits with `RunContainerError` and the last run
 * ends with reason `StartError`, exit code 128.
 * Source: https://kubernetes.io/docs/tasks/debug/debug-application/debug-pods/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { Pod } from '../k8s-objects.ts';
import { findBadRollout, preferRollback } from './revisions.ts';
import {
  type ContainerView,
  START_FAILURE_REASONS,
  capitalise,
  clip,
  containerLabel,
  containerViews,
  eventLine,
  eventsAbout,
  lastTermination,
  lines,
  nameOf,
  podSubject,
  terminationLine,
  waitingLine,
} from './support.ts';

/** What a configuration error points at. */
export interface MissingReference {
  kind: 'ConfigMap' | 'Secret' | 'key';
  name: string;
  /** For `kind: 'key'`: the missing key and the kind of object it was looked up in. */
  key?: string;
  in?: 'ConfigMap' | 'Secret';
}

/**
 * Parse a kubelet configuration error message into what is missing.
 *
 * @example parseMissingReference(`couldn't find key DB_URL in Secret shop/db`) // { kind: 'key', key: 'DB_URL', in: 'Secret', name: 'db' }
 * @returns `undefined` when the message names no missing object.
 */
export function parseMissingReference(message: string): MissingReference | undefined {
  const key = /couldn't find key (\S+) in (ConfigMap|Secret) (?:[\w.-]+\/)?([\w.-]+)/i.exec(message);
  if (key) return { kind: 'key', key: key[1]!, in: key[2] === 'Secret' ? 'Secret' : 'ConfigMap', name: key[3]! };
  const object = /(configmap|secret)s? "([^"]+)" not found/i.exec(message);
  if (object) return { kind: object[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: object[2]! };
  return undefined;
}

function describeMissing(ref: MissingReference): string {
  return ref.kind === 'key' ? `key ${ref.key} is missing from ${ref.in} ${ref.name}` : `${ref.kind} ${ref.name} does not exist`;
}

/** Confidence when the message names what is missing, and when it does not. */
const CONFIDENT = 0.95;
const UNSURE = 0.8;

/**
 * `pod.config_error`. Actions: `escalate` (a person must create the object or fix the
 * reference), `rollback` first when the pod belongs to a bad rollout. Params: `container` and,
 * when parsed, `missingKind`, `missingName`, `missingKey`.
 */
export const configErrorAnalyzer: Analyzer = {
  name: 'pod.config_error',
  analyze(evidence) {
    const bad = findBadRollout(evidence);
    return evidence.pods.flatMap((pod) => {
      const findings = containerViews(pod).flatMap((view) => containerFinding(evidence, view) ?? []);
      const mount = findings.length === 0 ? mountFinding(evidence, pod) : undefined;
      return [...findings, ...(mount ? [mount] : [])].map((f) => preferRollback(f, bad, pod));
    });
  },
};

function containerFinding(evidence: Evidence, view: ContainerView): Finding | undefined {
  const waiting = view.status.state?.waiting;
  const term = lastTermination(view.status);
  if (waiting?.reason === 'CreateContainerConfigError' || waiting?.reason === 'CreateContainerError') {
    return createFinding(evidence, view, waiting.message ?? '');
  }
  if (waiting?.reason === 'RunContainerError' || (term?.reason !== undefined && START_FAILURE_REASONS.has(term.reason))) {
    return startFinding(view, waiting?.reason === 'RunContainerError' ? (waiting.message ?? '') : (term?.message ?? ''));
  }
  return undefined;
}

function createFinding(evidence: Evidence, view: ContainerView, message: string): Finding {
  const events = eventsAbout(evidence, 'Pod', nameOf(view.pod), 'Failed').filter((e) => /^Error: /.test(e.message ?? ''));
  const ref = parseMissingReference(message) ?? events.map((e) => parseMissingReference(e.message ?? '')).find(Boolean);
  const detail = ref ? describeMissing(ref) : clip(message || 'the kubelet cannot build its configuration', 160);
  return {
    ...shared(view),
    cause: `${capitalise(containerLabel(view))} cannot be created: ${detail}`,
    evidence: lines(waitingLine(view), ...events.slice(0, 2).map(eventLine)),
    confidence: ref ? CONFIDENT : UNSURE,
    params: { ...shared(view).params, ...refParams(ref) },
  };
}

function startFinding(view: ContainerView, message: string): Finding {
  const archMismatch = /exec format error/i.test(message);
  return {
    ...shared(view),
    ...(archMismatch ? { category: 'image_arch_mismatch' as const } : {}),
    cause: `${capitalise(containerLabel(view))} cannot start: ${explainStartError(message)}`,
    evidence: lines(waitingLine(view), terminationLine(view), message && clip(`Pod ${nameOf(view.pod)}: start error: ${message}`)),
    confidence: message ? 0.9 : UNSURE,
  };
}

/**
 * Plain-language reading of an OCI runtime start error.
 *
 * @example explainStartError('exec: "/app/server": stat /app/server: no such file or directory: unknown') // 'the command "/app/server" does not exist in the image'
 */
export function explainStartError(message: string): string {
  const exec = /exec: "([^"]+)"/.exec(message)?.[1];
  if (/executable file not found|no such file or directory/i.test(message) && exec) return `the command "${exec}" does not exist in the image`;
  if (/exec format error/i.test(message)) return `the image${exec ? ` binary "${exec}"` : ''} is built for another CPU architecture than the node (exec format error)`;
  if (/permission denied/i.test(message)) return `the command${exec ? ` "${exec}"` : ''} is not executable (permission denied)`;
  if (/mount/i.test(message)) return 'a volume cannot be mounted into the container';
  return message ? clip(message, 160) : 'the container runtime cannot start the process (exit code 128)';
}

/** A pod stuck creating because a ConfigMap or Secret volume is missing (`FailedMount` events). */
function mountFinding(evidence: Evidence, pod: Pod): Finding | undefined {
  const event = eventsAbout(evidence, 'Pod', nameOf(pod), 'FailedMount').find((e) => parseMissingReference(e.message ?? ''));
  if (!event) return undefined;
  const ref = parseMissingReference(event.message ?? '')!;
  const volume = /for volume "([^"]+)"/.exec(event.message ?? '')?.[1];
  return {
    analyzer: 'pod.config_error',
    category: 'config_error',
    cause: `Pod cannot start: volume ${volume ?? '?'} needs ${describeMissing(ref)}`,
    evidence: [eventLine(event)],
    actions: ['escalate'],
    confidence: CONFIDENT,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), ...(volume ? { volume } : {}), ...refParams(ref) },
  };
}

function shared(view: ContainerView) {
  return {
    analyzer: 'pod.config_error',
    category: 'config_error' as const,
    actions: ['escalate' as const],
    subject: podSubject(view.pod),
    params: { pod: nameOf(view.pod), container: view.status.name } as Record<string, string | number>,
  };
}

function refParams(ref: MissingReference | undefined): Record<string, string> {
  if (!ref) return {};
  return { missingKind: ref.kind === 'key' ? `${ref.in} key` : ref.kind, missingName: ref.name, ...(ref.key ? { missingKey: ref.key } : {}) };
}
