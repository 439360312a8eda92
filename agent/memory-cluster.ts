/**
 * A read-only {@link ClusterPort} over an in-memory list of objects (what `kubectl get -o yaml`
 * dumps contain) and saved container logs. The offline `diagnose --from-files` command, the
 * scenario suite and the diagnosis benchmark run the production evidence gatherer
 * (`agent/evidence.ts`) against it, so offline and live diagnosis share one code path.
 *
 * Reads follow the API server's semantics as far as the gatherer relies on them:
 * - `get` answers `undefined` for a missing object (404); cluster-scoped kinds (Node) ignore the
 *   namespace.
 * - `list` with namespace `''` lists every namespace; results are ordered by namespace, then name
 *   (etcd key order); `labelSelector` supports the full string syntax (`a=b`, `a==b`, `a!=b`,
 *   `a in (x,y)`, `a notin (x)`, `a`, `!a`); `fieldSelector` supports `=`, `==` and `!=` on any
 *   dotted field path (`involvedObject.name`, `type`, `spec.nodeName`, `status.phase`, …), a
 *   missing field reading as the empty string, as the API server does for the fields it indexes.
 * - `podLog` serves the saved log of a container (last `tailLines` lines); a log saved without
 *   saying whether it is the previous instance's answers both kinds of request.
 * - Every object returned is a fresh copy: callers may mutate it.
 * - `patch` and `delete` throw {@link K8sCallFailed} ("offline"): a dump cannot be changed.
 *
 * Secrets are never served: they are dropped when the cluster is built.
 */
import type { KEvent, KObject } from '../domain/k8s-objects.ts';
import { type ClusterKind, type ClusterPort, K8sCallFailed, type ListOptions, type PatchBody } from './ports.ts';

/** A saved container log. */
export interface SavedPodLog {
  /** Namespace of the pod; undefined matches any namespace. */
  namespace?: string;
  pod: string;
  container: string;
  /** True: the previous (crashed) instance's log; false: the current one; undefined: not said (answers both). */
  previous?: boolean;
  /** The log text, lines separated by `\n`. */
  text: string;
}

/** Options of {@link MemoryCluster}. */
export interface MemoryClusterOptions {
  /** Saved container logs served by `podLog`. Default none. */
  logs?: readonly SavedPodLog[];
  /**
   * Namespace given to namespaced objects that carry none (a dump of `kubectl get -n ns` output
   * edited by hand, or a manifest). Events fall back to `involvedObject.namespace` first.
   * Default `default`, as kubectl does.
   */
  defaultNamespace?: string;
}

/** Kinds without a namespace among those the port reads. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set(['Node', 'Namespace', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding']);

/** One parsed requirement of a label selector. */
export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** A selector string that cannot be parsed (the API server answers 400). */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
}

/**
 * Parses a label selector in the API server's string syntax.
 *
 * @example parseLabelSelector('app=web,tier in (a,b),!canary') // [{op:'eq',…}, {op:'in',…}, {op:'notexists',…}]
 * @throws SelectorSyntaxError on malformed input.
 */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const raw of splitTopLevel(selector)) {
    const part = raw.trim();
    if (part === '') continue;
    const set = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      out.push({ op: set[2] === 'in' ? 'in' : 'notin', key: set[1]!, values });
      continue;
    }
    const cmp = /^([^\s!=()]+)\s*(==|!=|=)\s*([^\s!=(),]*)$/.exec(part);
    if (cmp) {
      out.push({ op: cmp[2] === '!=' ? 'neq' : 'eq', key: cmp[1]!, value: cmp[3]! });
      continue;
    }
    const not = /^!\s*([^\s!=()]+)$/.exec(part);
    if (not) {
      out.push({ op: 'notexists', key: not[1]! });
      continue;
    }
    if (/^[^\s!=()]+$/.test(part)) {
      out.push({ op: 'exists', key: part });
      continue;
    }
    throw new SelectorSyntaxError(`unable to parse requirement "${part}" of label selector "${selector}"`);
  }
  return out;
}

