/**
 * Small shared helpers for the rule analyzers: reading pods and container statuses, matching
 * events, formatting evidence lines, and reading times relative to `evidence.collectedAt`.
 * Pure functions, no I/O, no clock.
 */
import type { ActionKind, Evidence } from '../diagnosis.ts';
import type { Container, ContainerState, ContainerStatus, KEvent, Pod } from '../k8s-objects.ts';

/** Longest single evidence line; longer lines (event messages, logs) are cut with `…`. */
export const MAX_LINE_CHARS = 300;

/** Events whose last occurrence is older than this (before `collectedAt`) are ignored: 1 hour, the API server's default event TTL. */
export const EVENT_WINDOW_MS = 60 * 60 * 1000;

/** Container waiting reasons that mean the container cannot run (kubelet `state.waiting.reason`). */
export const FAILING_WAITING_REASONS = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** Termination reasons that mean the runtime could not start the process at all (reported as exit code 128). */
export const START_FAILURE_REASONS = new Set(['StartError', 'ContainerCannotRun']);

/** `metadata.name`, or `<unnamed>` for objects without one. */
export function nameOf(obj: { metadata?: { name?: string } } | undefined): string {
  return obj?.metadata?.name ?? '<unnamed>';
}

/** `Pod/<name>`, the `subject` of a pod-level finding. */
export function podSubject(pod: Pod): string {
  return `Pod/${nameOf(pod)}`;
}

/** One container of one pod, with its status and (when present) its spec. */
export interface ContainerView {
  pod: Pod;
  status: ContainerStatus;
  spec?: Container;
  /** True for init containers. */
  init: boolean;
}

/**
 * The containers of a pod that have a status, app containers first, then init containers.
 *
 * @param pod a Pod as returned by the API server.
 * @param options `which`: `'app'`, `'init'` or `'all'` (default `'all'`).
 */
export function containerViews(pod: Pod, options: { which?: 'app' | 'init' | 'all' } = {}): ContainerView[] {
  const which = options.which ?? 'all';
  const views: ContainerView[] = [];
  if (which !== 'init') {
    for (const status of pod.status?.containerStatuses ?? []) {
      views.push({ pod, status, spec: pod.spec?.containers?.find((c) => c.name === status.name), init: false });
    }
  }
  if (which !== 'app') {
    for (const status of pod.status?.initContainerStatuses ?? []) {
      views.push({ pod, status, spec: pod.spec?.initContainers?.find((c) => c.name === status.name), init: true });
    }
  }
  return views;
}

/** `container api` or `init container migrate`, for sentences and evidence lines. */
export function containerLabel(view: ContainerView): string {
  return `${view.init ? 'init container' : 'container'} ${view.status.name}`;
}

/** The most recent termination of a container: the current state if terminated, else `lastState`. */
export function lastTermination(status: ContainerStatus): NonNullable<ContainerState['terminated']> | undefined {
  return status.state?.terminated ?? status.lastState?.terminated;
}

/**
 * Evidence line for a termination, e.g.
 * `Pod web-7d-x: container api terminated: exit code 137, reason OOMKilled, restarts 5`.
 */
export function terminationLine(view: ContainerView): string | undefined {
  const term = lastTermination(view.status);
  if (!term) return undefined;
  const parts = [`exit code ${term.exitCode}`];
  if (term.signal !== undefined) parts.push(`signal ${term.signal}`);
  if (term.reason) parts.push(`reason ${term.reason}`);
  parts.push(`restarts ${view.status.restartCount ?? 0}`);
  if (term.finishedAt) parts.push(`finished ${term.finishedAt}`);
  return `Pod ${nameOf(view.pod)}: ${containerLabel(view)} terminated: ${parts.join(', ')}`;
}

/** Evidence line for a waiting container, e.g. `Pod x: container api waiting: CrashLoopBackOff (back-off 5m0s …)`. */
export function waitingLine(view: ContainerView): string | undefined {
  const waiting = view.status.state?.waiting;
  if (!waiting?.reason) return undefined;
  const message = waiting.message ? ` (${waiting.message})` : '';
  return clip(`Pod ${nameOf(view.pod)}: ${containerLabel(view)} waiting: ${waiting.reason}${message}`);
}

/** Evidence line for the termination message the container wrote (`terminationMessagePath`), if any. */
export function terminationMessageLine(view: ContainerView): string | undefined {
  const message = lastTermination(view.status)?.message?.trim();
  return message ? clip(`Pod ${nameOf(view.pod)}: ${containerLabel(view)} termination message: ${message}`) : undefined;
}

