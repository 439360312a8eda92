/**
 * In-process fake of the Kubernetes API server, for Watchkeeper's tests.
 *
 * It is a real HTTP server (node:http on 127.0.0.1, random port) that `@kubernetes/client-node`
 * talks to through an ordinary {@link KubeConfig}. It implements the parts of the API server that
 * Watchkeeper relies on:
 *
 * - REST paths for core/v1, apps/v1, batch/v1, autoscaling/v2, policy/v1 and
 *   monitoring.coreos.com/v1 (see {@link RESOURCE_TYPES}), plus discovery (`/api/v1`,
 *   `/apis/{group}/{version}`) so `KubernetesObjectApi` works, and `/version`;
 * - verbs GET, LIST (namespaced and across namespaces, `labelSelector`, `fieldSelector`, `limit`
 *   and `continue`), POST, PUT, PATCH (strategic merge, JSON merge, JSON patch, server-side apply),
 *   DELETE (with cascading to owned objects) and DELETE on a collection;
 * - subresources `status`, `scale` (deployments, replicasets, statefulsets), `pods/log` and
 *   `pods/eviction`;
 * - `dryRun=All`, resourceVersion/409 Conflict, `generation`, defaulting and simple validation,
 *   errors as `Status` objects;
 * - a small controller: Deployments get ReplicaSets with revisions, pods follow step by step and
 *   behave as the test decides (ready, crash-looping, failing image pulls or unschedulable), the
 *   Deployment status and conditions follow, and the kubelet/scheduler events are emitted;
 * - minimal StatefulSet and DaemonSet controllers: pods labelled `controller-revision-hash`,
 *   StatefulSet pods `<name>-<ordinal>` created in order (OrderedReady, or all at once for
 *   Parallel) and rolled highest ordinal first, one at a time, above `partition`; one DaemonSet
 *   pod per Node (or per `fake-node-1` when no Node is stored), rolled within `maxUnavailable`;
 *   `OnDelete` replaces nothing by itself; the status fields `kubectl rollout status` reads.
 *
 * Deliberate simplifications: no watch, no finalizers/graceful deletion (deletes are immediate),
 * no field-ownership conflicts in server-side apply, no Job controller, no ControllerRevision
 * objects, no PVCs for StatefulSets, no DaemonSet surge or node selectors/taints, and no schema
 * validation beyond the checks listed in `validate`.
 *
 * Sources for the behaviour imitated here:
 * https://kubernetes.io/docs/reference/using-api/api-concepts/,
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/,
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type {
  Condition,
  Container,
  ContainerStatus,
  Deployment,
  KObject,
  LabelSelector,
  ObjectMeta,
  Pod,
  PodTemplateSpec,
  ReplicaSet,
} from '../../domain/k8s-objects.ts';

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Public types
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** Options of {@link startK8sFake}. */
export interface K8sFakeOptions {
  /** Period of the controller timer in milliseconds (one rollout step per period). Default 20. */
  rolloutStepMs?: number;
  /**
   * Progress deadline of every Deployment in milliseconds, replacing
   * `spec.progressDeadlineSeconds` (default 600 s) so tests can reach `ProgressDeadlineExceeded`
   * quickly.
   */
  progressDeadlineMs?: number;
  /**
   * Run the controller on its timer. Default true. When false the controller only moves on
   * {@link K8sFake.tick}, {@link K8sFake.settle} and {@link K8sFake.waitForRollout}, which makes
   * tests fully deterministic.
   */
  autoTick?: boolean;
}

/** One HTTP request the fake received, recorded before it was answered. */
export interface RecordedRequest {
  /** HTTP method in upper case, e.g. `PATCH`. */
  method: string;
  /** URL path without the query string, as sent (percent-encoding kept). */
  path: string;
  /** Query parameters; a repeated parameter keeps its last value. */
  query: Record<string, string>;
  /** `Content-Type` header as sent, or undefined. */
  contentType: string | undefined;
  /** Body parsed as JSON when it is JSON, else the raw text; undefined when empty. */
  body: unknown;
  /** HTTP status code of the answer; 0 while the request is still being handled. */
  status: number;
}

/** A fault to inject with {@link K8sFake.injectFault}. */
export interface FaultSpec {
  /** HTTP method to match (case-insensitive); any method when omitted. */
  method?: string;
  /** Exact URL path (no query string) or a RegExp tested against the path. */
  path: RegExp | string;
  /** HTTP status code to answer, e.g. 500. */
  status: number;
  /** How many matching requests fail before the fault is spent. Default 1; `Infinity` allowed. */
  times?: number;
  /**
   * Body of the answer: a string is sent as text/plain, anything else as JSON. Default: a
   * Kubernetes `Status` with the reason that belongs to `status` (InternalError for 500, …).
   */
  body?: unknown;
  /** Wait this many milliseconds before answering (for client timeout tests). Default 0. */
  delayMs?: number;
}

/**
 * How the containers of the pods of a ReplicaSet behave:
 * - `ready`: Running, all containers running and ready;
 * - `crashloop`: Running but not ready; containers waiting in CrashLoopBackOff with lastState
 *   terminated (exit code 1, reason Error); restartCount grows by one every controller tick;
 *   Warning event `BackOff`;
 * - `imagepull`: Pending; containers waiting in ImagePullBackOff; Warning events `Failed`
 *   ("Error: ErrImagePull", "Error: ImagePullBackOff");
 * - `pending`: Pending and unscheduled (PodScheduled False, reason Unschedulable); Warning event
 *   `FailedScheduling`.
 */
export type PodBehaviour = 'ready' | 'crashloop' | 'imagepull' | 'pending';

/** What a {@link PodBehaviourFn} is told about the ReplicaSet whose pods it decides. */
export interface PodBehaviourContext {
  /** Owning Deployment (copy), or undefined for a ReplicaSet without one. */
  deployment: Deployment | undefined;
  /** The ReplicaSet (copy). */
  replicaSet: ReplicaSet;
  /** Pod template of the ReplicaSet (copy), including the `pod-template-hash` label. */
  template: PodTemplateSpec;
  /** Revision of the ReplicaSet (`deployment.kubernetes.io/revision`), 0 if none. */
  revision: number;
  /**
   * For pods of a StatefulSet or DaemonSet: that object (copy). `replicaSet` is then a stand-in
   * (kind `ControllerRevision`) named after the revision, and `revision` counts its templates.
   */
  workload?: KObject;
}

/**
 * Decides how the pods of a ReplicaSet behave. Called once per ReplicaSet, when its first pod is
 * created; the answer holds for all of that ReplicaSet's pods, including replacements.
 */
export type PodBehaviourFn = (ctx: PodBehaviourContext) => PodBehaviour;

/** Options of {@link K8sFake.setPodLogs}. */
export interface PodLogOptions {
  /** Logs of the previous (terminated) instance of the container, served for `previous=true`. */
  previous?: boolean;
}

/** A running fake API server. Create it with {@link startK8sFake}; stop it with `close()`. */
export interface K8sFake {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /**
   * Every request received, oldest first. Tests may clear it with `requests.length = 0`.
   */
  readonly requests: RecordedRequest[];
  /**
   * A fresh KubeConfig pointing at this server (cluster `fake`, user `u` with token `t`,
   * context `c`, namespace default).
   */
  kubeConfig(): KubeConfig;
  /** Stops the controller timer and the HTTP server, dropping open connections. */
  close(): Promise<void>;
  /**
   * Stores objects as they are, bypassing validation; a `List` is expanded into its items.
   * Missing `metadata.namespace` of namespaced kinds becomes `default`; uid, creationTimestamp,
   * resourceVersion and (for objects with a spec) generation are filled in; missing Namespaces
   * are created. An object with the same name is replaced.
   *
   * Seeded Deployments, ReplicaSets, StatefulSets and DaemonSets whose
   * `status.observedGeneration` equals `metadata.generation` are a snapshot: the controller leaves
   * them, their ReplicaSets and their pods alone until their spec changes through the API (or,
   * for a ReplicaSet, StatefulSet or DaemonSet, until one of its pods is deleted through the API;
   * its current template then keeps the revision its pods carry). Seeded pods keep their status.
   * @throws Error when an object has no apiVersion/kind/name or its kind is unknown.
   */
  seed(objects: KObject[]): void;
  /**
   * A copy of a stored object, or undefined.
   * @param kind Kind (`Deployment`) or resource name (`deployments`).
   * @param namespace Namespace; ignored for cluster-scoped kinds.
   * @throws Error for an unknown kind.
   */
  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined;
  /**
   * Copies of the stored objects of a kind, ordered by namespace then name, with apiVersion and
   * kind set. All namespaces when `namespace` is omitted.
   * @throws Error for an unknown kind.
   */
  list<T extends KObject = KObject>(kind: string, namespace?: string): T[];
  /** Makes the next `times` requests matching `fault` fail; see {@link FaultSpec}. */
  injectFault(fault: FaultSpec): void;
  /** Removes all faults not yet spent. */
  clearFaults(): void;
  /**
   * Sets the text served by `GET …/pods/{pod}/log?container={container}`. `pod` may be a RegExp
   * (tested against pod names), since pods made by the controller have random suffixes. The most
   * recent matching call wins. Logs may be set before the pod exists.
   */
  setPodLogs(namespace: string, pod: string | RegExp, container: string, text: string, options?: PodLogOptions): void;
  /**
   * Decides how pods of ReplicaSets created from now on behave (default: always `ready`).
   * A constant may be given instead of a function.
   */
  setPodBehaviour(fn: PodBehaviourFn | PodBehaviour): void;
  /**
   * Runs one controller step synchronously: kubelet (pod states), deployment controller
   * (ReplicaSets, rollout), replicaset controller (pods), deployment status, then the
   * StatefulSet and DaemonSet controllers (pods, rolling update, status).
   * @returns the number of objects it created, changed or deleted, not counting repeated
   *   crash-loop restarts and repeated events.
   */
  tick(): number;
  /**
   * Ticks until a tick changes nothing (see {@link tick}) or `maxTicks` ticks have run.
   * @returns the number of ticks run.
   */
  settle(maxTicks?: number): number;
  /**
   * Resolves with the Deployment once its rollout is complete (observedGeneration current, all
   * replicas updated and available, no old pods, Progressing reason NewReplicaSetAvailable).
   * Ticks the controller itself when `autoTick` is off.
   * @param timeoutMs Milliseconds to wait. Default 5000.
   * @throws Error (rejects) on timeout or when the Deployment reports ProgressDeadlineExceeded;
   *   the message carries the last status seen.
   */
  waitForRollout(namespace: string, name: string, timeoutMs?: number): Promise<Deployment>;
  /**
   * Resolves with the first truthy value of `probe`, polled every controller period (ticking
   * when `autoTick` is off).
   * @param timeoutMs Milliseconds to wait. Default 5000.
   * @throws Error (rejects) on timeout.
   */
  waitFor<T>(probe: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
}

/**
 * Starts a fake Kubernetes API server on 127.0.0.1 with a random port.
 * Pre-creates the namespaces default, kube-system, kube-public and kube-node-lease.
 * @throws Error when the server cannot listen.
 */
export async function startK8sFake(options: K8sFakeOptions = {}): Promise<K8sFake> {
  const fake = new FakeApiServer(options);
  await fake.listen();
  return fake;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Object shapes used internally
// ─────────────────────────────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Json;
  subresource?: string;
}

/** `metadata` with the server-managed fields that {@link ObjectMeta} leaves out. */
interface Meta extends ObjectMeta {
  generateName?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** An object as stored: apiVersion, kind and metadata always present. */
interface StoredObject extends KObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
}

/** Statuses a reply may have, with the body to send. */
interface Reply {
  status: number;
  json?: unknown;
  text?: string;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Resource registry
// ─────────────────────────────────────────────────────────────────────────────────────────────

type Subresource = 'status' | 'scale' | 'log' | 'eviction';

/** One REST resource the fake serves. */
interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural lower-case name used in paths, e.g. `deployments`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly subresources: readonly Subresource[];
  /** Field selector keys accepted besides `metadata.name` and `metadata.namespace`. */
  readonly fieldSelectors: readonly string[];
  readonly shortNames: readonly string[];
  /** Custom resource: no strategic merge patch, list items keep apiVersion/kind. */
  readonly custom: boolean;
}

function resourceType(
  group: string,
  version: string,
  resource: string,
  kind: string,
  extra: Partial<Pick<ResourceType, 'namespaced' | 'subresources' | 'fieldSelectors' | 'shortNames' | 'custom'>> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    namespaced: extra.namespaced ?? true,
    subresources: extra.subresources ?? [],
    fieldSelectors: extra.fieldSelectors ?? [],
    shortNames: extra.shortNames ?? [],
    custom: extra.custom ?? false,
  };
}