/** Whether labels satisfy parsed requirements (Kubernetes semantics: `!=` and `notin` match a missing key). */
export function labelsMatch(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const present = Object.hasOwn(labels, r.key);
    const value = present ? labels[r.key] : undefined;
    switch (r.op) {
      case 'eq':
        return present && value === r.value;
      case 'neq':
        return !present || value !== r.value;
      case 'in':
        return present && r.values.includes(value!);
      case 'notin':
        return !present || !r.values.includes(value!);
      case 'exists':
        return present;
      case 'notexists':
        return !present;
    }
  });
}

/** One parsed requirement of a field selector. */
export interface FieldRequirement {
  path: string[];
  op: 'eq' | 'neq';
  value: string;
}

/**
 * Parses a field selector (`involvedObject.name=web,type=Warning`, `spec.nodeName!=`).
 *
 * @throws SelectorSyntaxError on malformed input.
 */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  return selector
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((part) => {
      const m = /^([A-Za-z0-9_.-]+)\s*(==|!=|=)\s*(.*)$/.exec(part);
      if (!m) throw new SelectorSyntaxError(`invalid field selector requirement "${part}" in "${selector}"`);
      return { path: m[1]!.split('.'), op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() };
    });
}

/** Whether an object satisfies parsed field requirements; a missing field reads as `''`. */
export function fieldsMatch(requirements: readonly FieldRequirement[], obj: unknown): boolean {
  return requirements.every((r) => {
    let cur: unknown = obj;
    for (const key of r.path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    const value = cur === undefined || cur === null ? '' : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
    return r.op === 'eq' ? value === r.value : value !== r.value;
  });
}

/**
 * Core-v1 shape of an event: `events.k8s.io/v1` events (`regarding`, `note`, `deprecatedCount`,
 * …) are mapped onto `involvedObject`, `message`, `count` and the timestamps the analyzers read.
 * Core events are returned unchanged.
 */
export function normalizeEvent(event: KEvent): KEvent {
  const e = event as KEvent & Record<string, unknown>;
  if (e.involvedObject || !e.regarding) return event;
  const series = e.series as { count?: number; lastObservedTime?: string } | undefined;
  return {
    ...event,
    involvedObject: e.regarding as KEvent['involvedObject'],
    message: (e.note as string | undefined) ?? event.message,
    count: (e.deprecatedCount as number | undefined) ?? series?.count ?? event.count,
    firstTimestamp: (e.deprecatedFirstTimestamp as string | undefined) ?? event.firstTimestamp,
    lastTimestamp: (e.deprecatedLastTimestamp as string | undefined) ?? series?.lastObservedTime ?? event.lastTimestamp,
  };
}

interface Stored {
  kind: string;
  namespace: string;
  name: string;
  object: KObject;
}

/**
 * The in-memory cluster. Build it once per dump; it never changes.
 *
 * @example
 * const cluster = new MemoryCluster(dump.objects, { logs: dump.logs, defaultNamespace: 'shop' });
 * const evidence = await gatherEvidence(cluster, target, { logTailLines: 200, now });
 */
export class MemoryCluster implements ClusterPort {
  private readonly byKind = new Map<string, Stored[]>();
  private readonly logs: readonly SavedPodLog[];
  /** Secret objects found in the input and dropped (Watchkeeper never reads Secrets). */
  readonly droppedSecrets: number;

  constructor(objects: readonly KObject[], options: MemoryClusterOptions = {}) {
    const defaultNamespace = options.defaultNamespace ?? 'default';
    let secrets = 0;
    for (const raw of objects) {
      const kind = raw.kind;
      const name = raw.metadata?.name;
      if (!kind || !name) continue;
      if (kind === 'Secret') {
        secrets++;
        continue;
      }
      const object = kind === 'Event' ? normalizeEvent(raw as KEvent) : raw;
      const namespace = CLUSTER_SCOPED_KINDS.has(kind)
        ? ''
        : (object.metadata?.namespace ?? (kind === 'Event' ? (object as KEvent).involvedObject?.namespace : undefined) ?? defaultNamespace);
      const list = this.byKind.get(kind) ?? [];
      list.push({ kind, namespace, name, object });
      this.byKind.set(kind, list);
    }
    for (const list of this.byKind.values()) {
      list.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    }
    this.droppedSecrets = secrets;
    this.logs = options.logs ?? [];
  }

  /** Number of objects served, per kind (for summaries). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.byKind.entries()].map(([k, v]) => [k, v.length]));
  }

  async get(kind: ClusterKind, namespace: string, name: string): Promise<KObject | undefined> {
    const scoped = CLUSTER_SCOPED_KINDS.has(kind);
    const found = (this.byKind.get(kind) ?? []).find((s) => s.name === name && (scoped || s.namespace === namespace));
    return found ? copy(found.object) : undefined;
  }

  async list(kind: ClusterKind, namespace: string, options: ListOptions = {}): Promise<KObject[]> {
    const ref = `${kind}${namespace ? ` in ${namespace}` : ''}`;
    let labels: LabelRequirement[];
    let fields: FieldRequirement[];
    try {
      labels = options.labelSelector ? parseLabelSelector(options.labelSelector) : [];
      fields = options.fieldSelector ? parseFieldSelector(options.fieldSelector) : [];
    } catch (err) {
      throw new K8sCallFailed('list', ref, 400, { cause: err, detail: err instanceof Error ? err.message : String(err) });
    }
    const scoped = CLUSTER_SCOPED_KINDS.has(kind);
    const out: KObject[] = [];
    for (const s of this.byKind.get(kind) ?? []) {
      if (!scoped && namespace !== '' && s.namespace !== namespace) continue;
      if (labels.length > 0 && !labelsMatch(labels, s.object.metadata?.labels ?? {})) continue;
      if (fields.length > 0 && !fieldsMatch(fields, withNamespace(s))) continue;
      out.push(copy(s.object));
      if (options.limit !== undefined && options.limit > 0 && out.length >= options.limit) break;
    }
    return out;
  }

  async patch(kind: ClusterKind, namespace: string, name: string, _patch: PatchBody, options: { dryRun?: boolean } = {}): Promise<KObject> {
    throw offline(options.dryRun ? 'patch (dry-run)' : 'patch', refOf(kind, namespace, name));
  }

  async delete(kind: ClusterKind, namespace: string, name: string, options: { dryRun?: boolean } = {}): Promise<void> {
    throw offline(options.dryRun ? 'delete (dry-run)' : 'delete', refOf(kind, namespace, name));
  }

  async readObject(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<KObject | undefined> {
    const found = (this.byKind.get(ref.kind) ?? []).find((s) => s.name === ref.name && s.namespace === (ref.namespace ?? ''));
    return found ? structuredClone(found.object) : undefined;
  }

  async applyObject(obj: KObject, options: { fieldManager: string; dryRun?: boolean }): Promise<KObject> {
    throw offline(options.dryRun ? 'apply (dry-run)' : 'apply', `${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`);
  }

  async podLog(namespace: string, pod: string, container: string, options: { previous?: boolean; tailLines: number }): Promise<string> {
    const ref = `pods/${pod}/log?container=${container}${options.previous ? '&previous=true' : ''} in ${namespace}`;
    const candidates = this.logs.filter((l) => l.pod === pod && l.container === container && (l.namespace === undefined || l.namespace === namespace));
    const wanted = options.previous ?? false;
    const log = candidates.find((l) => l.previous === wanted) ?? candidates.find((l) => l.previous === undefined);
    if (!log) throw new K8sCallFailed('log', ref, 404, { detail: 'no such log in the dump' });
    return tail(log.text, options.tailLines);
  }
}

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The object as field selectors see it: `metadata.namespace` filled in. */
function withNamespace(s: Stored): KObject {
  if (s.object.metadata?.namespace !== undefined || s.namespace === '') return s.object;
  return { ...s.object, metadata: { ...s.object.metadata, namespace: s.namespace } };
}

function refOf(kind: string, namespace: string, name: string): string {
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

function offline(verb: string, ref: string): K8sCallFailed {
  return new K8sCallFailed(verb, ref, undefined, { detail: 'offline: the cluster is a read-only dump of objects' });
}

/** The last `n` lines of a text (the API's `tailLines`); all of it when `n` is not positive. */
function tail(text: string, n: number): string {
  if (!(n > 0)) return text;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n).join('\n');
}

/** Splits on commas outside parentheses (`a in (x,y),b` → `a in (x,y)`, `b`). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
