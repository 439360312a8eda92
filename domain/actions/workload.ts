/**
 * Pure helpers of the action catalog (`agent/actions`): Kubernetes quantities for memory, the
 * memory-raise plan after an OOM kill, scale bounds, patch bodies, controller ownership, and
 * `kubectl rollout status` for StatefulSets and DaemonSets. No I/O, no clock.
 *
 * Sources: k8s.io/apimachinery `pkg/api/resource/quantity.go` (quantity grammar),
 * kubectl `pkg/polymorphichelpers/rollout_status.go` (status viewers),
 * kube-controller-manager `statefulset/stateful_set_utils.go` (completeRollingUpdate).
 */
import type { Container, DaemonSet, KObject, ObjectMeta, Pod, PodTemplateSpec, StatefulSet } from '../k8s-objects.ts';
import type { RolloutStatus } from '../rollout.ts';

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Quantities
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** Bytes in one mebibyte. */
export const MI = 1024 * 1024;

const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|m|k|M|G|T|P|E)?$/;

/**
 * Parses a Kubernetes quantity (`128Mi`, `1.5Gi`, `129M`, `129e6`, `128974848`, `500m`) into its
 * value. Memory callers round up to whole bytes, as the API server does.
 * @returns the value, or undefined when `text` is not a quantity.
 * @example parseQuantity('1.5Gi') // 1610612736
 */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign, digits, suffix = ''] = m;
  const base = Number(digits);
  let factor: number;
  if (suffix in BINARY_SUFFIXES) factor = BINARY_SUFFIXES[suffix]!;
  else if (/^[eE][+-]?\d+$/.test(suffix)) factor = 10 ** Number(suffix.slice(1));
  else factor = DECIMAL_SUFFIXES[suffix]!;
  const value = base * factor;
  if (!Number.isFinite(value)) return undefined;
  return sign === '-' ? -value : value;
}

/** A memory quantity in whole bytes (rounded up), or undefined when it is not a quantity. */
export function parseMemory(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = parseQuantity(text);
  return v === undefined || v < 0 ? undefined : Math.ceil(v - 1e-9);
}

/**
 * Formats bytes with the largest binary suffix that divides them exactly (`384Mi`, `2Gi`), else
 * as plain bytes (`1000000`) — the canonical form Kubernetes prints for binary quantities.
 */
export function formatMemory(bytes: number): string {
  const b = Math.ceil(bytes);
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) {
    const unit = BINARY_SUFFIXES[suffix]!;
    if (b >= unit && b % unit === 0) return `${b / unit}${suffix}`;
  }
  return String(b);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Memory raise after OOMKilled
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** Inputs of {@link planMemoryRaise}. */
export interface MemoryRaiseInput {
  /** Current `resources.limits.memory` as written (e.g. `256Mi`); undefined when there is none. */
  limit: string | undefined;
  /** Current `resources.requests.memory` as written; undefined when there is none. */
  request: string | undefined;
  /** Multiplier, e.g. 1.5. */
  factor: number;
  /** Highest limit allowed, bytes. */
  maxBytes: number;
}

/** Outcome of {@link planMemoryRaise}. */
export type MemoryRaisePlan =
  | {
      kind: 'raise';
      /** Limit before, as written. */
      fromLimit: string;
      /** New limit, canonical (e.g. `384Mi`). */
      toLimit: string;
      toLimitBytes: number;
      /** The factor was cut down by the cap. */
      capped: boolean;
      /** Request before, as written (undefined when none). */
      fromRequest: string | undefined;
      /** New request when it had to change to stay ≤ limit; undefined when kept. */
      toRequest: string | undefined;
    }
  | { kind: 'impossible'; reason: string };

/**
 * The new memory limit after an OOM kill: current limit × `factor`, rounded up to whole Mi,
 * capped by `maxBytes`; the request is kept, or lowered to the limit when it would exceed it.
 * Impossible without a limit (the node ran out of memory, not the container), with an
 * unparseable limit, or when the limit is already at the cap.
 * @example planMemoryRaise({ limit: '256Mi', request: '128Mi', factor: 1.5, maxBytes: 2 ** 33 }) // toLimit '384Mi'
 */
export function planMemoryRaise(input: MemoryRaiseInput): MemoryRaisePlan {
  if (input.limit === undefined) {
    return { kind: 'impossible', reason: 'the container has no memory limit to raise (the node ran out of memory, not the container)' };
  }
  const current = parseMemory(input.limit);
  if (current === undefined) return { kind: 'impossible', reason: `memory limit "${input.limit}" is not a valid quantity` };
  if (!(input.factor > 1)) return { kind: 'impossible', reason: `memory factor ${input.factor} would not raise the limit` };
  const cap = Math.floor(input.maxBytes);
  if (current >= cap) {
    return { kind: 'impossible', reason: `memory limit ${input.limit} is already at or above the cap of ${formatMemory(cap)}` };
  }
  const wanted = Math.ceil((current * input.factor) / MI) * MI;
  const toLimitBytes = Math.min(wanted, cap);
  const capped = wanted > cap;
  const toLimit = formatMemory(toLimitBytes);
  const requestBytes = parseMemory(input.request);
  const toRequest = requestBytes !== undefined && requestBytes > toLimitBytes ? toLimit : undefined;
  return { kind: 'raise', fromLimit: input.limit, toLimit, toLimitBytes, capped, fromRequest: input.request, toRequest };
}