/** Every resource the fake serves. */
const RESOURCE_TYPES: readonly ResourceType[] = [
  resourceType('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['status.phase'],
    shortNames: ['ns'],
  }),
  resourceType('', 'v1', 'nodes', 'Node', {
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['spec.unschedulable'],
    shortNames: ['no'],
  }),
  resourceType('', 'v1', 'pods', 'Pod', {
    subresources: ['status', 'log', 'eviction'],
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    shortNames: ['po'],
  }),
  resourceType('', 'v1', 'events', 'Event', {
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    shortNames: ['ev'],
  }),
  resourceType('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  resourceType('', 'v1', 'secrets', 'Secret', { fieldSelectors: ['type'] }),
  resourceType('', 'v1', 'services', 'Service', { subresources: ['status'], shortNames: ['svc'] }),
  resourceType('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {
    subresources: ['status'],
    shortNames: ['pvc'],
  }),
  resourceType('apps', 'v1', 'deployments', 'Deployment', { subresources: ['status', 'scale'], shortNames: ['deploy'] }),
  resourceType('apps', 'v1', 'replicasets', 'ReplicaSet', {
    subresources: ['status', 'scale'],
    fieldSelectors: ['status.replicas'],
    shortNames: ['rs'],
  }),
  resourceType('apps', 'v1', 'statefulsets', 'StatefulSet', { subresources: ['status', 'scale'], shortNames: ['sts'] }),
  resourceType('apps', 'v1', 'daemonsets', 'DaemonSet', { subresources: ['status'], shortNames: ['ds'] }),
  resourceType('batch', 'v1', 'jobs', 'Job', { subresources: ['status'], fieldSelectors: ['status.successful'] }),
  resourceType('batch', 'v1', 'cronjobs', 'CronJob', { subresources: ['status'], shortNames: ['cj'] }),
  resourceType('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', {
    subresources: ['status'],
    shortNames: ['hpa'],
  }),
  resourceType('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {
    subresources: ['status'],
    shortNames: ['pdb'],
  }),
  resourceType('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule', {
    shortNames: ['promrule'],
    custom: true,
  }),
];

function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

function typeOfKind(kind: string, apiVersion?: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.kind === kind && (apiVersion === undefined || apiVersionOf(t) === apiVersion));
}

/** Resolves the `kind` argument of the test helpers: a Kind, a plural or `plural.group`. */
function typeForHelper(kind: string): ResourceType {
  const lower = kind.toLowerCase();
  const found = RESOURCE_TYPES.find(
    (t) =>
      t.kind === kind ||
      t.kind.toLowerCase() === lower ||
      t.resource === lower ||
      `${t.resource}.${t.group}` === lower ||
      t.shortNames.includes(lower),
  );
  if (!found) throw new Error(`k8s-fake: unknown kind "${kind}"`);
  return found;
}

function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** `deployments.apps` or `pods`: how error messages name a resource. */
function qualifiedResource(t: ResourceType): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** `Deployment.apps` or `Pod`: how validation messages name a kind. */
function qualifiedKind(t: ResourceType): string {
  return t.group ? `${t.kind}.${t.group}` : t.kind;
}

const T_NAMESPACE = typeForHelper('Namespace');
const T_POD = typeForHelper('Pod');
const T_EVENT = typeForHelper('Event');
const T_DEPLOYMENT = typeForHelper('Deployment');
const T_REPLICASET = typeForHelper('ReplicaSet');
const T_PDB = typeForHelper('PodDisruptionBudget');
const T_NODE = typeForHelper('Node');
const T_STATEFULSET = typeForHelper('StatefulSet');
const T_DAEMONSET = typeForHelper('DaemonSet');

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
const TEMPLATE_HASH_LABEL = 'pod-template-hash';
const CONTROLLER_REVISION_LABEL = 'controller-revision-hash';
const STS_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Small utilities
// ─────────────────────────────────────────────────────────────────────────────────────────────

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** JSON with object keys sorted and undefined members dropped, for content comparison. */
function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) out[key] = sortKeys(value[key]);
  }
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** RFC 3339 time with second precision, as the API server writes it. */
function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Characters Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length];
  return out;
}

function hashSuffix(text: string, length: number): string {
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[bytes[i]! % SUFFIX_ALPHABET.length];
  return out;
}

/** Exact string match, or a RegExp test (safe for RegExps with the `g` flag). */
function matchesName(pattern: string | RegExp, value: string): boolean {
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0;
  return pattern.test(value);
}

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Byte-wise order of storage keys, as etcd lists them (and as `continue` tokens assume). */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyOf(obj: StoredObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** Resolves an int-or-percent value (`maxSurge: '25%'`) against `total`. */
function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const percent = /^(\d+)%$/.exec(value);
    if (percent) {
      const raw = (Number(percent[1]) * total) / 100;
      return roundUp ? Math.ceil(raw) : Math.floor(raw);
    }
    if (/^\d+$/.test(value)) return Number(value);
  }
  return 0;
}

function revisionOf(obj: KObject): number {
  const raw = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : 0;
}

function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function isOwnedBy(obj: KObject, ownerKind: string, ownerName: string | undefined): boolean {
  return obj.metadata?.ownerReferences?.some((r) => r.kind === ownerKind && r.name === ownerName) ?? false;
}

type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number] & { blockOwnerDeletion?: boolean };

/** The ownerReference a controller puts on what it creates. */
function controllerRef(owner: StoredObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Errors as Kubernetes Status objects
// ─────────────────────────────────────────────────────────────────────────────────────────────

interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

/** An error answered as a `Status` object with HTTP status `code`. */
class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: StatusDetails = {},
  ) {
    super(message);
  }

  toStatus(): Json {
    return statusObject('Failure', this.code, this.reason, this.message, this.details);
  }
}

function statusObject(status: 'Success' | 'Failure', code: number, reason: string | undefined, message: string | undefined, details: StatusDetails): Json {
  const out: Json = { kind: 'Status', apiVersion: 'v1', metadata: {}, status };
  if (message !== undefined) out.message = message;
  if (reason !== undefined) out.reason = reason;
  out.details = details;
  out.code = code;
  return out;
}

function resourceDetails(t: ResourceType, name: string): StatusDetails {
  return t.group ? { name, group: t.group, kind: t.resource } : { name, kind: t.resource };
}

function notFound(t: ResourceType, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, resourceDetails(t, name));
}

function alreadyExists(t: ResourceType, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, resourceDetails(t, name));
}

function conflict(t: ResourceType, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    resourceDetails(t, name),
  );
}

function invalid(t: ResourceType, name: string, causes: StatusCause[]): StatusError {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const details: StatusDetails = { name, kind: t.kind, causes };
  if (t.group) details.group = t.group;
  return new StatusError(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${summary}`, details);
}

function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

function unknownPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

function unsupportedMediaType(accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Label and field selectors
// ─────────────────────────────────────────────────────────────────────────────────────────────

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

const LABEL_KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const LABEL_VALUE = String.raw`[A-Za-z0-9]?([-A-Za-z0-9_.]*[A-Za-z0-9])?`;

/** Splits on commas that are not inside parentheses (`a in (x,y),b`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Parses a label selector string (`app=web,tier in (a,b),!canary,env!=prod`). */
function parseLabelSelector(text: string): Requirement[] {
  return splitTopLevel(text).map((term): Requirement => {
    let m = new RegExp(`^!\\s*(${LABEL_KEY})$`).exec(term);
    if (m) return { key: m[1]!, op: 'notexists' };
    m = new RegExp(`^(${LABEL_KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(term);
    if (m) {
      const values = m[4]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      return { key: m[1]!, op: m[3] === 'in' ? 'in' : 'notin', values };
    }
    m = new RegExp(`^(${LABEL_KEY})\\s*(==|=|!=)\\s*(${LABEL_VALUE})$`).exec(term);
    if (m) return { key: m[1]!, op: m[3] === '!=' ? 'neq' : 'eq', value: m[4] ?? '' };
    m = new RegExp(`^(${LABEL_KEY})$`).exec(term);
    if (m) return { key: m[1]!, op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${term}', expected: '=', '!=', '==', 'in', notin'`);
  });
}

function matchesRequirements(labels: Record<string, string> | undefined, requirements: Requirement[]): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** Whether `labels` satisfy a structured selector (`matchLabels` + `matchExpressions`). */
function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const requirements: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'eq', value }));
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') requirements.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') requirements.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') requirements.push({ key: e.key, op: 'notexists' });
  }
  return requirements.length > 0 && matchesRequirements(labels, requirements);
}

/** `app=web,tier in (a,b)`: the string form of a structured selector (Scale status). */
function selectorString(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}

function parseFieldSelector(t: ResourceType, text: string): FieldRequirement[] {
  const allowed = ['metadata.name', 'metadata.namespace', ...t.fieldSelectors];
  return splitTopLevel(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const path = m[1]!.trim();
    if (!allowed.includes(path)) throw badRequest(`field label not supported: ${path}`);
    return { path, negate: m[2] === '!=', value: m[3]!.trim() };
  });
}

function fieldValue(obj: KObject, path: string): string {
  const effective = path === 'source' ? 'source.component' : path;
  let cur: unknown = obj;
  for (const part of effective.split('.')) cur = isRecord(cur) ? cur[part] : undefined;
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

function matchesFields(obj: KObject, requirements: FieldRequirement[]): boolean {
  return requirements.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Patches
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Json = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Splits an RFC 6901 JSON pointer into unescaped tokens. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchFailure(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

function arrayIndex(token: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchFailure(`invalid array index "${token}" in path ${path}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw patchFailure(`array index ${index} out of bounds in path ${path}`);
  return index;
}

function pointerGet(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(token, cur.length, false, path)];
    else if (isRecord(cur) && Object.hasOwn(cur, token)) cur = cur[token];
    else throw patchFailure(`doc is missing path: ${path}`);
  }
  return cur;
}

/** Returns the container of the last token of `path` and that token. */
function pointerParent(doc: unknown, path: string): { parent: unknown; token: string } {
  const tokens = parsePointer(path);
  const token = tokens.pop();
  if (token === undefined) throw patchFailure('the root of the document cannot be a patch target here');
  const parentPath = tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
  return { parent: pointerGet(doc, parentPath), token };
}

function pointerAdd(doc: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, token } = pointerParent(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, true, path), 0, value);
  else if (isRecord(parent)) parent[token] = value;
  else throw patchFailure(`doc is missing path: ${path}`);
  return doc;
}

function pointerRemove(doc: unknown, path: string): unknown {
  const { parent, token } = pointerParent(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false, path), 1);
  else if (isRecord(parent) && Object.hasOwn(parent, token)) delete parent[token];
  else throw patchFailure(`unable to remove nonexistent key: ${token}: missing value`);
  return doc;
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be a JSON array of operations');
  let result = clone(doc);
  for (const op of operations) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw badRequest(`invalid json patch operation: ${JSON.stringify(op)}`);
    }
    const path = op.path;
    const from = typeof op.from === 'string' ? op.from : undefined;
    switch (op.op) {
      case 'add':
        result = pointerAdd(result, path, clone(op.value));
        break;
      case 'remove':
        result = pointerRemove(result, path);
        break;
      case 'replace':
        pointerGet(result, path);
        if (path === '') result = clone(op.value);
        else result = pointerAdd(pointerRemove(result, path), path, clone(op.value));
        break;
      case 'test':
        if (!deepEqual(pointerGet(result, path), op.value)) throw patchFailure(`testing value ${path} failed: test failed`);
        break;
      case 'move':
      case 'copy': {
        if (from === undefined) throw badRequest(`json patch ${op.op} operation needs "from"`);
        const value = clone(pointerGet(result, from));
        if (op.op === 'move') result = pointerRemove(result, from);
        result = pointerAdd(result, path, value);
        break;
      }
      default:
        throw badRequest(`unexpected json patch operation "${op.op}"`);
    }
  }
  return result;
}

