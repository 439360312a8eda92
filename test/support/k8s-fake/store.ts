/**
 * The object store: what etcd and the API server's registry do for the fake. One table per
 * resource type, a cluster-wide resourceVersion bumped by every write, optimistic concurrency
 * (409 Conflict on a stale resourceVersion, 409 AlreadyExists), `generation` bumped on spec
 * changes, defaulting and validation before a write, `dryRun`, selection by label and field
 * selectors, and deletion with cascading to owned objects.
 *
 * Controllers write through {@link ObjectStore.commit} and {@link ObjectStore.createInternal},
 * which count the writes that make progress (see {@link K8sFake.tick}).
 */
import { randomUUID } from 'node:crypto';
import type { KObject } from '../../../domain/k8s-objects.ts';
import { type FieldRequirement, fieldsMatch, labelsMatch, parseFieldSelector, parseLabelSelector, SelectorSyntaxError } from '../../../domain/selectors.ts';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './errors.ts';
import type { K8sFake } from './index.ts';
import { clone, compareKeys, deepEqual, isOwnedBy, isoNow, isRecord, keyOf, type ManagedFieldsEntry, type Meta, objectKey, randomSuffix, sameContent, type StoredObject } from './objects.ts';
import { apiVersionOf, RESOURCE_TYPES, type ResourceType, T_NAMESPACE, T_POD, typeOfKind } from './resources.ts';
import { applyDefaults, validate } from './validation.ts';

/** Options of a write request. */
export interface WriteOptions {
  /** `dryRun=All`: validate and answer, store nothing. */
  dryRun: boolean;
}

/** Options of {@link ObjectStore.updateObject}. */
export interface UpdateOptions extends WriteOptions {
  /** A write to the `status` subresource: only `status` changes. Default false (only the rest changes). */
  statusOnly?: boolean;
}

/** Options of {@link ObjectStore.deleteWithDependents}. */
export interface DeleteOptions {
  /** Delete what the object owns too, recursively (propagation Background/Foreground); false for Orphan. */
  cascade: boolean;
  /** A client asked for it (the controllers hear of pods deleted this way), not a cascade or a controller. */
  throughApi: boolean;
}

/** What the controllers need to hear about deletions. */
export interface StoreListener {
  /** `obj` of type `t` was removed from the store (by any deletion). */
  removed?(t: ResourceType, obj: StoredObject): void;
  /** A pod was deleted or evicted through the API (not by a controller or a cascade). */
  podDeletedThroughApi?(pod: StoredObject): void;
}

/** The stored objects of every resource type, and the write semantics of the API server. */
export class ObjectStore {
  /** Stored objects: resource type → `namespace/name` → object. */
  private readonly tables = new Map<ResourceType, Map<string, StoredObject>>();
  private resourceVersionCounter = 100;
  /** Writes counted by {@link K8sFake.tick}; crash-loop churn does not count. */
  progressWrites = 0;
  private ipCounter = 10;
  private readonly listeners: StoreListener[] = [];