/**
 * Strategic-merge patch body that sets one container's memory limit (and request when given) in
 * a workload's pod template; containers merge by name. `resourceVersion` is the optimistic-
 * concurrency precondition.
 * @param list `containers` or `initContainers`.
 */
export function memoryPatch(
  container: string,
  limit: string,
  request: string | undefined,
  resourceVersion: string | undefined,
  list: 'containers' | 'initContainers' = 'containers',
): Record<string, unknown> {
  const resources: Record<string, unknown> = { limits: { memory: limit } };
  if (request !== undefined) resources.requests = { memory: request };
  return {
    ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
    spec: { template: { spec: { [list]: [{ name: container, resources }] } } },
  };
}

/** A container of a pod template by name (app containers first, then init containers). */
export function findContainer(
  template: PodTemplateSpec | undefined,
  name: string,
): { container: Container; list: 'containers' | 'initContainers' } | undefined {
  const app = template?.spec?.containers?.find((c) => c.name === name);
  if (app) return { container: app, list: 'containers' };
  const init = template?.spec?.initContainers?.find((c) => c.name === name);
  return init ? { container: init, list: 'initContainers' } : undefined;
}

/**
 * The container an OOM remediation is about: the named one, else the only container of the
 * template, else the only container whose pods were OOM-killed.
 */
export function oomContainer(template: PodTemplateSpec | undefined, pods: Pod[], named: string | undefined): string | undefined {
  if (named) return named;
  const containers = template?.spec?.containers ?? [];
  if (containers.length === 1) return containers[0]!.name;
  const killed = new Set<string>();
  for (const p of pods) {
    for (const s of [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]) {
      if (s.lastState?.terminated?.reason === 'OOMKilled' || s.state?.terminated?.reason === 'OOMKilled') killed.add(s.name);
    }
  }
  return killed.size === 1 ? [...killed][0] : undefined;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Scale
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** Bounds on scaling, from config. */
export interface ScaleBounds {
  maxScaleReplicas: number;
  allowScaleToZero: boolean;
}

/** Validation of a replica count. */
export type ScaleCheck = { kind: 'ok'; replicas: number } | { kind: 'impossible'; reason: string };

/**
 * Checks a requested replica count: a whole number, ≥ 1 (0 only when allowed), ≤ the maximum.
 * @param raw the `replicas` parameter as given (number or numeric string).
 */
export function checkReplicas(raw: string | number | undefined, bounds: ScaleBounds): ScaleCheck {
  if (raw === undefined || raw === '') return { kind: 'impossible', reason: 'no replica count given (params.replicas)' };
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) return { kind: 'impossible', reason: `replicas "${raw}" is not a whole number ≥ 0` };
  if (n === 0 && !bounds.allowScaleToZero) return { kind: 'impossible', reason: 'scaling to 0 replicas is not allowed by policy' };
  if (n > bounds.maxScaleReplicas) {
    return { kind: 'impossible', reason: `${n} replicas exceeds the policy maximum of ${bounds.maxScaleReplicas}` };
  }
  return { kind: 'ok', replicas: n };
}