/**
 * Merge keys of the built-in list fields that strategic merge patch merges item by item
 * (`patchMergeKey` in the Kubernetes API types). Other lists are replaced.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Primitive lists that strategic merge patch unions rather than replaces. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, ...lists: unknown[]): string | undefined {
  if (field === 'ports') {
    const items = lists.flatMap((l) => (Array.isArray(l) ? l : []));
    return items.some((i) => isRecord(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isRecord(v) && v.$patch !== undefined && Object.keys(v).length === 1)).map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/**
 * Kubernetes strategic merge patch for built-in types: maps merge (null deletes), lists with a
 * merge key merge by that key, `$patch: delete|replace`, `$deleteFromPrimitiveList/<field>`;
 * `$setElementOrder/` and `$retainKeys` are accepted and ignored.
 */
function strategicMerge(original: unknown, patch: Json): Json {
  if (patch.$patch === 'replace') return stripDirectives(patch) as Json;
  const result: Json = isRecord(original) ? clone(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete result[key];
    else if (isRecord(value)) {
      if (value.$patch === 'delete') delete result[key];
      else result[key] = strategicMerge(result[key], value);
    } else if (Array.isArray(value)) result[key] = strategicMergeList(key, result[key], value);
    else result[key] = value;
  }
  return result;
}

function strategicMergeList(field: string, original: unknown, patch: unknown[]): unknown[] {
  if (patch.some((item) => isRecord(item) && item.$patch === 'replace')) return stripDirectives(patch) as unknown[];
  const current = Array.isArray(original) ? clone(original) : [];
  const mergeKey = mergeKeyFor(field, original, patch);
  if (mergeKey) {
    for (const item of patch) {
      if (!isRecord(item) || item[mergeKey] === undefined) {
        current.push(stripDirectives(item));
        continue;
      }
      const index = current.findIndex((c) => isRecord(c) && deepEqual(c[mergeKey], item[mergeKey]));
      if (item.$patch === 'delete') {
        if (index >= 0) current.splice(index, 1);
      } else if (index >= 0) current[index] = strategicMerge(current[index], item);
      else current.push(strategicMerge({}, item));
    }
    return current;
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    for (const item of patch) if (!current.some((c) => deepEqual(c, item))) current.push(item);
    return current;
  }
  return stripDirectives(patch) as unknown[];
}

/** A minimal `fieldsV1` description of the fields an apply configuration sets. */
function fieldsV1Of(value: unknown, field?: string): Json {
  if (isRecord(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[`f:${k}`] = fieldsV1Of(v, k);
    return out;
  }
  if (Array.isArray(value) && field) {
    const mergeKey = mergeKeyFor(field, value);
    if (!mergeKey) return {};
    const out: Json = {};
    for (const item of value) {
      if (isRecord(item) && item[mergeKey] !== undefined) {
        out[`k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`] = { '.': {}, ...fieldsV1Of(item) };
      }
    }
    return out;
  }
  return {};
}

const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Defaulting and validation
// ─────────────────────────────────────────────────────────────────────────────────────────────

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Fills the defaults the API server would, for the fields Watchkeeper reads. */
function applyDefaults(t: ResourceType, obj: StoredObject, serviceIp: () => string): void {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  switch (t.kind) {
    case 'Deployment': {
      if (!spec) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      const strategy = spec.strategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') {
        strategy.rollingUpdate ??= { maxSurge: '25%', maxUnavailable: '25%' };
      }
      return;
    }
    case 'ReplicaSet':
      if (spec) spec.replicas ??= 1;
      return;
    case 'StatefulSet': {
      if (!spec) return;
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate' };
      const strategy = spec.updateStrategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') strategy.rollingUpdate ??= { partition: 0 };
      return;
    }
    case 'DaemonSet': {
      if (!spec) return;
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate' };
      const strategy = spec.updateStrategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') strategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
      return;
    }
    case 'Secret': {
      obj.type ??= 'Opaque';
      if (isRecord(obj.stringData)) {
        const data: Json = isRecord(obj.data) ? obj.data : {};
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
      return;
    }
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      obj.status = { phase: 'Active', ...(isRecord(obj.status) ? obj.status : {}) };
      return;
    case 'Service':
      if (!spec) return;
      spec.type ??= 'ClusterIP';
      if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) spec.clusterIP = serviceIp();
      return;
  }
}

/** Where a kind keeps its pod template spec, for validation. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const SELECTOR_REQUIRED = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

function dig(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

/** The validation the fake performs; returns the causes of a 422 Invalid (empty when valid). */
function validate(t: ResourceType, obj: StoredObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const required = (field: string): void => {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  };
  const invalidValue = (field: string, value: unknown, detail: string): void => {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field });
  };

  const name = obj.metadata.name;
  if (!name) required('metadata.name');
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    invalidValue(
      'metadata.name',
      name,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
        'and must start and end with an alphanumeric character',
    );
  }

  const podSpecPath = POD_SPEC_PATHS[t.kind];
  if (podSpecPath) {
    const field = [...podSpecPath, 'containers'].join('.');
    const containers = dig(obj, [...podSpecPath, 'containers']);
    if (!Array.isArray(containers) || containers.length === 0) required(field);
    else {
      containers.forEach((c: unknown, i) => {
        if (!isRecord(c) || typeof c.name !== 'string' || c.name === '') required(`${field}[${i}].name`);
        if (!isRecord(c) || typeof c.image !== 'string' || c.image === '') required(`${field}[${i}].image`);
      });
    }
  }

  if (SELECTOR_REQUIRED.has(t.kind)) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    const selector = isRecord(spec.selector) ? (spec.selector as LabelSelector) : undefined;
    const labels = dig(obj, ['spec', 'template', 'metadata', 'labels']) as Record<string, string> | undefined;
    if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
      required('spec.selector');
    } else if (!selectorMatches(selector, labels)) {
      invalidValue('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`');
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0');
    }
  }
  return causes;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Pod templates and pod states
// ─────────────────────────────────────────────────────────────────────────────────────────────

/** The template without the `pod-template-hash` label, as compared and hashed by the controller. */
function normalizeTemplate(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = clone(template ?? {});
  const meta = copy.metadata as Meta | undefined;
  if (meta) {
    if (meta.labels) {
      delete meta.labels[TEMPLATE_HASH_LABEL];
      if (Object.keys(meta.labels).length === 0) delete meta.labels;
    }
    if (meta.creationTimestamp === null || meta.creationTimestamp === undefined) delete meta.creationTimestamp;
    if (Object.keys(meta).length === 0) delete copy.metadata;
  }
  return copy;
}

function templatesEqual(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return deepEqual(normalizeTemplate(a), normalizeTemplate(b));
}

/** What the simulated kubelet knows about a pod it runs. */
interface PodSim {
  uid: string;
  behaviour: PodBehaviour;
  /** `creating` until the first kubelet step after creation, then `settled`. */
  stage: 'creating' | 'settled';
  restarts: number;
  /** Creation order, for choosing which pods to delete on scale-down. */
  sequence: number;
  startedAt: string;
  podIp: string;
}

/** hostIP of every simulated pod. */
const HOST_IP = '10.0.0.10';

const FAILED_SCHEDULING_MESSAGE =
  '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';