  /** An empty store with the namespaces every cluster has (default, kube-system, …). */
  constructor(initialNamespaces: readonly string[]) {
    for (const t of RESOURCE_TYPES) this.tables.set(t, new Map());
    this.seed(initialNamespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
  }

  /** Registers `listener` for deletions. */
  listen(listener: StoreListener): void {
    this.listeners.push(listener);
  }

  /** The current resourceVersion, as list responses carry it. */
  get resourceVersion(): string {
    return String(this.resourceVersionCounter);
  }

  /** See {@link K8sFake.seed}. */
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
      this.put(t, obj);
    }
  }

  // ── storage ──────────────────────────────────────────────────────────────────────────────

  /** The table of a type: `namespace/name` → stored object (not copies). */
  table(t: ResourceType): Map<string, StoredObject> {
    return this.tables.get(t)!;
  }

  /** Stored objects (not copies) of a type, sorted by namespace/name. */
  objects(t: ResourceType, namespace?: string): StoredObject[] {
    return [...this.table(t).values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  }

  private nextResourceVersion(): string {
    this.resourceVersionCounter += 1;
    return String(this.resourceVersionCounter);
  }

  /** Stores `obj` (taking ownership) with a new resourceVersion. */
  put(t: ResourceType, obj: StoredObject): void {
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata.resourceVersion = this.nextResourceVersion();
    this.table(t).set(keyOf(obj), obj);
  }

  /** Removes `obj` (no cascading), bumping the resourceVersion. */
  remove(t: ResourceType, obj: StoredObject): void {
    this.table(t).delete(keyOf(obj));
    this.nextResourceVersion();
    for (const l of this.listeners) l.removed?.(t, obj);
  }

  /**
   * Controller-side write: stores `obj` when it differs from the stored copy.
   * @param options.churn true for repeated, non-progress changes (crash-loop restarts, event
   *   counts), which {@link K8sFake.tick} does not count. Default false.
   * @returns whether anything was written.
   */
  commit(t: ResourceType, obj: StoredObject, options: { churn?: boolean } = {}): boolean {
    const stored = this.table(t).get(keyOf(obj));
    if (stored && sameContent(stored, obj)) return false;
    this.put(t, obj);
    if (!options.churn) this.progressWrites += 1;
    return true;
  }

  /** Creates an object on behalf of the controller. */
  createInternal(t: ResourceType, obj: StoredObject): StoredObject {
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = isoNow();
    if (obj.spec !== undefined) obj.metadata.generation = 1;
    this.put(t, obj);
    this.progressWrites += 1;
    return obj;
  }

  /** Creates the Namespace `name` unless it exists (what seeding an object into it implies). */
  ensureNamespace(name: string): void {
    if (this.table(T_NAMESPACE).has(name)) return;
    const ns: StoredObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, uid: randomUUID(), creationTimestamp: isoNow(), labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
    this.put(T_NAMESPACE, ns);
  }

  /** The next free address under `prefix` (`10.96` for Service cluster IPs, `10.244` for pods). */
  allocateIp(prefix: string): string {
    this.ipCounter += 1;
    return `${prefix}.${Math.floor(this.ipCounter / 250)}.${(this.ipCounter % 250) + 2}`;
  }

  /**
   * Objects of a list or delete-collection request, after selectors.
   * @throws StatusError 400 on a malformed selector or an unsupported field label.
   */
  select(t: ResourceType, namespace: string | undefined, labelSelector: string | null, fieldSelector: string | null): StoredObject[] {
    const labels = labelSelector ? asBadRequest(() => parseLabelSelector(labelSelector)) : [];
    const fields = fieldSelector ? supportedFields(t, asBadRequest(() => parseFieldSelector(fieldSelector))) : [];
    return this.objects(t, namespace).filter((o) => labelsMatch(labels, o.metadata.labels) && fieldsMatch(fields, o));
  }

  /**
   * POST: validates and stores a new object (copy returned); with `dryRun` nothing is stored.
   * @throws StatusError 400 (bad body), 404 (no such namespace), 409 AlreadyExists, 422 Invalid.
   */
  createObject(t: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions, managerEntry?: ManagedFieldsEntry): StoredObject {
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
    this.put(t, obj);
    return clone(obj);
  }

  /**
   * Shared by PUT and PATCH: validates `candidate` as the new state of `existing` and stores it.
   * The main resource never changes `status` of types with a status subresource.
   * @throws StatusError 409 Conflict when `candidate` carries a stale resourceVersion, 422 Invalid.
   */
  updateObject(t: ResourceType, existing: StoredObject, candidate: StoredObject, options: UpdateOptions): StoredObject {
    const name = existing.metadata.name ?? '';
    checkIdentity(t, existing.metadata.namespace, name, candidate);
    const sentVersion = candidate.metadata.resourceVersion;
    if (sentVersion && sentVersion !== existing.metadata.resourceVersion) throw conflict(t, name);

    let next: StoredObject;
    if (options.statusOnly) {
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
    this.put(t, next);
    return clone(next);
  }

  /**
   * Deletes `obj`, then (when `cascade`) every object it owns, recursively; a namespace takes its
   * contents along.
   */
  deleteWithDependents(t: ResourceType, obj: StoredObject, options: DeleteOptions): void {
    this.remove(t, obj);
    if (options.throughApi && t === T_POD) for (const l of this.listeners) l.podDeletedThroughApi?.(obj);
    if (!options.cascade) return;
    if (t === T_NAMESPACE) {
      for (const other of RESOURCE_TYPES) {
        if (other.namespaced) for (const o of this.objects(other, obj.metadata.name)) this.remove(other, o);
      }
      return;
    }
    for (const other of RESOURCE_TYPES) {
      const candidates = this.objects(other, t.namespaced ? obj.metadata.namespace : undefined);
      for (const dependent of candidates) {
        if (isOwnedBy(dependent, t.kind, obj.metadata.name)) this.deleteWithDependents(other, dependent, { cascade: true, throughApi: false });
      }
    }
  }
}

/** Runs a selector parser, turning its syntax error into the API server's 400. */
function asBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof SelectorSyntaxError) throw badRequest(error.message);
    throw error;
  }
}

/**
 * The requirements of a field selector if the resource supports every field it names
 * (`metadata.name`, `metadata.namespace` and the type's own field labels), else 400. Events'
 * `source` field label reads `source.component`.
 */
function supportedFields(t: ResourceType, requirements: FieldRequirement[]): FieldRequirement[] {
  const allowed = ['metadata.name', 'metadata.namespace', ...t.fieldSelectors];
  return requirements.map((r) => {
    if (!allowed.includes(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    return r.field === 'source' ? { ...r, field: 'source.component' } : r;
  });
}

/** Fills apiVersion/kind/namespace/name from the URL and rejects bodies that contradict it (400). */
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
