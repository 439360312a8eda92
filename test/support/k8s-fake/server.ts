/**
 * The HTTP face of the fake: a node:http server on 127.0.0.1 that records every request, answers
 * injected faults, routes REST paths (core `/api/v1`, `/apis/{group}/{version}`, namespaced and
 * cluster-wide, discovery and `/version`) to the verbs GET, LIST (selectors, `limit`/`continue`),
 * POST, PUT, PATCH, DELETE and DELETE on a collection, and serves the subresources `status`,
 * `scale`, `pods/log` and `pods/eviction`; errors become `Status` objects. It also carries the
 * {@link K8sFake} helpers tests call directly, and the controller timer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { Deployment, KObject, LabelSelector, Pod } from '../../../domain/k8s-objects.ts';
import { selectorMatches, selectorString } from '../../../domain/selectors.ts';
import { Controllers, rolloutComplete } from './controllers.ts';
import {
  badRequest,
  conflict,
  invalid,
  methodNotAllowed,
  notFound,
  type Reply,
  resourceDetails,
  type StatusDetails,
  StatusError,
  statusObject,
  unknownPath,
  unsupportedMediaType,
} from './errors.ts';
import { FaultInjector, faultReply } from './faults.ts';
import type { FaultSpec, K8sFake, K8sFakeOptions, PodBehaviour, PodBehaviourFn, PodLogOptions, RecordedRequest } from './index.ts';
import { PodLogs } from './logs.ts';
import { clone, isoNow, isRecord, type Json, keyOf, type ManagedFieldsEntry, objectKey, type StoredObject } from './objects.ts';
import { fieldsV1Of, mediaType, mergePatch, PATCH_TYPES, patchDocument, strategicMerge, withoutIdentity } from './patch.ts';
import {
  apiGroupList,
  apiResourceList,
  apiVersionOf,
  findType,
  INITIAL_NAMESPACES,
  RESOURCE_TYPES,
  type ResourceType,
  SCALE_TYPE,
  T_PDB,
  T_POD,
  typeForHelper,
  VERSION_INFO,
} from './resources.ts';
import { ObjectStore, type WriteOptions } from './store.ts';

/** What a REST path names: a resource type, and maybe a namespace, a name and a subresource. */
interface Target {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

/** The fake API server: an HTTP server over the store, the controllers, faults and logs. */
export class FakeApiServer implements K8sFake {
  url = '';
  readonly requests: RecordedRequest[] = [];

  private readonly server: Server;
  private readonly stepMs: number;
  private readonly autoTick: boolean;
  private timer: NodeJS.Timeout | undefined;
  private readonly store: ObjectStore;
  private readonly controllers: Controllers;
  private readonly faults = new FaultInjector();
  private readonly logs = new PodLogs();

  constructor(options: K8sFakeOptions) {
    this.stepMs = options.rolloutStepMs ?? 20;
    this.autoTick = options.autoTick ?? true;
    this.store = new ObjectStore(INITIAL_NAMESPACES);
    this.controllers = new Controllers(this.store, options.progressDeadlineMs);
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
    this.store.seed(objects);
  }

  get<T extends KObject = KObject>(kind: string, namespace: string | undefined, name: string): T | undefined {
    const t = typeForHelper(kind);
    const obj = this.store.table(t).get(objectKey(t.namespaced ? namespace : undefined, name));
    return obj ? (clone(obj) as KObject as T) : undefined;
  }

  list<T extends KObject = KObject>(kind: string, namespace?: string): T[] {
    const t = typeForHelper(kind);
    return this.store.objects(t, t.namespaced ? namespace : undefined).map((o) => clone(o) as KObject as T);
  }