/** First letter upper-cased: `container api` → `Container api`. */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Cut a line to {@link MAX_LINE_CHARS}. */
export function clip(line: string, max = MAX_LINE_CHARS): string {
  const flat = line.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Drop `undefined` entries and duplicates, keeping order. */
export function lines(...items: Array<string | undefined | false>): string[] {
  return [...new Set(items.filter((l): l is string => typeof l === 'string' && l.length > 0))];
}

/** Milliseconds since the epoch, or `undefined` for missing or malformed timestamps. */
export function parseTime(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * How long before `collectedAt` something happened, in milliseconds; `undefined` when either
 * time is missing or malformed (real objects sometimes carry malformed timestamps).
 */
export function ageMs(timestamp: string | undefined, collectedAt: string): number | undefined {
  const at = parseTime(timestamp);
  const now = parseTime(collectedAt);
  return at === undefined || now === undefined ? undefined : now - at;
}

/** The last time an event was seen: `lastTimestamp`, else `eventTime`, else `firstTimestamp`. */
export function eventTime(event: KEvent): string | undefined {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp;
}

/**
 * Whether an event is recent enough to count: within {@link EVENT_WINDOW_MS} of `collectedAt`.
 * Events without a readable time are kept (better a stale line than a missed cause).
 */
export function isRecent(event: KEvent, collectedAt: string): boolean {
  const age = ageMs(eventTime(event), collectedAt);
  return age === undefined || age <= EVENT_WINDOW_MS;
}

/**
 * Recent events about one object, newest first.
 *
 * @param evidence the gathered evidence (its `events` and `collectedAt`).
 * @param kind `involvedObject.kind`, e.g. `Pod`.
 * @param name `involvedObject.name`.
 * @param reason optional `reason` filter, e.g. `Unhealthy`.
 */
export function eventsAbout(evidence: Evidence, kind: string, name: string, reason?: string): KEvent[] {
  return evidence.events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
    .filter((e) => reason === undefined || e.reason === reason)
    .filter((e) => isRecent(e, evidence.collectedAt))
    .sort((a, b) => (parseTime(eventTime(b)) ?? 0) - (parseTime(eventTime(a)) ?? 0));
}

/** Evidence line for an event, e.g. `Event Warning FailedScheduling on Pod/x (x70): 0/1 nodes are available: …`. */
export function eventLine(event: KEvent): string {
  const object = `${event.involvedObject?.kind ?? '?'}/${event.involvedObject?.name ?? '?'}`;
  const count = event.count && event.count > 1 ? ` (x${event.count})` : '';
  return clip(`Event ${event.type ?? 'Normal'} ${event.reason ?? ''} on ${object}${count}: ${event.message ?? ''}`);
}

/** The container named in an event's `involvedObject.fieldPath` (`spec.containers{api}`), if any. */
export function eventContainer(event: KEvent): string | undefined {
  return /\{([^}]+)\}/.exec(event.involvedObject?.fieldPath ?? '')?.[1];
}

/** Whether the pod's `Ready` condition is `True`. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The pod owner's name of a given kind (`ReplicaSet`, `Job`, …) from `ownerReferences`. */
export function ownerName(obj: { metadata?: { ownerReferences?: Array<{ kind: string; name: string }> } }, kind: string): string | undefined {
  return obj.metadata?.ownerReferences?.find((o) => o.kind === kind)?.name;
}

/** {@link podProblem} of an evicted pod: the node's fault, not the pod template's. */
export const EVICTED = 'evicted by the kubelet';

/**
 * A short description of what is wrong with a pod, or `undefined` when it looks healthy or is
 * merely starting. Used to decide which pods of a revision are failing.
 */
export function podProblem(pod: Pod): string | undefined {
  if (pod.status?.phase === 'Failed') return pod.status.reason === 'Evicted' ? EVICTED : `phase Failed${pod.status.reason ? ` (${pod.status.reason})` : ''}`;
  for (const view of containerViews(pod)) {
    const waiting = view.status.state?.waiting?.reason;
    if (waiting && FAILING_WAITING_REASONS.has(waiting)) return `${containerLabel(view)} ${waiting}`;
    const term = lastTermination(view.status);
    if (term?.reason === 'OOMKilled') return `${containerLabel(view)} OOMKilled`;
    if (view.status.state?.terminated && term && term.exitCode !== 0) return `${containerLabel(view)} exited with code ${term.exitCode}`;
    if (!view.init && (view.status.restartCount ?? 0) >= 3 && view.status.ready === false) {
      return `${containerLabel(view)} restarted ${view.status.restartCount} times`;
    }
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') return 'unschedulable';
  return undefined;
}

/** Whether a pod is healthy: Succeeded, or Running and Ready with no failing container. */
export function isPodHealthy(pod: Pod): boolean {
  if (pod.status?.phase === 'Succeeded') return true;
  return pod.status?.phase === 'Running' && isPodReady(pod) && podProblem(pod) === undefined;
}

/**
 * Put `first` at the front of an action list (removing its other occurrence).
 *
 * @example withFirst('rollback', ['restart', 'rollback']) // ['rollback', 'restart']
 */
export function withFirst(first: ActionKind, actions: ActionKind[]): ActionKind[] {
  return [first, ...actions.filter((a) => a !== first)];
}

/** One resource's request (else limit) of each app container of a pod, as written (e.g. `["10", "500m"]`). */
export function requestedQuantities(pod: Pod, resource: string): string[] {
  return (pod.spec?.containers ?? [])
    .map((c) => c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource])
    .filter((q): q is string => q !== undefined)
    .map(String);
}
