/**
 * The Kubernetes adapter: {@link ClusterPort} over `@kubernetes/client-node` 2.x typed APIs.
 * Objects come back as plain JSON (dates as RFC 3339 strings), as the domain expects.
 */
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  NetworkingV1Api,
  PatchStrategy,
  PolicyV1Api,
  ServerConfiguration,
  setHeaderOptions,
  StorageV1Api,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { delimiter } from 'node:path';
import type { KObject } from '../../domain/k8s-objects.ts';
import { K8sCallFailed, K8sConflict, type ClusterKind, type ClusterPort, type ListOptions, type PatchBody } from '../ports.ts';

/** Options for {@link loadKubeConfig}. */
export interface KubeConfigOptions {
  /** Kubeconfig file (KUBECONFIG); unset → in-cluster service account when present, else ~/.kube/config. */
  kubeconfig?: string;
  /** Context name (default: current-context). */
  context?: string;
}

/**
 * Loads credentials the way kubectl does: the KUBECONFIG file list, else `~/.kube/config`, else
 * the in-cluster service account (client-node's `loadFromDefault`).
 * @throws Error naming the source when a file is unreadable or invalid, or the context is unknown.
 */
export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    const files = (opts.kubeconfig ?? '').split(delimiter).filter(Boolean);
    if (files.length === 1) kc.loadFromFile(files[0]);
    else if (files.length > 1) {
      // kubectl merges a list; the first file that sets a field wins, as with KUBECONFIG=a:b.
      kc.loadFromFile(files[0]);
      for (const f of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
    } else kc.loadFromDefault();
  } catch (cause) {
    throw new Error(
      `cannot load Kubernetes credentials from ${opts.kubeconfig ? `KUBECONFIG=${opts.kubeconfig}` : 'the default locations'}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}. Point KUBECONFIG at a valid kubeconfig or run in-cluster with a service account`,
      { cause },
    );
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new Error(`KUBE_CONTEXT "${opts.context}" is not in the kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  return kc;
}

const PATCH_TYPES: Record<PatchBody['type'], string> = {
  strategic: PatchStrategy.StrategicMergePatch,
  merge: PatchStrategy.MergePatch,
  json: PatchStrategy.JsonPatch,
};

type Req = { name: string; namespace: string };
type ListReq = { namespace: string; labelSelector?: string; fieldSelector?: string; limit?: number };

interface KindOps {
  namespaced: boolean;
  read(r: Req): Promise<unknown>;
  list(r: ListReq): Promise<{ items: unknown[] }>;
  patch?(r: Req & { body: unknown; dryRun?: string }, contentType: string): Promise<unknown>;
  delete?(r: Req & { dryRun?: string }): Promise<unknown>;
}

/** Options of {@link KubernetesCluster}. */
export interface KubernetesClusterOptions {
  /**
   * Deadline of one API call in ms, response body included (default 15 000). A call past it is
   * aborted and fails with {@link K8sCallFailed} saying it timed out, so a hung API server degrades
   * one job instead of stalling the worker.
   */
  requestTimeoutMs?: number;
}

/** Default deadline of one Kubernetes API call (ms). */
export const DEFAULT_K8S_REQUEST_TIMEOUT_MS = 15_000;

/** Constructor of a generated API client (what `KubeConfig.makeApiClient` takes). */
type ApiClass<T> = new (config: ReturnType<typeof createConfiguration>) => T;

/**
 * Like client-node's `KubeConfig.makeApiClient`, plus a middleware that gives every request an
 * `AbortSignal.timeout(timeoutMs)` (client-node's fetch honours `RequestContext.setSignal`).
 * @throws Error when the kubeconfig has no current cluster.
 */
export function makeApiClient<T>(kc: KubeConfig, api: ApiClass<T>, timeoutMs: number): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster; set KUBE_CONTEXT or fix the kubeconfig');
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (ctx: RequestContext) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return ctx;
        },
        post: async (res: ResponseContext) => res,
      },
    ],
  });
  return new api(config);
}

/** KubernetesObjectApi with the default namespace of the context, as its own `makeApiClient` sets it. */
class ObjectApi extends KubernetesObjectApi {
  withNamespaceOf(kc: KubeConfig): this {
    this.setDefaultNamespace(kc);
    return this;
  }
}

/** {@link ClusterPort} backed by a real (or fake) API server. */
export class KubernetesCluster implements ClusterPort {
  private readonly ops: Record<ClusterKind, KindOps>;
  private readonly timeoutMs: number;

  /**
   * @param kc credentials and the current context's cluster
   * @param options per-call deadline (see {@link KubernetesClusterOptions})
   */
  constructor(kc: KubeConfig, options: KubernetesClusterOptions = {}) {
    const timeoutMs = (this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_K8S_REQUEST_TIMEOUT_MS);
    const core = makeApiClient(kc, CoreV1Api, timeoutMs);
    const apps = makeApiClient(kc, AppsV1Api, timeoutMs);
    const batch = makeApiClient(kc, BatchV1Api, timeoutMs);
    const autoscaling = makeApiClient(kc, AutoscalingV2Api, timeoutMs);
    const policy = makeApiClient(kc, PolicyV1Api, timeoutMs);
    const networking = makeApiClient(kc, NetworkingV1Api, timeoutMs);
    const storage = makeApiClient(kc, StorageV1Api, timeoutMs);
    const opt = (contentType: string) => setHeaderOptions('Content-Type', contentType);
    const all = (r: ListReq) => ({ labelSelector: r.labelSelector, fieldSelector: r.fieldSelector, limit: r.limit });
    this.ops = {
      Deployment: {
        namespaced: true,
        read: (r) => apps.readNamespacedDeployment(r),
        list: (r) => (r.namespace ? apps.listNamespacedDeployment(r) : apps.listDeploymentForAllNamespaces(all(r))),
        patch: (r, ct) => apps.patchNamespacedDeployment(r, opt(ct)),
      },
      ReplicaSet: {
        namespaced: true,
        read: (r) => apps.readNamespacedReplicaSet(r),
        list: (r) => (r.namespace ? apps.listNamespacedReplicaSet(r) : apps.listReplicaSetForAllNamespaces(all(r))),
      },
      StatefulSet: {
        namespaced: true,
        read: (r) => apps.readNamespacedStatefulSet(r),
        list: (r) => (r.namespace ? apps.listNamespacedStatefulSet(r) : apps.listStatefulSetForAllNamespaces(all(r))),
        patch: (r, ct) => apps.patchNamespacedStatefulSet(r, opt(ct)),
      },
      DaemonSet: {
        namespaced: true,
        read: (r) => apps.readNamespacedDaemonSet(r),
        list: (r) => (r.namespace ? apps.listNamespacedDaemonSet(r) : apps.listDaemonSetForAllNamespaces(all(r))),
        patch: (r, ct) => apps.patchNamespacedDaemonSet(r, opt(ct)),
      },
      Job: {
        namespaced: true,
        read: (r) => batch.readNamespacedJob(r),
        list: (r) => (r.namespace ? batch.listNamespacedJob(r) : batch.listJobForAllNamespaces(all(r))),
      },
      CronJob: {
        namespaced: true,
        read: (r) => batch.readNamespacedCronJob(r),
        list: (r) => (r.namespace ? batch.listNamespacedCronJob(r) : batch.listCronJobForAllNamespaces(all(r))),
      },
      Pod: {
        namespaced: true,
        read: (r) => core.readNamespacedPod(r),
        list: (r) => (r.namespace ? core.listNamespacedPod(r) : core.listPodForAllNamespaces(all(r))),
        delete: (r) => core.deleteNamespacedPod(r),
      },
      Node: {
        namespaced: false,
        read: (r) => core.readNode({ name: r.name }),
        list: (r) => core.listNode(all(r)),
      },
      Event: {
        namespaced: true,
        read: (r) => core.readNamespacedEvent(r),
        list: (r) => (r.namespace ? core.listNamespacedEvent(r) : core.listEventForAllNamespaces(all(r))),
      },
      HorizontalPodAutoscaler: {
        namespaced: true,
        read: (r) => autoscaling.readNamespacedHorizontalPodAutoscaler(r),
        list: (r) => autoscaling.listNamespacedHorizontalPodAutoscaler(r),
      },
      PodDisruptionBudget: {
        namespaced: true,
        read: (r) => policy.readNamespacedPodDisruptionBudget(r),
        list: (r) => policy.listNamespacedPodDisruptionBudget(r),
      },
      ResourceQuota: {
        namespaced: true,
        read: (r) => core.readNamespacedResourceQuota(r),
        list: (r) => core.listNamespacedResourceQuota(r),
      },
      NetworkPolicy: {
        namespaced: true,
        read: (r) => networking.readNamespacedNetworkPolicy(r),
        list: (r) => networking.listNamespacedNetworkPolicy(r),
      },
      PersistentVolumeClaim: {
        namespaced: true,
        read: (r) => core.readNamespacedPersistentVolumeClaim(r),
        list: (r) => core.listNamespacedPersistentVolumeClaim(r),
      },
      StorageClass: {
        namespaced: false,
        read: (r) => storage.readStorageClass({ name: r.name }),
        list: (r) => storage.listStorageClass(all(r)),
      },
    };
    this.core = core;
    this.objects = makeApiClient(kc, ObjectApi, timeoutMs).withNamespaceOf(kc);
  }

  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  async readObject(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<KObject | undefined> {
    const where = `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
    const t0 = performance.now();
    try {
      const obj = await this.objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } });
      return JSON.parse(JSON.stringify(obj)) as KObject;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw wrap('get', where, deadlineHit(err, t0, this.timeoutMs), this.timeoutMs);
    }
  }

  async applyObject(obj: KObject, options: { fieldManager: string; dryRun?: boolean; force?: boolean }): Promise<KObject> {
    const where = `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;
    const t0 = performance.now();
    try {
      const res = await this.objects.patch(
        obj as Parameters<KubernetesObjectApi['patch']>[0],
        undefined,
        options.dryRun ? 'All' : undefined,
        options.fieldManager,
        options.force ?? true,
        PatchStrategy.ServerSideApply,
      );
      return JSON.parse(JSON.stringify(res)) as KObject;
    } catch (err) {
      throw wrap(options.dryRun ? 'apply (dry-run)' : 'apply', where, deadlineHit(err, t0, this.timeoutMs), this.timeoutMs);
    }
  }

  async get(kind: ClusterKind, namespace: string, name: string): Promise<KObject | undefined> {
    try {
      return plain(await this.ops[kind].read({ name, namespace }), kind);
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw wrap('get', ref(kind, namespace, name), err, this.timeoutMs);
    }
  }

  async list(kind: ClusterKind, namespace: string, options: ListOptions = {}): Promise<KObject[]> {
    try {
      const res = await this.ops[kind].list({ namespace, ...options });
      return res.items.map((i) => plain(i, kind));
    } catch (err) {
      throw wrap('list', ref(kind, namespace, '*'), err, this.timeoutMs);
    }
  }

  async patch(kind: ClusterKind, namespace: string, name: string, patch: PatchBody, options: { dryRun?: boolean } = {}): Promise<KObject> {
    const op = this.ops[kind].patch;
    if (!op) throw new K8sCallFailed('patch', ref(kind, namespace, name), undefined, { detail: `patching ${kind} is not supported` });
    try {
      const res = await op({ name, namespace, body: patch.body, dryRun: options.dryRun ? 'All' : undefined }, PATCH_TYPES[patch.type]);
      return plain(res, kind);
    } catch (err) {
      throw wrap(options.dryRun ? 'patch (dry-run)' : 'patch', ref(kind, namespace, name), err, this.timeoutMs);
    }
  }

  async delete(kind: ClusterKind, namespace: string, name: string, options: { dryRun?: boolean } = {}): Promise<void> {
    const op = this.ops[kind].delete;
    if (!op) throw new K8sCallFailed('delete', ref(kind, namespace, name), undefined, { detail: `deleting ${kind} is not supported` });
    try {
      await op({ name, namespace, dryRun: options.dryRun ? 'All' : undefined });
    } catch (err) {
      throw wrap('delete', ref(kind, namespace, name), err, this.timeoutMs);
    }
  }

  async podLog(namespace: string, pod: string, container: string, options: { previous?: boolean; tailLines: number }): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({
        name: pod,
        namespace,
        container,
        previous: options.previous,
        tailLines: options.tailLines,
      });
    } catch (err) {
      throw wrap('log', ref('Pod', namespace, pod), err, this.timeoutMs);
    }
  }
}

function ref(kind: string, namespace: string, name: string): string {
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

/** client-node model instances → plain JSON (Date → RFC 3339 string), with kind set. */
function plain(obj: unknown, kind: ClusterKind): KObject {
  const o = JSON.parse(JSON.stringify(obj)) as KObject;
  o.kind ??= kind;
  return o;
}

function wrap(verb: string, target: string, err: unknown, timeoutMs?: number): K8sCallFailed {
  if (isTimeout(err)) {
    return new K8sCallFailed(verb, target, undefined, { cause: err, detail: `no answer within ${timeoutMs ?? '?'} ms (timed out)` });
  }
  if (err instanceof ApiException) {
    const body = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const detail = (body as { message?: string } | undefined)?.message;
    if (err.code === 409) return new K8sConflict(verb, target, { cause: err, detail });
    return new K8sCallFailed(verb, target, err.code, { cause: err, detail });
  }
  return new K8sCallFailed(verb, target, undefined, { cause: err, detail: err instanceof Error ? err.message : String(err) });
}

/**
 * client-node's KubernetesObjectApi rewrites the message of the error fetch throws, which fails on
 * an abort (`TypeError: Cannot set property message … which has only a getter`) and hides the
 * timeout. A non-API error at or past the deadline is the deadline.
 * @param t0 `performance.now()` when the call started (ms)
 */
function deadlineHit(err: unknown, t0: number, timeoutMs: number): unknown {
  if (err instanceof ApiException || isTimeout(err)) return err;
  if (performance.now() - t0 >= timeoutMs) return new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError');
  return err;
}

/** True for the error fetch throws when the request's `AbortSignal.timeout` fires. */
function isTimeout(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError') return true;
  }
  return false;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s.slice(0, 300) };
  }
}
