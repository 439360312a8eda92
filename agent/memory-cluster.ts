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
 *   `a in (x,y)`, `a notin (x)`, `a`, `!a`; parsed by `domain/selectors.ts`, as in the tests' fake API
 *   server); `fieldSelector` supports `=`, `==` and `!=` on any
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
import { type FieldRequirement, fieldsMatch, type LabelRequirement, labelsMatch, parseFieldSelector, parseLabelSelector } from '../domain/selectors.ts';
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