function readyConditions(now: string, readyStatus: 'True' | 'False', unready: string[]): Condition[] {
  const notReady = readyStatus === 'False' ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` } : {};
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'Ready', status: readyStatus, lastTransitionTime: now, ...notReady },
    { type: 'ContainersReady', status: readyStatus, lastTransitionTime: now, ...notReady },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
  ];
}

/** The `status` of a simulated pod in its current stage. */
function podStatusFor(pod: Pod, sim: PodSim, hostIp: string): NonNullable<Pod['status']> {
  const now = sim.startedAt;
  const podIp = sim.podIp;
  const containers: Container[] = pod.spec?.containers ?? [];
  const names = containers.map((c) => c.name);
  const base = { hostIP: hostIp, hostIPs: [{ ip: hostIp }], startTime: now, qosClass: 'BestEffort' };
  const podRef = `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

  if (sim.behaviour === 'pending') {
    return {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: FAILED_SCHEDULING_MESSAGE,
          lastTransitionTime: now,
        },
      ],
      qosClass: 'BestEffort',
    } as NonNullable<Pod['status']>;
  }

  const status = (c: Container, rest: Omit<ContainerStatus, 'name' | 'image'>): ContainerStatus => ({
    name: c.name,
    image: c.image,
    ...rest,
  });

  if (sim.stage === 'creating') {
    return {
      phase: 'Pending',
      conditions: readyConditions(now, 'False', names).map((c) =>
        c.type === 'PodReadyToStartContainers' ? { ...c, status: 'False' } : c,
      ),
      containerStatuses: containers.map((c) =>
        status(c, { ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }),
      ),
      ...base,
    };
  }

  switch (sim.behaviour) {
    case 'ready':
      return {
        phase: 'Running',
        conditions: readyConditions(now, 'True', []),
        containerStatuses: containers.map((c) =>
          status(c, { ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }),
        ),
        podIP: podIp,
        ...base,
      };
    case 'crashloop':
      return {
        phase: 'Running',
        conditions: readyConditions(now, 'False', names),
        containerStatuses: containers.map((c) =>
          status(c, {
            ready: false,
            started: false,
            restartCount: sim.restarts,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 10s restarting failed container=${c.name} pod=${podRef}`,
              },
            },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: isoNow() } },
          }),
        ),
        podIP: podIp,
        ...base,
      };
    case 'imagepull':
      return {
        phase: 'Pending',
        conditions: readyConditions(now, 'False', names),
        containerStatuses: containers.map((c) =>
          status(c, {
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
          }),
        ),
        podIP: podIp,
        ...base,
      };
  }
}


// ─────────────────────────────────────────────────────────────────────────────────────────────
// The server
// ─────────────────────────────────────────────────────────────────────────────────────────────

interface WriteOptions {
  /** `dryRun=All`: validate and answer, store nothing. */
  dryRun: boolean;
}

interface PodLogEntry {
  namespace: string;
  pod: string | RegExp;
  container: string;
  previous: boolean;
  text: string;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

interface RolloutClock {
  replicaSet: string;
  updated: number;
  ready: number;
  since: number;
}

/** One pod template of a StatefulSet or DaemonSet (what a ControllerRevision records). */
interface WorkloadRevision {
  /** Canonical JSON of the normalised template. */
  key: string;
  /** Value of the pods' `controller-revision-hash` label (`<sts>-<hash>` or `<hash>` for DaemonSets). */
  name: string;
  number: number;
}

interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

class FakeApiServer implements K8sFake {
  url = '';
  readonly requests: RecordedRequest[] = [];

  private readonly server: Server;
  private readonly stepMs: number;
  private readonly progressDeadlineMs: number | undefined;
  private readonly autoTick: boolean;
  private timer: NodeJS.Timeout | undefined;

  /** Stored objects: resource type → `namespace/name` → object. */
  private readonly tables = new Map<ResourceType, Map<string, StoredObject>>();
  private resourceVersion = 100;
  /** Writes counted by {@link tick}; crash-loop churn does not count. */
  private progressWrites = 0;

  private faults: ActiveFault[] = [];
  private readonly logs: PodLogEntry[] = [];
  private behaviour: PodBehaviourFn = () => 'ready';

  /** uids of Deployments and ReplicaSets the controller reconciles (see `seed`). */
  private readonly managed = new Set<string>();
  /** Behaviour decided for each ReplicaSet (by uid). */
  private readonly replicaSetBehaviour = new Map<string, PodBehaviour>();
  /** Pods run by the simulated kubelet, by `namespace/name`. */
  private readonly sims = new Map<string, PodSim>();
  private podSequence = 0;
  private ipCounter = 10;
  /** Event dedup: `uid|type|reason|message` → event key. */
  private readonly eventIndex = new Map<string, string>();
  private readonly rolloutClocks = new Map<string, RolloutClock>();
  /** Pod templates of StatefulSets and DaemonSets (by uid), with their revision names. */
  private readonly workloadRevisions = new Map<string, WorkloadRevision[]>();

  constructor(options: K8sFakeOptions) {
    this.stepMs = options.rolloutStepMs ?? 20;
    this.progressDeadlineMs = options.progressDeadlineMs;
    this.autoTick = options.autoTick ?? true;
    for (const t of RESOURCE_TYPES) this.tables.set(t, new Map());
    this.seed(INITIAL_NAMESPACES.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    if (this.autoTick) {
      this.timer = setInterval(() => this.timedTick(), this.stepMs);
      this.timer.unref();
    }
  }

  // ── public API ───────────────────────────────────────────────────────────────────────────

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'c', cluster: 'fake', user: 'u', namespace: 'default' }],
      currentContext: 'c',
    });
    return kc;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  seed(objects: KObject[]): void {
    for (const input of objects) {
      if (Array.isArray(input.items) && typeof input.kind === 'string' && input.kind.endsWith('List')) {
        this.seed(input.items as KObject[]);
        continue;
      }
      const t = input.kind ? typeOfKind(input.kind, input.apiVersion) : undefined;
      if (!t) throw new Error(`k8s-fake seed: unknown apiVersion/kind ${input.apiVersion}/${input.kind}`);
      const obj = clone(input) as StoredObject;
      obj.metadata = (obj.metadata ?? {}) as Meta;
      if (!obj.metadata.name) throw new Error(`k8s-fake seed: ${t.kind} without metadata.name`);
      if (t.namespaced) {
        obj.metadata.namespace ??= 'default';
        this.ensureNamespace(obj.metadata.namespace);
      } else delete obj.metadata.namespace;
      obj.metadata.uid ??= randomUUID();
      obj.metadata.creationTimestamp ??= isoNow();
      if (obj.spec !== undefined) obj.metadata.generation ??= 1;
      this.store(t, obj);
    }
  }

  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    const t = typeForHelper(kind);
    const obj = this.table(t).get(objectKey(t.namespaced ? namespace : undefined, name));
    return obj ? (clone(obj) as KObject as T) : undefined;
  }

  list<T extends KObject = KObject>(kind: string, namespace?: string): T[] {
    const t = typeForHelper(kind);
    return this.objects(t, t.namespaced ? namespace : undefined).map((o) => clone(o) as KObject as T);
  }

  injectFault(fault: FaultSpec): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  setPodLogs(namespace: string, pod: string | RegExp, container: string, text: string, options: PodLogOptions = {}): void {
    this.logs.push({ namespace, pod, container, previous: options.previous ?? false, text });
  }

  setPodBehaviour(fn: PodBehaviourFn | PodBehaviour): void {
    this.behaviour = typeof fn === 'function' ? fn : () => fn;
  }

  tick(): number {
    const before = this.progressWrites;
    this.runKubelet();
    for (const dep of this.objects(T_DEPLOYMENT)) {
      if (this.isManagedDeployment(dep)) this.syncDeployment(dep);
    }
    for (const rs of this.objects(T_REPLICASET)) {
      if (this.isManagedReplicaSet(rs)) this.reconcileReplicaSet(rs);
    }
    for (const dep of this.objects(T_DEPLOYMENT)) {
      if (this.managed.has(dep.metadata.uid ?? '')) this.updateDeploymentStatus(dep);
    }
    for (const sts of this.objects(T_STATEFULSET)) {
      if (this.isManagedWorkload(sts)) this.syncStatefulSet(sts);
    }
    for (const ds of this.objects(T_DAEMONSET)) {
      if (this.isManagedWorkload(ds)) this.syncDaemonSet(ds);
    }
    return this.progressWrites - before;
  }

  settle(maxTicks = 100): number {
    for (let i = 1; i <= maxTicks; i++) {
      if (this.tick() === 0) return i;
    }
    return maxTicks;
  }

  async waitForRollout(namespace: string, name: string, timeoutMs = 5000): Promise<Deployment> {
    let last: Deployment | undefined;
    try {
      return await this.waitFor(() => {
        last = this.get<Deployment>('Deployment', namespace, name);
        if (!last) return undefined;
        const progressing = last.status?.conditions?.find((c) => c.type === 'Progressing');
        const observed = (last.status?.observedGeneration ?? 0) >= (last.metadata?.generation ?? 1);
        if (observed && progressing?.reason === 'ProgressDeadlineExceeded') {
          throw new Error(`k8s-fake: rollout of ${namespace}/${name} exceeded its progress deadline: ${JSON.stringify(last.status)}`);
        }
        return rolloutComplete(last) ? last : undefined;
      }, timeoutMs);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('k8s-fake: waitFor timed out')) {
        throw new Error(`k8s-fake: rollout of ${namespace}/${name} not complete after ${timeoutMs} ms; status ${JSON.stringify(last?.status)}`);
      }
      throw error;
    }
  }

  async waitFor<T>(probe: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.autoTick) this.tick();
      const value = probe();
      if (value !== undefined && value !== null && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`k8s-fake: waitFor timed out after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, this.stepMs));
    }
  }

  // ── storage ──────────────────────────────────────────────────────────────────────────────

  private table(t: ResourceType): Map<string, StoredObject> {
    return this.tables.get(t)!;
  }

  /** Stored objects (not copies) of a type, sorted by namespace/name. */
  private objects(t: ResourceType, namespace?: string): StoredObject[] {
    return [...this.table(t).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  private nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  /** Stores `obj` (taking ownership) with a new resourceVersion. */
  private store(t: ResourceType, obj: StoredObject): void {
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata.resourceVersion = this.nextResourceVersion();
    this.table(t).set(keyOf(obj), obj);
  }

  private remove(t: ResourceType, obj: StoredObject): void {
    this.table(t).delete(keyOf(obj));
    this.nextResourceVersion();
    if (t === T_POD) this.sims.delete(keyOf(obj));
  }

  /**
   * Controller-side write: stores `obj` when it differs from the stored copy.
   * @param churn true for repeated, non-progress changes (crash-loop restarts, event counts).
   * @returns whether anything was written.
   */
  private commit(t: ResourceType, obj: StoredObject, churn = false): boolean {
    const stored = this.table(t).get(keyOf(obj));
    if (stored && sameContent(stored, obj)) return false;
    this.store(t, obj);
    if (!churn) this.progressWrites += 1;
    return true;
  }

  /** Creates an object on behalf of the controller. */
  private createInternal(t: ResourceType, obj: StoredObject): StoredObject {
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = isoNow();
    if (obj.spec !== undefined) obj.metadata.generation = 1;
    this.store(t, obj);
    this.progressWrites += 1;
    return obj;
  }

  private ensureNamespace(name: string): void {
    if (this.table(T_NAMESPACE).has(name)) return;
    const ns: StoredObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: randomUUID(), creationTimestamp: isoNow(), labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    this.store(T_NAMESPACE, ns);
  }

  private allocateIp(prefix: string): string {
    this.ipCounter += 1;
    return `${prefix}.${Math.floor(this.ipCounter / 250)}.${(this.ipCounter % 250) + 2}`;
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const contentType = req.headers['content-type'];
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType,
      body: recordedBody(raw),
      status: 0,
    };
    this.requests.push(record);

    let reply: Reply;
    const fault = this.takeFault(method, url.pathname);
    if (fault) {
      if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      reply = faultReply(fault);
    } else {
      try {
        reply = this.route(method, url, raw, contentType);
      } catch (error) {
        const statusError =
          error instanceof StatusError
            ? error
            : new StatusError(500, 'InternalError', `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`);
        reply = { status: statusError.code, json: statusError.toStatus() };
      }
    }
    record.status = reply.status;
    if (reply.text !== undefined) {
      res.writeHead(reply.status, { 'Content-Type': 'text/plain' });
      res.end(reply.text);
    } else {
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(reply.json ?? {}));
    }
  }

  private takeFault(method: string, path: string): ActiveFault | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method.toUpperCase() === method) && matchesName(f.path, path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private route(method: string, url: URL, raw: string, contentType: string | undefined): Reply {
    const segments = url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
    const query = url.searchParams;
    if (segments.length === 1 && segments[0] === 'version' && method === 'GET') return { status: 200, json: VERSION_INFO };

    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api') {
      if (segments.length === 1) return { status: 200, json: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] } };
      [group, version, rest] = ['', segments[1]!, segments.slice(2)];
    } else if (segments[0] === 'apis') {
      if (segments.length === 1) return { status: 200, json: apiGroupList() };
      if (segments.length === 2) throw unknownPath();
      [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    } else throw unknownPath();

    const groupTypes = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
    if (groupTypes.length === 0) throw unknownPath();
    if (rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed();
      return { status: 200, json: apiResourceList(group, version, groupTypes) };
    }

    const target = parseTarget(group, version, rest);
    validateDryRun(query);
    const options: WriteOptions = { dryRun: query.get('dryRun') === 'All' };

    const { type, namespace, name, subresource } = target;
    if (name === undefined) {
      switch (method) {
        case 'GET':
          if (query.get('watch') === 'true' || query.get('watch') === '1') {
            throw new StatusError(405, 'MethodNotAllowed', 'watch is not supported by the k8s fake');
          }
          return { status: 200, json: this.listReply(type, namespace, query) };
        case 'POST':
          if (type.namespaced && namespace === undefined) throw methodNotAllowed();
          return { status: 201, json: this.createObject(type, namespace, parseBody(raw, contentType), options) };
        case 'DELETE':
          return { status: 200, json: this.deleteCollection(type, namespace, query, options) };
        default:
          throw methodNotAllowed();
      }
    }

    if (subresource === undefined) {
      switch (method) {
        case 'GET':
          return { status: 200, json: this.mustGet(type, namespace, name) };
        case 'PUT':
          return { status: 200, json: this.replaceObject(type, namespace, name, parseBody(raw, contentType), options) };
        case 'PATCH':
          return this.patchObject(type, namespace, name, raw, contentType, query, options);
        case 'DELETE':
          return { status: 200, json: this.deleteObject(type, namespace, name, raw, query, options) };
        default:
          throw methodNotAllowed();
      }
    }

    if (!(type.subresources as readonly string[]).includes(subresource)) throw unknownPath();
    switch (subresource) {
      case 'status':
        return this.statusSubresource(method, type, namespace, name, raw, contentType, options);
      case 'scale':
        return this.scaleSubresource(method, type, namespace, name, raw, contentType, options);
      case 'log':
        if (method !== 'GET') throw methodNotAllowed();
        return this.podLog(namespace ?? '', name, query);
      case 'eviction':
        if (method !== 'POST') throw methodNotAllowed();
        return this.evict(namespace ?? '', name, options);
      default:
        throw unknownPath();
    }
  }

  // ── verbs ────────────────────────────────────────────────────────────────────────────────

  private mustGet(t: ResourceType, namespace: string | undefined, name: string): StoredObject {
    const obj = this.table(t).get(objectKey(namespace, name));
    if (!obj) throw notFound(t, name);
    return clone(obj);
  }

  private listReply(t: ResourceType, namespace: string | undefined, query: URLSearchParams): Json {
    const items = this.select(t, namespace, query);
    const limit = Number(query.get('limit') ?? '0');
    const continueToken = query.get('continue');
    let start = 0;
    if (continueToken) {
      const after = decodeContinue(continueToken);
      start = items.findIndex((o) => keyOf(o) > after);
      if (start < 0) start = items.length;
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const metadata: Json = { resourceVersion: String(this.resourceVersion) };
    const remaining = items.length - start - page.length;
    if (remaining > 0 && page.length > 0) {
      metadata.continue = Buffer.from(JSON.stringify({ after: keyOf(page[page.length - 1]!) })).toString('base64url');
      metadata.remainingItemCount = remaining;
    }
    return {
      kind: `${t.kind}List`,
      apiVersion: apiVersionOf(t),
      metadata,
      items: page.map((o) => listItem(t, o)),
    };
  }

  /** Objects of a list or delete-collection request, after selectors. */
  private select(t: ResourceType, namespace: string | undefined, query: URLSearchParams): StoredObject[] {
    const labelSelector = query.get('labelSelector');
    const fieldSelector = query.get('fieldSelector');
    const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    const fields = fieldSelector ? parseFieldSelector(t, fieldSelector) : [];
    return this.objects(t, namespace).filter((o) => matchesRequirements(o.metadata.labels, labels) && matchesFields(o, fields));
  }

  private createObject(t: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions, managerEntry?: ManagedFieldsEntry): StoredObject {
    if (!isRecord(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
    const obj = clone(body) as StoredObject;
    checkIdentity(t, namespace, undefined, obj);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomSuffix(5);
    const name = obj.metadata.name ?? '';
    if (t.namespaced && !this.table(T_NAMESPACE).has(namespace ?? '')) throw notFound(T_NAMESPACE, namespace ?? '');
    if (name && this.table(t).has(objectKey(namespace, name))) throw alreadyExists(t, name);

    if (t.subresources.includes('status')) obj.status = t === T_POD ? { phase: 'Pending', qosClass: 'BestEffort' } : {};
    applyDefaults(t, obj, () => this.allocateIp('10.96'));
    const causes = validate(t, obj);
    if (causes.length > 0) throw invalid(t, name, causes);

    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = isoNow();
    if (obj.spec !== undefined) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    if (managerEntry) obj.metadata.managedFields = [managerEntry];
    if (options.dryRun) return obj;
    this.store(t, obj);
    return clone(obj);
  }

  /**
   * Shared by PUT and PATCH: validates `candidate` as the new state of `existing` and stores it.
   * The main resource never changes `status` of types with a status subresource.
   */
  private updateObject(t: ResourceType, existing: StoredObject, candidate: StoredObject, options: WriteOptions, statusOnly = false): StoredObject {
    const name = existing.metadata.name ?? '';
    checkIdentity(t, existing.metadata.namespace, name, candidate);
    const sentVersion = candidate.metadata.resourceVersion;
    if (sentVersion && sentVersion !== existing.metadata.resourceVersion) throw conflict(t, name);

    let next: StoredObject;
    if (statusOnly) {
      next = clone(existing);
      if (candidate.status === undefined) delete next.status;
      else next.status = candidate.status;
    } else {
      next = candidate;
      if (t.subresources.includes('status')) {
        if (existing.status === undefined) delete next.status;
        else next.status = clone(existing.status);
      }
      applyDefaults(t, next, () => this.allocateIp('10.96'));
      const causes = validate(t, next);
      if (causes.length > 0) throw invalid(t, name, causes);
    }

    next.metadata.uid = existing.metadata.uid;
    next.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    next.metadata.managedFields ??= existing.metadata.managedFields;
    if (existing.metadata.generation !== undefined || next.spec !== undefined) {
      const generation = existing.metadata.generation ?? 1;
      next.metadata.generation = deepEqual(existing.spec, next.spec) ? generation : generation + 1;
    }
    if (sameContent(existing, next)) return clone(existing);
    if (options.dryRun) return next;
    this.store(t, next);
    return clone(next);
  }

  private replaceObject(t: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions): StoredObject {
    const existing = this.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    if (!isRecord(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
    return this.updateObject(t, existing, clone(body) as StoredObject, options);
  }

  private patchObject(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    raw: string,
    contentType: string | undefined,
    query: URLSearchParams,
    options: WriteOptions,
  ): Reply {
    const existing = this.table(t).get(objectKey(namespace, name));
    const type = mediaType(contentType);
    if (type === PATCH_TYPES.apply) return this.apply(t, namespace, name, existing, raw, query, options);
    if (!existing) throw notFound(t, name);
    const patched = patchDocument(t, existing, raw, type);
    return { status: 200, json: this.updateObject(t, existing, patched, options) };
  }

  /** Server-side apply: create or merge the applied configuration, recording the field manager. */
  private apply(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    existing: StoredObject | undefined,
    raw: string,
    query: URLSearchParams,
    options: WriteOptions,
  ): Reply {
    const manager = query.get('fieldManager');
    if (!manager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    let applied: unknown;
    try {
      applied = parseYaml(raw);
    } catch (error) {
      throw badRequest(`error decoding YAML: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isRecord(applied)) throw badRequest('apply patch body must be an object');
    if (typeof applied.apiVersion !== 'string' || typeof applied.kind !== 'string') {
      throw badRequest('invalid object type: apiVersion and kind must be set in an apply configuration');
    }
    const entry: ManagedFieldsEntry = {
      manager,
      operation: 'Apply',
      apiVersion: apiVersionOf(t),
      time: isoNow(),
      fieldsType: 'FieldsV1',
      fieldsV1: fieldsV1Of(withoutIdentity(applied)),
    };
    if (!existing) {
      const body = clone(applied);
      const meta = isRecord(body.metadata) ? body.metadata : {};
      meta.name ??= name;
      body.metadata = meta;
      if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
      return { status: 201, json: this.createObject(t, namespace, body, options, entry) };
    }
    const merged = (t.custom ? mergePatch(existing, applied) : strategicMerge(existing, applied)) as StoredObject;
    const managedFields = (existing.metadata.managedFields ?? []).filter((m) => !(m.manager === manager && m.operation === 'Apply'));
    merged.metadata.managedFields = [...managedFields, entry];
    return { status: 200, json: this.updateObject(t, existing, merged, options) };
  }

  private deleteObject(t: ResourceType, namespace: string | undefined, name: string, raw: string, query: URLSearchParams, options: WriteOptions): Json {
    const existing = this.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    const deleteOptions = raw.trim() ? parseBody(raw, 'application/json') : {};
    const body = isRecord(deleteOptions) ? deleteOptions : {};
    const dryRun = options.dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All'));
    const preconditions = isRecord(body.preconditions) ? body.preconditions : {};
    if (
      (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== existing.metadata.resourceVersion) ||
      (preconditions.uid !== undefined && preconditions.uid !== existing.metadata.uid)
    ) {
      throw conflict(t, name);
    }
    const propagation = query.get('propagationPolicy') ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : 'Background');
    const orphan = propagation === 'Orphan' || query.get('orphanDependents') === 'true' || body.orphanDependents === true;
    const result = clone(existing);
    if (!dryRun) this.deleteWithDependents(t, existing, !orphan, true);
    if (t === T_POD || t.custom) return result;
    const details: StatusDetails = { ...resourceDetails(t, name) };
    if (existing.metadata.uid) details.uid = existing.metadata.uid;
    return statusObject('Success', 200, undefined, undefined, details);
  }

  private deleteCollection(t: ResourceType, namespace: string | undefined, query: URLSearchParams, options: WriteOptions): Json {
    const victims = this.select(t, namespace, query);
    if (!options.dryRun) for (const v of victims) this.deleteWithDependents(t, v, true, true);
    return {
      kind: `${t.kind}List`,
      apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: String(this.resourceVersion) },
      items: victims.map((o) => listItem(t, clone(o))),
    };
  }

  /** Deletes `obj`, then (when `cascade`) every object it owns, recursively; a namespace takes its contents along. */
  private deleteWithDependents(t: ResourceType, obj: StoredObject, cascade: boolean, viaApi: boolean): void {
    this.remove(t, obj);
    if (viaApi && t === T_POD) {
      this.markOwnerReplicaSetManaged(obj);
      this.markOwnerWorkloadManaged(obj);
    }
    if (!cascade) return;
    if (t === T_NAMESPACE) {
      for (const other of RESOURCE_TYPES) {
        if (other.namespaced) for (const o of this.objects(other, obj.metadata.name)) this.remove(other, o);
      }
      return;
    }
    for (const other of RESOURCE_TYPES) {
      const candidates = this.objects(other, t.namespaced ? obj.metadata.namespace : undefined);
      for (const dependent of candidates) {
        if (isOwnedBy(dependent, t.kind, obj.metadata.name)) this.deleteWithDependents(other, dependent, true, false);
      }
    }
  }

  private statusSubresource(
    method: string,
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    raw: string,
    contentType: string | undefined,
    options: WriteOptions,
  ): Reply {
    if (!t.subresources.includes('status')) throw unknownPath();
    const existing = this.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    switch (method) {
      case 'GET':
        return { status: 200, json: clone(existing) };
      case 'PUT': {
        const body = parseBody(raw, contentType);
        if (!isRecord(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
        return { status: 200, json: this.updateObject(t, existing, clone(body) as StoredObject, options, true) };
      }
      case 'PATCH': {
        const patched = patchDocument(t, existing, raw, mediaType(contentType));
        return { status: 200, json: this.updateObject(t, existing, patched, options, true) };
      }
      default:
        throw methodNotAllowed();
    }
  }

  private scaleSubresource(
    method: string,
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    raw: string,
    contentType: string | undefined,
    options: WriteOptions,
  ): Reply {
    if (!t.subresources.includes('scale')) throw unknownPath();
    const existing = this.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    const current = toScale(existing);
    if (method === 'GET') return { status: 200, json: current };
    let desired: unknown;
    if (method === 'PUT') desired = parseBody(raw, contentType);
    else if (method === 'PATCH') desired = patchDocument(SCALE_TYPE, current as StoredObject, raw, mediaType(contentType));
    else throw methodNotAllowed();
    if (!isRecord(desired) || !isRecord(desired.spec) || typeof desired.spec.replicas !== 'number') {
      throw invalid(SCALE_TYPE, name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.replicas' }]);
    }
    const meta = isRecord(desired.metadata) ? desired.metadata : {};
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== existing.metadata.resourceVersion) throw conflict(t, name);
    const next = clone(existing);
    (next.spec as Json).replicas = desired.spec.replicas;
    const updated = this.updateObject(t, existing, next, options);
    return { status: 200, json: toScale(updated) };
  }

  private podLog(namespace: string, name: string, query: URLSearchParams): Reply {
    const pod = this.table(T_POD).get(objectKey(namespace, name)) as (StoredObject & Pod) | undefined;
    if (!pod) throw notFound(T_POD, name);
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
    const regular = (pod.spec?.containers ?? []).map((c) => c.name);
    let container = query.get('container') ?? undefined;
    if (container === undefined) {
      if (regular.length !== 1) {
        throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
      }
      container = regular[0]!;
    }
    if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const previous = query.get('previous') === 'true';

    const entry = [...this.logs]
      .reverse()
      .find(
        (l) =>
          l.namespace === namespace &&
          l.container === container &&
          l.previous === previous &&
          matchesName(l.pod, name),
      );
    if (previous && !entry) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    if (!previous) {
      const status = pod.status?.containerStatuses?.find((c) => c.name === container);
      const waiting = status?.state?.waiting?.reason;
      if ((status === undefined && pod.status?.phase === 'Pending') || (waiting !== undefined && waiting !== 'CrashLoopBackOff')) {
        throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting ?? 'ContainerCreating'}`);
      }
    }

    let text = entry?.text ?? '';
    const tailLines = query.get('tailLines');
    if (tailLines !== null) {
      const n = Number(tailLines);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: Invalid value: ${tailLines}`);
      const lines = text.split('\n');
      const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - n)).join('\n') + (trailing !== undefined && n > 0 ? '\n' : '');
    }
    const limitBytes = query.get('limitBytes');
    if (limitBytes !== null) text = Buffer.from(text).subarray(0, Number(limitBytes)).toString();
    return { status: 200, text };
  }

  private evict(namespace: string, name: string, options: WriteOptions): Reply {
    const pod = this.table(T_POD).get(objectKey(namespace, name));
    if (!pod) throw notFound(T_POD, name);
    const blocking = this.objects(T_PDB, namespace).find((pdb) => {
      const spec = pdb.spec as { selector?: LabelSelector } | undefined;
      const status = pdb.status as { disruptionsAllowed?: number } | undefined;
      return selectorMatches(spec?.selector, pod.metadata.labels) && (status?.disruptionsAllowed ?? 0) <= 0;
    });
    if (blocking) {
      throw new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${blocking.metadata.name} needs more healthy pods`, field: '' }],
      });
    }
    if (!options.dryRun) this.deleteWithDependents(T_POD, pod, true, true);
    return { status: 201, json: statusObject('Success', 201, undefined, undefined, {}) };
  }

  /** A pod deleted through the API hands its (possibly seeded) ReplicaSet to the controller. */
  private markOwnerReplicaSetManaged(pod: StoredObject): void {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
    const rs = ref ? this.table(T_REPLICASET).get(objectKey(pod.metadata.namespace, ref.name)) : undefined;
    if (rs?.metadata.uid) this.managed.add(rs.metadata.uid);
  }

  // ── controller ───────────────────────────────────────────────────────────────────────────

  private timedTick(): void {
    try {
      this.tick();
    } catch (error) {
      console.error('k8s-fake controller tick failed:', error);
    }
  }

  private isManagedDeployment(dep: StoredObject & Deployment): boolean {
    const uid = dep.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const observed = dep.status?.observedGeneration;
    if (observed === undefined || observed < (dep.metadata.generation ?? 1)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  private isManagedReplicaSet(rs: StoredObject & ReplicaSet): boolean {
    const uid = rs.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const ownerRef = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
    const owner = ownerRef ? this.table(T_DEPLOYMENT).get(objectKey(rs.metadata.namespace, ownerRef.name)) : undefined;
    const observed = rs.status?.observedGeneration;
    const stale = observed === undefined || observed < (rs.metadata.generation ?? 1);
    if ((owner && this.managed.has(owner.metadata.uid ?? '')) || (!owner && stale)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  /** Fresh stored copy of an object, or undefined when it is gone. */
  private fresh<T extends KObject>(t: ResourceType, obj: StoredObject): (StoredObject & T) | undefined {
    const stored = this.table(t).get(keyOf(obj));
    return stored ? (clone(stored) as StoredObject & T) : undefined;
  }

  private replicaSetsOf(dep: StoredObject): Array<StoredObject & ReplicaSet> {
    return this.objects(T_REPLICASET, dep.metadata.namespace)
      .filter((rs) => isOwnedBy(rs, 'Deployment', dep.metadata.name))
      .map((rs) => clone(rs) as StoredObject & ReplicaSet);
  }

  private podsOf(rs: StoredObject): Array<StoredObject & Pod> {
    return this.objects(T_POD, rs.metadata.namespace).filter((p) => isOwnedBy(p, 'ReplicaSet', rs.metadata.name)) as Array<StoredObject & Pod>;
  }

  private readyPods(rs: StoredObject): number {
    return this.podsOf(rs).filter(isPodReady).length;
  }

  /** Deployment controller: ReplicaSet for the current template, revisions, one rollout step. */
  private syncDeployment(stored: StoredObject & Deployment): void {
    const dep = clone(stored);
    const template = dep.spec?.template;
    if (!template) return;
    const replicaSets = this.replicaSetsOf(dep);
    let current = replicaSets.find((rs) => templatesEqual(rs.spec?.template, template));
    const maxRevision = Math.max(0, ...replicaSets.map(revisionOf));

    if (dep.spec?.paused) {
      if (current && (current.spec?.replicas ?? 0) !== desiredReplicas(dep)) this.scaleReplicaSet(dep, current, desiredReplicas(dep));
      return;
    }

    if (!current) current = this.createReplicaSet(dep, template, maxRevision + 1);
    else if (revisionOf(current) < maxRevision) {
      // Rolling back to an old template reuses its ReplicaSet with the next revision number.
      const annotations = (current.metadata.annotations ??= {});
      const history = [annotations[REVISION_HISTORY_ANNOTATION], String(revisionOf(current))].filter(Boolean).join(',');
      annotations[REVISION_ANNOTATION] = String(maxRevision + 1);
      annotations[REVISION_HISTORY_ANNOTATION] = history;
      this.commit(T_REPLICASET, current);
    }

    const depAnnotations = (dep.metadata.annotations ??= {});
    if (depAnnotations[REVISION_ANNOTATION] !== String(revisionOf(current))) {
      depAnnotations[REVISION_ANNOTATION] = String(revisionOf(current));
      this.commit(T_DEPLOYMENT, dep);
    }

    const newName = current.metadata.name;
    const old = this.replicaSetsOf(dep)
      .filter((rs) => rs.metadata.name !== newName)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    if (dep.spec?.strategy?.type === 'Recreate') this.recreateStep(dep, current, old);
    else this.rollingStep(dep, current, old);
  }

  private createReplicaSet(dep: StoredObject & Deployment, template: PodTemplateSpec, revision: number): StoredObject & ReplicaSet {
    const normalized = normalizeTemplate(template);
    const taken = (hash: string): boolean => this.table(T_REPLICASET).has(objectKey(dep.metadata.namespace, `${dep.metadata.name}-${hash}`));
    let hash = hashSuffix(canonical(normalized), 10);
    // Like the collisionCount of a real Deployment: rehash while the name belongs to another ReplicaSet.
    for (let collision = 1; taken(hash); collision++) hash = hashSuffix(`${canonical(normalized)}#${collision}`, 10);
    const labels = { ...(template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash };
    const rsTemplate: PodTemplateSpec = clone(normalized);
    rsTemplate.metadata = { ...(rsTemplate.metadata ?? {}), labels };
    const selector = clone(dep.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [TEMPLATE_HASH_LABEL]: hash };
    const desired = desiredReplicas(dep);
    const rs: StoredObject & ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: dep.metadata.namespace,
        labels: { ...labels },
        annotations: {
          [REVISION_ANNOTATION]: String(revision),
          [DESIRED_REPLICAS_ANNOTATION]: String(desired),
          [MAX_REPLICAS_ANNOTATION]: String(desired + rollingParameters(dep, desired).maxSurge),
        },
        ownerReferences: [controllerRef(dep)],
      },
      spec: { replicas: 0, selector, template: rsTemplate },
      status: { replicas: 0 },
    };
    this.createInternal(T_REPLICASET, rs);
    this.managed.add(rs.metadata.uid ?? '');
    return clone(rs);
  }

  /** RollingUpdate: grow the new ReplicaSet by one within maxSurge, shrink old ones within maxUnavailable. */
  private rollingStep(dep: StoredObject & Deployment, current: StoredObject & ReplicaSet, old: Array<StoredObject & ReplicaSet>): void {
    const desired = desiredReplicas(dep);
    const { maxSurge, maxUnavailable } = rollingParameters(dep, desired);
    const newReplicas = current.spec?.replicas ?? 0;
    const oldTotal = old.reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    if (newReplicas > desired) this.scaleReplicaSet(dep, current, desired);
    else if (newReplicas < desired && newReplicas + oldTotal < desired + maxSurge) this.scaleReplicaSet(dep, current, newReplicas + 1);
    if (oldTotal === 0) return;

    const available = this.readyPods(current) + old.reduce((sum, rs) => sum + this.readyPods(rs), 0);
    let budget = Math.max(0, available - (desired - maxUnavailable));
    for (const rs of old) {
      const replicas = rs.spec?.replicas ?? 0;
      // Unready old pods do not count towards availability, so they go first and for free.
      let target = Math.min(replicas, this.readyPods(rs));
      const cut = Math.min(budget, target);
      target -= cut;
      budget -= cut;
      if (target !== replicas) this.scaleReplicaSet(dep, rs, target);
    }
  }

  /** Recreate: scale every old ReplicaSet to zero, wait for their pods to go, then scale up. */
  private recreateStep(dep: StoredObject & Deployment, current: StoredObject & ReplicaSet, old: Array<StoredObject & ReplicaSet>): void {
    const active = old.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    if (active.length > 0) {
      for (const rs of active) this.scaleReplicaSet(dep, rs, 0);
      return;
    }
    if (old.some((rs) => this.podsOf(rs).length > 0)) return;
    const desired = desiredReplicas(dep);
    if ((current.spec?.replicas ?? 0) !== desired) this.scaleReplicaSet(dep, current, desired);
  }

  private scaleReplicaSet(dep: StoredObject & Deployment, replicaSet: StoredObject & ReplicaSet, replicas: number): void {
    const rs = this.fresh<ReplicaSet>(T_REPLICASET, replicaSet);
    if (!rs?.spec) return;
    const from = rs.spec.replicas ?? 0;
    const desired = desiredReplicas(dep);
    rs.spec.replicas = replicas;
    const annotations = (rs.metadata.annotations ??= {});
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    annotations[MAX_REPLICAS_ANNOTATION] = String(desired + rollingParameters(dep, desired).maxSurge);
    rs.metadata.generation = (rs.metadata.generation ?? 1) + (from === replicas ? 0 : 1);
    if (!this.commit(T_REPLICASET, rs) || from === replicas) return;
    const direction = replicas > from ? 'up' : 'down';
    const message = `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${replicas}`;
    this.recordEvent(dep, 'Normal', 'ScalingReplicaSet', message, 'deployment-controller');
  }

  /** ReplicaSet controller: create or delete pods to match spec.replicas, then update status. */
  private reconcileReplicaSet(stored: StoredObject & ReplicaSet): void {
    const rs = clone(stored);
    const desired = rs.spec?.replicas ?? 1;
    const pods = this.podsOf(rs);
    if (pods.length < desired) {
      const behaviour = this.behaviourOf(rs);
      for (let i = pods.length; i < desired; i++) this.createPod(rs, behaviour);
    } else if (pods.length > desired) {
      const victims = [...pods].sort((a, b) => deletionRank(a, this.sims.get(keyOf(a))) - deletionRank(b, this.sims.get(keyOf(b))));
      for (const pod of victims.slice(0, pods.length - desired)) {
        this.remove(T_POD, pod);
        this.progressWrites += 1;
        this.recordEvent(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller');
      }
    }

    const now = this.podsOf(rs);
    const ready = now.filter(isPodReady).length;
    const next = this.fresh<ReplicaSet>(T_REPLICASET, rs);
    if (!next) return;
    const status: Json = { replicas: now.length };
    const labelled = now.filter((p) => selectorMatches(rs.spec?.selector, p.metadata.labels)).length;
    if (labelled > 0) status.fullyLabeledReplicas = labelled;
    if (ready > 0) {
      status.readyReplicas = ready;
      status.availableReplicas = ready;
    }
    status.observedGeneration = next.metadata.generation ?? 1;
    next.status = status as ReplicaSet['status'];
    this.commit(T_REPLICASET, next);
  }

  private behaviourOf(rs: StoredObject & ReplicaSet): PodBehaviour {
    const uid = rs.metadata.uid ?? '';
    const known = this.replicaSetBehaviour.get(uid);
    if (known) return known;
    const ownerRef = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
    const owner = ownerRef ? this.table(T_DEPLOYMENT).get(objectKey(rs.metadata.namespace, ownerRef.name)) : undefined;
    const behaviour = this.behaviour({
      deployment: owner ? (clone(owner) as Deployment) : undefined,
      replicaSet: clone(rs),
      template: clone(rs.spec?.template ?? {}),
      revision: revisionOf(rs),
    });
    this.replicaSetBehaviour.set(uid, behaviour);
    return behaviour;
  }

  private nodeName(): string {
    const node = this.objects(T_NODE)[0];
    return node?.metadata.name ?? 'fake-node-1';
  }

  private createPod(rs: StoredObject & ReplicaSet, behaviour: PodBehaviour): void {
    const template = rs.spec?.template ?? {};
    let name: string;
    do name = `${rs.metadata.name}-${randomSuffix(5)}`;
    while (this.table(T_POD).has(objectKey(rs.metadata.namespace, name)));
    const spec = clone(template.spec ?? { containers: [] });
    if (behaviour !== 'pending') spec.nodeName = this.nodeName();
    const pod: StoredObject & Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        ownerReferences: [controllerRef(rs)],
      },
      spec,
    };
    const annotations = template.metadata?.annotations;
    if (annotations) pod.metadata.annotations = { ...annotations };
    this.podSequence += 1;
    const sim: PodSim = {
      uid: '',
      behaviour,
      stage: behaviour === 'pending' ? 'settled' : 'creating',
      restarts: 0,
      sequence: this.podSequence,
      startedAt: isoNow(),
      podIp: this.allocateIp('10.244'),
    };
    pod.status = podStatusFor(pod, sim, HOST_IP);
    this.createInternal(T_POD, pod);
    sim.uid = pod.metadata.uid ?? '';
    this.sims.set(keyOf(pod), sim);
    this.recordEvent(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, 'replicaset-controller');
    if (behaviour === 'pending') this.recordEvent(pod, 'Warning', 'FailedScheduling', FAILED_SCHEDULING_MESSAGE, 'default-scheduler');
    else this.recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${name} to ${spec.nodeName}`, 'default-scheduler');
  }

  /** Kubelet: moves each simulated pod one step towards (or along) its behaviour. */
  private runKubelet(): void {
    for (const [key, sim] of [...this.sims]) {
      const stored = this.table(T_POD).get(key) as (StoredObject & Pod) | undefined;
      if (!stored || stored.metadata.uid !== sim.uid) {
        this.sims.delete(key);
        continue;
      }
      const pod = clone(stored);
      const containers = pod.spec?.containers ?? [];
      let churn = false;
      if (sim.stage === 'creating') {
        sim.stage = 'settled';
        if (sim.behaviour === 'crashloop') sim.restarts = 1;
        this.startupEvents(pod, sim.behaviour, containers);
      } else if (sim.behaviour === 'crashloop') {
        sim.restarts += 1;
        churn = true;
        for (const c of containers) this.backOffEvent(pod, c);
      } else continue;
      pod.status = podStatusFor(pod, sim, HOST_IP);
      this.commit(T_POD, pod, churn);
    }
  }

  private startupEvents(pod: StoredObject & Pod, behaviour: PodBehaviour, containers: Container[]): void {
    for (const c of containers) {
      const image = c.image ?? '';
      if (behaviour === 'imagepull') {
        this.recordEvent(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
        this.recordEvent(
          pod,
          'Warning',
          'Failed',
          `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`,
          'kubelet',
        );
        this.recordEvent(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
        this.recordEvent(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet');
        this.recordEvent(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet');
        continue;
      }
      this.recordEvent(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet');
      this.recordEvent(pod, 'Normal', 'Created', `Created container ${c.name}`, 'kubelet');
      this.recordEvent(pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
      if (behaviour === 'crashloop') this.backOffEvent(pod, c);
    }
  }

  private backOffEvent(pod: StoredObject & Pod, c: Container): void {
    const ref = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    this.recordEvent(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${ref}`, 'kubelet', `spec.containers{${c.name}}`);
  }

  /** Emits a core/v1 Event, or bumps `count`/`lastTimestamp` of the same earlier event. */
  private recordEvent(involved: StoredObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, fieldPath?: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const dedupKey = `${involved.metadata.uid}|${type}|${reason}|${message}`;
    const now = isoNow();
    const existingKey = this.eventIndex.get(dedupKey);
    const existing = existingKey ? this.table(T_EVENT).get(existingKey) : undefined;
    if (existing) {
      const next = clone(existing);
      next.count = (typeof next.count === 'number' ? next.count : 1) + 1;
      next.lastTimestamp = now;
      this.commit(T_EVENT, next, true);
      return;
    }
    const involvedObject: Json = {
      kind: involved.kind,
      namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const event: StoredObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject,
      reason,
      message,
      source: component === 'kubelet' ? { component, host: this.nodeName() } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? this.nodeName() : '',
    };
    this.createInternal(T_EVENT, event);
    this.eventIndex.set(dedupKey, keyOf(event));
  }

  /** Deployment status and conditions from its ReplicaSets, as the deployment controller reports them. */
  private updateDeploymentStatus(stored: StoredObject & Deployment): void {
    const dep = clone(stored);
    const uid = dep.metadata.uid ?? '';
    const desired = desiredReplicas(dep);
    const replicaSets = this.replicaSetsOf(dep);
    const current = replicaSets.find((rs) => templatesEqual(rs.spec?.template, dep.spec?.template));
    const sum = (pick: (rs: ReplicaSet) => number | undefined): number => replicaSets.reduce((n, rs) => n + (pick(rs) ?? 0), 0);
    const replicas = sum((rs) => rs.status?.replicas);
    const updated = current?.status?.replicas ?? 0;
    const ready = sum((rs) => rs.status?.readyReplicas);
    const available = sum((rs) => rs.status?.availableReplicas);
    const unavailable = Math.max(0, desired - available);
    const { maxUnavailable } = rollingParameters(dep, desired);
    const complete = current !== undefined && updated === desired && replicas === desired && available === desired;

    const nowMs = Date.now();
    const clock = this.rolloutClocks.get(uid);
    const newReady = current?.status?.readyReplicas ?? 0;
    if (!clock || clock.replicaSet !== current?.metadata.name || updated > clock.updated || newReady > clock.ready) {
      this.rolloutClocks.set(uid, { replicaSet: current?.metadata.name ?? '', updated, ready: newReady, since: nowMs });
    }
    const since = this.rolloutClocks.get(uid)!.since;
    const deadlineMs = this.progressDeadlineMs ?? (dep.spec?.progressDeadlineSeconds ?? 600) * 1000;

    const now = isoNow();
    let conditions = dep.status?.conditions ?? [];
    conditions = upsertCondition(
      conditions,
      available >= desired - maxUnavailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
    );
    const rsName = current?.metadata.name ?? '';
    const previous = conditions.find((c) => c.type === 'Progressing');
    let progressing: Condition;
    if (dep.spec?.paused) progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' };
    else if (complete) {
      progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` };
    } else if (
      nowMs - since > deadlineMs ||
      (previous?.reason === 'ProgressDeadlineExceeded' && previous.message === `ReplicaSet "${rsName}" has timed out progressing.`)
    ) {
      progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` };
    } else {
      progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
    }
    conditions = upsertCondition(conditions, progressing, now);

    const status: NonNullable<Deployment['status']> = { observedGeneration: dep.metadata.generation ?? 1 };
    if (replicas) status.replicas = replicas;
    if (updated) status.updatedReplicas = updated;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    if (unavailable) status.unavailableReplicas = unavailable;
    status.conditions = conditions;
    dep.status = status;
    this.commit(T_DEPLOYMENT, dep);
  }

  // ── StatefulSet and DaemonSet controllers ───────────────────────────────────────────────

  /** Like a Deployment: reconciled once its spec is newer than its status (or it has no status). */
  private isManagedWorkload(obj: StoredObject): boolean {
    const uid = obj.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const status = isRecord(obj.status) ? obj.status : {};
    const observed = status.observedGeneration;
    if (typeof observed !== 'number' || observed < (obj.metadata.generation ?? 1)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  /**
   * A pod of a seeded (snapshot) StatefulSet or DaemonSet deleted through the API hands its owner
   * to the controller; the current template keeps the revision its pods carry, so only the
   * deleted pod is recreated rather than every pod rolled.
   */
  private markOwnerWorkloadManaged(pod: StoredObject): void {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'StatefulSet' || r.kind === 'DaemonSet');
    if (!ref) return;
    const t = ref.kind === 'StatefulSet' ? T_STATEFULSET : T_DAEMONSET;
    const owner = this.table(t).get(objectKey(pod.metadata.namespace, ref.name));
    const uid = owner?.metadata.uid;
    if (!owner || !uid || this.managed.has(uid)) return;
    this.managed.add(uid);
    const status = isRecord(owner.status) ? owner.status : {};
    const observed = status.observedGeneration;
    if (typeof observed !== 'number' || observed < (owner.metadata.generation ?? 1)) return;
    const name =
      (typeof status.updateRevision === 'string' ? status.updateRevision : undefined) ?? pod.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';
    this.workloadRevisions.set(uid, [{ key: workloadTemplateKey(owner), name, number: 1 }]);
  }

  /** The revision of the workload's current template, registered on first sight. */
  private workloadRevision(obj: StoredObject): WorkloadRevision {
    const uid = obj.metadata.uid ?? '';
    const key = workloadTemplateKey(obj);
    const known = this.workloadRevisions.get(uid) ?? [];
    let rev = known.find((r) => r.key === key);
    if (!rev) {
      const hash = hashSuffix(key, 10);
      rev = { key, name: obj.kind === 'StatefulSet' ? `${obj.metadata.name}-${hash}` : hash, number: Math.max(0, ...known.map((r) => r.number)) + 1 };
      known.push(rev);
      this.workloadRevisions.set(uid, known);
    }
    return rev;
  }

  private workloadPods(owner: StoredObject): Array<StoredObject & Pod> {
    return this.objects(T_POD, owner.metadata.namespace).filter((p) => isOwnedBy(p, owner.kind, owner.metadata.name)) as Array<StoredObject & Pod>;
  }

  private workloadBehaviour(owner: StoredObject, rev: WorkloadRevision): PodBehaviour {
    const key = `${owner.metadata.uid}|${rev.name}`;
    const known = this.replicaSetBehaviour.get(key);
    if (known) return known;
    const template = clone(workloadTemplate(owner));
    const standIn = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: rev.name, namespace: owner.metadata.namespace },
      spec: { template },
    } as ReplicaSet;
    const behaviour = this.behaviour({ deployment: undefined, replicaSet: standIn, template, revision: rev.number, workload: clone(owner) });
    this.replicaSetBehaviour.set(key, behaviour);
    return behaviour;
  }

  private createWorkloadPod(owner: StoredObject, rev: WorkloadRevision, options: { name?: string; labels?: Record<string, string>; node?: string }): void {
    const template = workloadTemplate(owner);
    const behaviour = this.workloadBehaviour(owner, rev);
    const namespace = owner.metadata.namespace;
    let name = options.name;
    if (!name) {
      do name = `${owner.metadata.name}-${randomSuffix(5)}`;
      while (this.table(T_POD).has(objectKey(namespace, name)));
    }
    const spec = clone(template.spec ?? { containers: [] });
    if (options.node) {
      // What the DaemonSet controller pins its pods with.
      spec.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [options.node] }] }],
          },
        },
      };
    }
    if (behaviour !== 'pending') spec.nodeName = options.node ?? this.nodeName();
    const pod: StoredObject & Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        ...(options.name ? {} : { generateName: `${owner.metadata.name}-` }),
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_LABEL]: rev.name, ...options.labels },
        ownerReferences: [controllerRef(owner)],
      },
      spec,
    };
    const annotations = template.metadata?.annotations;
    if (annotations) pod.metadata.annotations = { ...annotations };
    this.podSequence += 1;
    const sim: PodSim = {
      uid: '',
      behaviour,
      stage: behaviour === 'pending' ? 'settled' : 'creating',
      restarts: 0,
      sequence: this.podSequence,
      startedAt: isoNow(),
      podIp: this.allocateIp('10.244'),
    };
    pod.status = podStatusFor(pod, sim, HOST_IP);
    this.createInternal(T_POD, pod);
    sim.uid = pod.metadata.uid ?? '';
    this.sims.set(keyOf(pod), sim);
    const sts = owner.kind === 'StatefulSet';
    this.recordEvent(
      owner,
      'Normal',
      'SuccessfulCreate',
      sts ? `create Pod ${name} in StatefulSet ${owner.metadata.name} successful` : `Created pod: ${name}`,
      sts ? 'statefulset-controller' : 'daemonset-controller',
    );
    if (behaviour === 'pending') this.recordEvent(pod, 'Warning', 'FailedScheduling', FAILED_SCHEDULING_MESSAGE, 'default-scheduler');
    else this.recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${spec.nodeName}`, 'default-scheduler');
  }

  private deleteWorkloadPod(owner: StoredObject, pod: StoredObject): void {
    this.remove(T_POD, pod);
    this.progressWrites += 1;
    const sts = owner.kind === 'StatefulSet';
    this.recordEvent(
      owner,
      'Normal',
      'SuccessfulDelete',
      sts ? `delete Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} successful` : `Deleted pod: ${pod.metadata.name}`,
      sts ? 'statefulset-controller' : 'daemonset-controller',
    );
  }

  /**
   * StatefulSet controller, one step: delete condemned pods (ordinal ≥ replicas, highest first),
   * else create the first missing ordinal, else replace the highest outdated pod at or above the
   * partition. OrderedReady stops at the first pod that is not Ready — as the real controller
   * does, so a crash-looping StatefulSet does not roll by itself; Parallel does not wait.
   */
  private syncStatefulSet(stored: StoredObject): void {
    const sts = clone(stored);
    const spec = isRecord(sts.spec) ? sts.spec : {};
    if (!isRecord(spec.template)) return;
    const name = sts.metadata.name ?? '';
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const update = this.workloadRevision(sts);
    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    const rolling = strategy.type === undefined || strategy.type === 'RollingUpdate';
    const rawPartition = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined;
    const partition = typeof rawPartition === 'number' ? rawPartition : 0;
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const ordinal = (p: StoredObject): number => {
      const rest = (p.metadata.name ?? '').slice(name.length + 1);
      return (p.metadata.name ?? '').startsWith(`${name}-`) && /^\d+$/.test(rest) ? Number(rest) : -1;
    };
    const revisionOfPod = (p: StoredObject): string => p.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';

    step: {
      const pods = this.workloadPods(sts);
      const byOrdinal = new Map(pods.map((p) => [ordinal(p), p]));
      for (let i = 0; i < desired; i++) {
        const pod = byOrdinal.get(i);
        if (!pod) {
          const podName = `${name}-${i}`;
          this.createWorkloadPod(sts, update, { name: podName, labels: { [STS_POD_NAME_LABEL]: podName } });
          if (monotonic) break step;
        } else if (monotonic && !isPodReady(pod)) break step;
      }
      const condemned = pods.filter((p) => ordinal(p) < 0 || ordinal(p) >= desired).sort((a, b) => ordinal(b) - ordinal(a));
      if (condemned.length > 0) {
        for (const p of monotonic ? condemned.slice(0, 1) : condemned) this.deleteWorkloadPod(sts, p);
        break step;
      }
      if (!rolling) break step;
      for (let i = desired - 1; i >= partition; i--) {
        const pod = byOrdinal.get(i);
        if (!pod) break;
        if (revisionOfPod(pod) !== update.name) {
          this.deleteWorkloadPod(sts, pod);
          break;
        }
        if (!isPodReady(pod)) break;
      }
    }

    const now = this.workloadPods(sts);
    const ready = now.filter(isPodReady).length;
    const updated = now.filter((p) => revisionOfPod(p) === update.name).length;
    const previous = isRecord(sts.status) ? sts.status : {};
    let currentRevision = typeof previous.currentRevision === 'string' ? previous.currentRevision : update.name;
    if (rolling && updated === now.length && ready === now.length) currentRevision = update.name;
    const current = now.filter((p) => revisionOfPod(p) === currentRevision).length;
    const next = this.fresh<KObject>(T_STATEFULSET, sts);
    if (!next) return;
    const status: Json = { observedGeneration: next.metadata.generation ?? 1, replicas: now.length };
    if (ready) status.readyReplicas = ready;
    if (current) status.currentReplicas = current;
    if (updated) status.updatedReplicas = updated;
    if (ready) status.availableReplicas = ready;
    status.currentRevision = currentRevision;
    status.updateRevision = update.name;
    status.collisionCount = 0;
    next.status = status;
    this.commit(T_STATEFULSET, next);
  }

  /** Nodes a DaemonSet runs on: every stored Node, or the default node when none is stored. */
  private daemonNodes(): string[] {
    const nodes = this.objects(T_NODE).map((n) => n.metadata.name ?? '').filter((n) => n !== '');
    return nodes.length > 0 ? nodes : [this.nodeName()];
  }

  /**
   * DaemonSet controller, one step: one pod per node (extra or orphaned pods deleted), and a
   * rolling update that deletes outdated pods — unready ones at once, ready ones within
   * `maxUnavailable` (default 1) — to be recreated at the new revision on the next step.
   */
  private syncDaemonSet(stored: StoredObject): void {
    const ds = clone(stored);
    const spec = isRecord(ds.spec) ? ds.spec : {};
    if (!isRecord(spec.template)) return;
    const update = this.workloadRevision(ds);
    const nodes = this.daemonNodes();
    const revisionOfPod = (p: StoredObject): string => p.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';

    const seen = new Set<string>();
    for (const p of this.workloadPods(ds)) {
      const node = podNode(p);
      if (!node || !nodes.includes(node) || seen.has(node)) this.deleteWorkloadPod(ds, p);
      else seen.add(node);
    }
    for (const node of nodes) if (!seen.has(node)) this.createWorkloadPod(ds, update, { node });

    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    if (strategy.type === undefined || strategy.type === 'RollingUpdate') {
      const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      const maxUnavailable = Math.max(1, intOrPercent(rolling.maxUnavailable ?? 1, nodes.length, true));
      const pods = this.workloadPods(ds);
      let budget = maxUnavailable - (nodes.length - pods.filter(isPodReady).length);
      const outdated = pods.filter((p) => revisionOfPod(p) !== update.name).sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)));
      for (const p of outdated) {
        if (!isPodReady(p)) this.deleteWorkloadPod(ds, p);
        else if (budget > 0) {
          this.deleteWorkloadPod(ds, p);
          budget -= 1;
        }
      }
    }

    const now = this.workloadPods(ds);
    const ready = now.filter(isPodReady).length;
    const updated = now.filter((p) => revisionOfPod(p) === update.name).length;
    const next = this.fresh<KObject>(T_DAEMONSET, ds);
    if (!next) return;
    const status: Json = {
      currentNumberScheduled: now.filter((p) => nodes.includes(podNode(p) ?? '')).length,
      desiredNumberScheduled: nodes.length,
      numberMisscheduled: 0,
      numberReady: ready,
      observedGeneration: next.metadata.generation ?? 1,
    };
    if (updated) status.updatedNumberScheduled = updated;
    if (ready) status.numberAvailable = ready;
    if (nodes.length - ready > 0) status.numberUnavailable = nodes.length - ready;
    next.status = status;
    this.commit(T_DAEMONSET, next);
  }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Helpers of the server
// ─────────────────────────────────────────────────────────────────────────────────────────────

const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The Scale subresource is served as autoscaling/v1 Scale. */
const SCALE_TYPE = resourceType('autoscaling', 'v1', 'scale', 'Scale');

function desiredReplicas(dep: Deployment): number {
  return dep.spec?.replicas ?? 1;
}

function rollingParameters(dep: Deployment, desired: number): { maxSurge: number; maxUnavailable: number } {
  const strategy = dep.spec?.strategy;
  if (isRecord(strategy) && strategy.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const rolling = isRecord(strategy) && isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = intOrPercent(rolling.maxSurge ?? '25%', desired, true);
  let maxUnavailable = intOrPercent(rolling.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

function workloadTemplate(obj: StoredObject): PodTemplateSpec {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  return (isRecord(spec.template) ? spec.template : {}) as PodTemplateSpec;
}

/** Canonical JSON of a StatefulSet's or DaemonSet's normalised pod template (its revision key). */
function workloadTemplateKey(obj: StoredObject): string {
  return canonical(normalizeTemplate(workloadTemplate(obj)));
}

/** The node a pod runs on, or is pinned to by DaemonSet node affinity while unscheduled. */
function podNode(pod: StoredObject): string | undefined {
  const spec = pod.spec as Pod['spec'];
  if (spec?.nodeName) return spec.nodeName;
  const terms = dig(spec, ['affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms']);
  const fields = Array.isArray(terms) && isRecord(terms[0]) ? terms[0].matchFields : undefined;
  const values = Array.isArray(fields) && isRecord(fields[0]) ? fields[0].values : undefined;
  return Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
}

function rolloutComplete(dep: Deployment): boolean {
  const desired = desiredReplicas(dep);
  const s = dep.status ?? {};
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return (
    (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired &&
    (s.availableReplicas ?? 0) === desired &&
    progressing?.reason === 'NewReplicaSetAvailable'
  );
}

/** Sort key for scale-down: unscheduled first, then unready, then the newest. */
function deletionRank(pod: Pod, sim: PodSim | undefined): number {
  const sequence = sim?.sequence ?? 0;
  if (!pod.spec?.nodeName) return -3e9 - sequence;
  if (!isPodReady(pod)) return -2e9 - sequence;
  return -sequence;
}

function upsertCondition(conditions: Condition[], next: Condition, now: string): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  if (previous && previous.status === next.status && previous.reason === next.reason && previous.message === next.message) return conditions;
  const merged: Condition = {
    ...next,
    lastUpdateTime: now,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime ?? now : now,
  };
  return previous ? conditions.map((c) => (c === previous ? merged : c)) : [...conditions, merged];
}

/** Same stored content, ignoring resourceVersion. */
function sameContent(a: StoredObject, b: StoredObject): boolean {
  const strip = (o: StoredObject): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return deepEqual(strip(a), strip(b));
}

function toScale(obj: StoredObject): Json {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorString(spec.selector as LabelSelector | undefined) },
  };
}

/** List items of built-in types carry no apiVersion/kind, as the API server sends them. */
function listItem(t: ResourceType, obj: StoredObject): Json {
  const item: Json = clone(obj);
  if (!t.custom) {
    delete item.apiVersion;
    delete item.kind;
  }
  return item;
}

function decodeContinue(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString());
    if (isRecord(parsed) && typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new StatusError(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function withoutIdentity(applied: Json): Json {
  const copy = clone(applied);
  delete copy.apiVersion;
  delete copy.kind;
  if (isRecord(copy.metadata)) {
    delete copy.metadata.name;
    delete copy.metadata.namespace;
  }
  return copy;
}

/** Fills apiVersion/kind/namespace/name from the URL and rejects bodies that contradict it. */
function checkIdentity(t: ResourceType, namespace: string | undefined, urlName: string | undefined, obj: StoredObject): void {
  const apiVersion = apiVersionOf(t);
  if (obj.apiVersion === undefined || obj.apiVersion === '') obj.apiVersion = apiVersion;
  else if (obj.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
  }
  if (obj.kind === undefined || obj.kind === '') obj.kind = t.kind;
  else if (obj.kind !== t.kind) throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${t.kind})`);
  if (!isRecord(obj.metadata)) obj.metadata = {};
  if (t.namespaced) {
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = namespace;
  } else delete obj.metadata.namespace;
  if (urlName !== undefined) {
    if (obj.metadata.name && obj.metadata.name !== urlName) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${urlName})`);
    }
    obj.metadata.name = urlName;
  }
}

/** Applies a PATCH body of the given media type to a copy of `existing`. */
function patchDocument(t: ResourceType, existing: StoredObject, raw: string, type: string): StoredObject {
  const parse = (): unknown => {
    try {
      return JSON.parse(raw) as unknown;
    } catch (error) {
      throw badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let result: unknown;
  switch (type) {
    case PATCH_TYPES.json:
      result = applyJsonPatch(existing, parse());
      break;
    case PATCH_TYPES.merge:
      result = mergePatch(existing, parse());
      break;
    case PATCH_TYPES.strategic: {
      if (t.custom) {
        // The API server has no patch strategy metadata for custom resources.
        throw unsupportedMediaType([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]);
      }
      const patch = parse();
      if (!isRecord(patch)) throw badRequest('strategic merge patch must be a JSON object');
      result = strategicMerge(existing, patch);
      break;
    }
    default:
      throw unsupportedMediaType(Object.values(PATCH_TYPES));
  }
  if (!isRecord(result)) throw patchFailure('the patched document is not an object');
  return result as StoredObject;
}

/** Resolves the part of a path after `/api/v1` or `/apis/{group}/{version}`. */
function parseTarget(group: string, version: string, rest: string[]): Target {
  let namespace: string | undefined;
  let parts = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3 && findType(group, version, rest[2]!)?.namespaced) {
    namespace = rest[1];
    parts = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = parts;
  const type = findType(group, version, resource ?? '');
  if (!type || extra.length > 0) throw unknownPath();
  if (namespace !== undefined && !type.namespaced) throw unknownPath();
  if (name !== undefined && type.namespaced && namespace === undefined) throw unknownPath();
  return { type, namespace, name, subresource };
}

function validateDryRun(query: URLSearchParams): void {
  for (const value of query.getAll('dryRun')) {
    if (value !== 'All') throw badRequest(`Invalid dry run value: dryRun: Unsupported value: "${value}": supported values: "All"`);
  }
}

/** Parses a POST/PUT body: JSON (the default) or YAML. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (type === 'application/yaml' || type === 'application/x-yaml') {
    try {
      return parseYaml(raw) as unknown;
    } catch (error) {
      throw badRequest(`error decoding YAML: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (type !== '' && type !== 'application/json' && type !== '*/*') {
    throw unsupportedMediaType(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw badRequest(`the object provided is unrecognized: couldn't get version/kind; json parse error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function recordedBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function faultReply(fault: ActiveFault): Reply {
  if (typeof fault.body === 'string') return { status: fault.status, text: fault.body };
  if (fault.body !== undefined) return { status: fault.status, json: fault.body };
  const reason = REASON_BY_CODE[fault.status] ?? 'Unknown';
  const message = fault.status >= 500 ? 'Internal error occurred: injected fault' : `injected fault (${fault.status})`;
  return { status: fault.status, json: statusObject('Failure', fault.status, reason, message, {}) };
}

function apiResourceList(group: string, version: string, types: ResourceType[]): Json {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update'];
  const resources: Json[] = [];
  for (const t of types) {
    const singularName = t.kind.toLowerCase();
    resources.push({ name: t.resource, singularName, namespaced: t.namespaced, kind: t.kind, verbs, shortNames: [...t.shortNames] });
    for (const sub of t.subresources) {
      const kind = sub === 'scale' ? 'Scale' : sub === 'eviction' ? 'Eviction' : sub === 'log' ? 'Pod' : t.kind;
      const subVerbs = sub === 'log' ? ['get'] : sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'];
      resources.push({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind, verbs: subVerbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

function apiGroupList(): Json {
  const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => `${t.group}/${t.version}`))].map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    const entry = { groupVersion: gv, version };
    return { name, versions: [entry], preferredVersion: entry };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}
