/**
 * In-process fake of the Kubernetes API server, for Watchkeeper's tests.
 *
 * It is a real HTTP server (node:http on 127.0.0.1, random port) that `@kubernetes/client-node`
 * talks to through an ordinary {@link KubeConfig}. It implements the parts of the API server that
 * Watchkeeper relies on:
 *
 * - REST paths for core/v1, apps/v1, batch/v1, autoscaling/v2, policy/v1 and
 *   monitoring.coreos.com/v1 (see `RESOURCE_TYPES` in resources.ts), plus discovery (`/api/v1`,
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
 * validation beyond the checks listed in `validate` (validation.ts).
 *
 * Sources for the behaviour imitated here:
 * https://kubernetes.io/docs/reference/using-api/api-concepts/,
 * https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/,
 * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Deployment, KObject, PodTemplateSpec, ReplicaSet } from '../../../domain/k8s-objects.ts';
import { FakeApiServer } from './server.ts';

// The parts, by concern:
//   server.ts      HTTP routing, verbs, subresources, the helpers below, the controller timer
//   store.ts       object store: resourceVersion, 409, generation, dryRun, selectors, cascading delete
//   patch.ts       JSON patch, merge patch, strategic merge patch, server-side apply
//   validation.ts  defaulting and 422 validation
//   controllers.ts Deployment, ReplicaSet, StatefulSet and DaemonSet controllers
//   kubelet.ts     pods admitted and moved along their behaviour;  events.ts  Events with dedup
//   pods.ts        pod status per behaviour and stage; pod templates
//   faults.ts      fault injection;  logs.ts  container logs
//   resources.ts   resource registry and discovery;  errors.ts  Status errors
//   objects.ts     stored object shapes and shared helpers

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