  injectFault(fault: FaultSpec): void {
    this.faults.inject(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setPodLogs(namespace: string, pod: string | RegExp, container: string, text: string, options: PodLogOptions = {}): void {
    this.logs.set({ namespace, pod, container, previous: options.previous ?? false, text });
  }

  setPodBehaviour(fn: PodBehaviourFn | PodBehaviour): void {
    this.controllers.setPodBehaviour(fn);
  }

  tick(): number {
    return this.controllers.tick();
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

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────

  private timedTick(): void {
    try {
      this.tick();
    } catch (error) {
      console.error('k8s-fake controller tick failed:', error);
    }
  }

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
    const fault = this.faults.take(method, url.pathname);
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
          return { status: 201, json: this.store.createObject(type, namespace, parseBody(raw, contentType), options) };
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
    const obj = this.store.table(t).get(objectKey(namespace, name));
    if (!obj) throw notFound(t, name);
    return clone(obj);
  }

  private listReply(t: ResourceType, namespace: string | undefined, query: URLSearchParams): Json {
    const items = this.store.select(t, namespace, query.get('labelSelector'), query.get('fieldSelector'));
    const limit = Number(query.get('limit') ?? '0');
    const continueToken = query.get('continue');
    let start = 0;
    if (continueToken) {
      const after = decodeContinue(continueToken);
      start = items.findIndex((o) => keyOf(o) > after);
      if (start < 0) start = items.length;
    }
    const page = limit > 0 ? items.slice(start, start + limit) : items.slice(start);
    const metadata: Json = { resourceVersion: this.store.resourceVersion };
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
  private replaceObject(t: ResourceType, namespace: string | undefined, name: string, body: unknown, options: WriteOptions): StoredObject {
    const existing = this.store.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    if (!isRecord(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
    return this.store.updateObject(t, existing, clone(body) as StoredObject, options);
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
    const existing = this.store.table(t).get(objectKey(namespace, name));
    const type = mediaType(contentType);
    if (type === PATCH_TYPES.apply) return this.apply(t, namespace, name, existing, raw, query, options);
    if (!existing) throw notFound(t, name);
    const patched = patchDocument(t, existing, raw, type);
    return { status: 200, json: this.store.updateObject(t, existing, patched, options) };
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
      return { status: 201, json: this.store.createObject(t, namespace, body, options, entry) };
    }
    const merged = (t.custom ? mergePatch(existing, applied) : strategicMerge(existing, applied)) as StoredObject;
    const managedFields = (existing.metadata.managedFields ?? []).filter((m) => !(m.manager === manager && m.operation === 'Apply'));
    merged.metadata.managedFields = [...managedFields, entry];
    return { status: 200, json: this.store.updateObject(t, existing, merged, options) };
  }

  private deleteObject(t: ResourceType, namespace: string | undefined, name: string, raw: string, query: URLSearchParams, options: WriteOptions): Json {
    const existing = this.store.table(t).get(objectKey(namespace, name));
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
    if (!dryRun) this.store.deleteWithDependents(t, existing, { cascade: !orphan, throughApi: true });
    if (t === T_POD || t.custom) return result;
    const details: StatusDetails = { ...resourceDetails(t, name) };
    if (existing.metadata.uid) details.uid = existing.metadata.uid;
    return statusObject('Success', 200, undefined, undefined, details);
  }

  private deleteCollection(t: ResourceType, namespace: string | undefined, query: URLSearchParams, options: WriteOptions): Json {
    const victims = this.store.select(t, namespace, query.get('labelSelector'), query.get('fieldSelector'));
    if (!options.dryRun) for (const v of victims) this.store.deleteWithDependents(t, v, { cascade: true, throughApi: true });
    return {
      kind: `${t.kind}List`,
      apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: this.store.resourceVersion },
      items: victims.map((o) => listItem(t, clone(o))),
    };
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
    const existing = this.store.table(t).get(objectKey(namespace, name));
    if (!existing) throw notFound(t, name);
    switch (method) {
      case 'GET':
        return { status: 200, json: clone(existing) };
      case 'PUT': {
        const body = parseBody(raw, contentType);
        if (!isRecord(body)) throw badRequest(`the object provided is unrecognized (must be of type ${t.kind})`);
        return { status: 200, json: this.store.updateObject(t, existing, clone(body) as StoredObject, { ...options, statusOnly: true }) };
      }
      case 'PATCH': {
        const patched = patchDocument(t, existing, raw, mediaType(contentType));
        return { status: 200, json: this.store.updateObject(t, existing, patched, { ...options, statusOnly: true }) };
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
    const existing = this.store.table(t).get(objectKey(namespace, name));
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
    const updated = this.store.updateObject(t, existing, next, options);
    return { status: 200, json: toScale(updated) };
  }

  private podLog(namespace: string, name: string, query: URLSearchParams): Reply {
    const pod = this.store.table(T_POD).get(objectKey(namespace, name)) as (StoredObject & Pod) | undefined;
    if (!pod) throw notFound(T_POD, name);
    return this.logs.serve(namespace, pod, query);
  }

  private evict(namespace: string, name: string, options: WriteOptions): Reply {
    const pod = this.store.table(T_POD).get(objectKey(namespace, name));
    if (!pod) throw notFound(T_POD, name);
    const blocking = this.store.objects(T_PDB, namespace).find((pdb) => {
      const spec = pdb.spec as { selector?: LabelSelector } | undefined;
      const status = pdb.status as { disruptionsAllowed?: number } | undefined;
      return selectorMatches(spec?.selector, pod.metadata.labels) && (status?.disruptionsAllowed ?? 0) <= 0;
    });
    if (blocking) {
      throw new StatusError(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
        causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${blocking.metadata.name} needs more healthy pods`, field: '' }],
      });
    }
    if (!options.dryRun) this.store.deleteWithDependents(T_POD, pod, { cascade: true, throughApi: true });
    return { status: 201, json: statusObject('Success', 201, undefined, undefined, {}) };
  }
}

/** The autoscaling/v1 `Scale` view of a Deployment, ReplicaSet or StatefulSet. */
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
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorString(spec.selector as LabelSelector | undefined) ?? '' },
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

/** The storage key a `continue` token resumes after; 400 when it is not one of ours. */
function decodeContinue(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString());
    if (isRecord(parsed) && typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new StatusError(400, 'BadRequest', 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
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

/** Rejects `dryRun` values other than `All` (400), as the API server does. */
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

/** A request body as {@link RecordedRequest.body} keeps it. */
function recordedBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The whole request body as UTF-8 text. */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