/** JSON merge patch setting `spec.replicas`, with the resourceVersion precondition. */
export function scalePatch(replicas: number, resourceVersion: string | undefined): Record<string, unknown> {
  return { ...(resourceVersion ? { metadata: { resourceVersion } } : {}), spec: { replicas } };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Ownership and pods
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** The controller ownerReference (`controller: true`) of an object, if any. */
export function controllerOf(obj: { metadata?: ObjectMeta }): NonNullable<ObjectMeta['ownerReferences']>[number] | undefined {
  return obj.metadata?.ownerReferences?.find((o) => o.controller === true);
}

/**
 * Why deleting this pod would not be recreated by a controller, or undefined when it would.
 * Bare pods are lost for good; static (mirror) pods belong to the kubelet, owned by their Node.
 */
export function whyPodNotDeletable(pod: Pod): string | undefined {
  const owner = controllerOf(pod);
  const name = pod.metadata?.name ?? '?';
  if (!owner) return `pod ${name} has no controller (no ownerReference with controller=true); deleting it would lose it for good`;
  if (owner.kind === 'Node') return `pod ${name} is a static pod managed by the kubelet on node ${owner.name}; deleting its mirror does not restart it`;
  return undefined;
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** True when the pod is being deleted (graceful termination in progress). */
export function isTerminating(pod: Pod): boolean {
  return typeof pod.metadata?.deletionTimestamp === 'string';
}

/**
 * The pod that most needs replacing: not ready first, then most restarts; undefined when every
 * pod is ready and none restarted.
 */
export function worstPod(pods: Pod[]): Pod | undefined {
  const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
  const ranked = pods
    .filter((p) => !isPodReady(p) || restarts(p) > 0)
    .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || restarts(b) - restarts(a));
  return ranked[0];
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Rollout status of StatefulSets and DaemonSets (kubectl rollout status)
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** Label with the controller revision of StatefulSet and DaemonSet pods. */
export const CONTROLLER_REVISION_LABEL = 'controller-revision-hash';

interface UpdateStrategy {
  type?: string;
  rollingUpdate?: { partition?: number; maxUnavailable?: number | string };
}

/** `spec.updateStrategy` of a StatefulSet or DaemonSet; `RollingUpdate` is the apps/v1 default. */
export function updateStrategyOf(obj: StatefulSet | DaemonSet): UpdateStrategy {
  const s = obj.spec?.updateStrategy as UpdateStrategy | undefined;
  return { ...s, type: s?.type ?? 'RollingUpdate' };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * `kubectl rollout status` for a StatefulSet, plus the controller's completion rule: without a
 * partition the rollout is complete only once `currentRevision` has caught up with
 * `updateRevision` (the controller sets it when every replica is updated and ready).
 * @returns failed for an `OnDelete` strategy (a rollout never replaces pods by itself).
 */
export function statefulSetRolloutStatus(sts: StatefulSet): RolloutStatus {
  const name = sts.metadata?.name ?? '?';
  const strategy = updateStrategyOf(sts);
  if (strategy.type !== 'RollingUpdate') {
    return { kind: 'failed', message: `statefulset "${name}" uses the ${strategy.type} update strategy: pods are replaced only when deleted` };
  }
  const status = (sts.status ?? {}) as Record<string, unknown>;
  const observed = num(status.observedGeneration);
  if (observed === 0 || (sts.metadata?.generation ?? 0) > observed) {
    return { kind: 'progressing', message: 'waiting for the statefulset spec update to be observed' };
  }
  const desired = sts.spec?.replicas ?? 1;
  const ready = num(status.readyReplicas);
  const updated = num(status.updatedReplicas);
  if (ready < desired) return { kind: 'progressing', message: `waiting for ${desired - ready} pods to be ready (${ready}/${desired} ready)` };
  const partition = strategy.rollingUpdate?.partition ?? 0;
  if (partition > 0) {
    if (updated < desired - partition) {
      return { kind: 'progressing', message: `partitioned roll out: ${updated} out of ${desired - partition} new pods have been updated` };
    }
    return { kind: 'complete', message: `partitioned roll out complete: ${updated} new pods have been updated` };
  }
  if (updated < desired) return { kind: 'progressing', message: `${updated} out of ${desired} pods have been updated` };
  if (status.updateRevision !== status.currentRevision) {
    return {
      kind: 'progressing',
      message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${String(status.updateRevision)}`,
    };
  }
  return { kind: 'complete', message: `statefulset rolling update complete ${desired} pods at revision ${String(status.currentRevision)}` };
}

/**
 * `kubectl rollout status` for a DaemonSet: observed generation, every scheduled pod updated and
 * available.
 * @returns failed for an `OnDelete` strategy.
 */
export function daemonSetRolloutStatus(ds: DaemonSet): RolloutStatus {
  const name = ds.metadata?.name ?? '?';
  const strategy = updateStrategyOf(ds);
  if (strategy.type !== 'RollingUpdate') {
    return { kind: 'failed', message: `daemon set "${name}" uses the ${strategy.type} update strategy: pods are replaced only when deleted` };
  }
  const status = (ds.status ?? {}) as Record<string, unknown>;
  if ((ds.metadata?.generation ?? 0) > num(status.observedGeneration)) {
    return { kind: 'progressing', message: 'waiting for the daemon set spec update to be observed' };
  }
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  const available = num(status.numberAvailable);
  if (updated < desired) return { kind: 'progressing', message: `${updated} out of ${desired} new pods have been updated` };
  if (available < desired) return { kind: 'progressing', message: `${available} of ${desired} updated pods are available` };
  return { kind: 'complete', message: `daemon set "${name}" successfully rolled out` };
}

/** Kinds whose pod template the catalog patches. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** The pod template of a workload object. */
export function templateOf(obj: KObject | undefined): PodTemplateSpec | undefined {
  return (obj?.spec as { template?: PodTemplateSpec } | undefined)?.template;
}

/** Deep equality of JSON values, ignoring object key order and undefined members. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sort(x);
    }
    return out;
  };
  return JSON.stringify(sort(value)) ?? 'undefined';
}
