/**
 * Identity of objects and pairing of desired (Git) with live (cluster) objects by
 * group/kind/namespace/name, as gitops-engine's `kube.ResourceKey` does: the API version is not
 * part of the identity, so `autoscaling/v1` and `autoscaling/v2` name the same object.
 */
import type { KObject } from '../k8s-objects.ts';

/** Identity of one object. `namespace` is `""` for cluster-scoped objects; `group` is `""` for core. */
export interface ObjectRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** A desired object and its live counterpart; `null` on the side where it does not exist. */
export interface ObjectPair {
  readonly ref: ObjectRef;
  readonly desired: KObject | null;
  readonly live: KObject | null;
}

/** Result of {@link pairObjects}. */
export interface Pairing {
  /** Sorted by {@link refKey}. */
  readonly pairs: ObjectPair[];
  /** Desired objects declared more than once (the first declaration is used). */
  readonly duplicates: ObjectRef[];
  /** Count of objects skipped because they have no kind or no `metadata.name`. */
  readonly unidentified: number;
}

/** How desired objects without `metadata.namespace` are placed. */
export interface PairingOptions {
  /** Namespace given to namespaced desired objects that declare none (kubectl's `-n`). */
  readonly defaultNamespace: string;
  /** Kinds that never get the default namespace. */
  readonly clusterScopedKinds: readonly string[];
}

/** API group of an `apiVersion`: `"apps/v1"` → `"apps"`, `"v1"` → `""`. */
export function apiGroup(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Stable string form of a ref: `group/kind/namespace/name` (empty parts kept). */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** `namespace/Kind/name` (or `Kind/name` when cluster-scoped), for messages and cards. */
export function formatRef(ref: ObjectRef): string {
  const kind = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  return ref.namespace ? `${ref.namespace}/${kind}/${ref.name}` : `${kind}/${ref.name}`;
}

/** The ref of a live object as the API server returns it, or `null` without kind or name. */
export function liveRef(object: KObject): ObjectRef | null {
  const kind = object.kind;
  const name = object.metadata?.name;
  if (!kind || !name) return null;
  return { group: apiGroup(object.apiVersion), kind, namespace: object.metadata?.namespace ?? '', name };
}

/**
 * The ref of a desired object: without `metadata.namespace` it gets `options.defaultNamespace`,
 * unless its kind is cluster-scoped. Returns `null` without kind or name (e.g. `generateName`).
 */
export function desiredRef(object: KObject, options: PairingOptions): ObjectRef | null {
  const ref = liveRef(object);
  if (!ref || ref.namespace || options.clusterScopedKinds.includes(ref.kind)) return ref;
  return { ...ref, namespace: options.defaultNamespace };
}

/**
 * Pairs desired and live objects by ref. A desired object without a namespace whose kind is not
 * known to be cluster-scoped is first looked up in the default namespace, then as a
 * cluster-scoped object of the same group/kind/name (covers cluster-scoped custom kinds).
 *
 * @returns every desired object paired with its live object or `null` (missing), and every live
 *   object nobody declared paired with `null` (extra); the caller decides what extras matter.
 */
export function pairObjects(desired: readonly KObject[], live: readonly KObject[], options: PairingOptions): Pairing {
  const liveByKey = new Map<string, { ref: ObjectRef; object: KObject }>();
  let unidentified = 0;
  for (const object of live) {
    const ref = liveRef(object);
    if (ref) liveByKey.set(refKey(ref), { ref, object });
    else unidentified++;
  }

  const pairs: ObjectPair[] = [];
  const duplicates: ObjectRef[] = [];
  const claimed = new Set<string>();
  for (const object of desired) {
    const ref = resolveDesiredRef(object, options, liveByKey);
    if (!ref) {
      unidentified++;
      continue;
    }
    const key = refKey(ref);
    if (claimed.has(key)) {
      duplicates.push(ref);
      continue;
    }
    claimed.add(key);
    pairs.push({ ref, desired: object, live: liveByKey.get(key)?.object ?? null });
  }
  for (const [key, { ref, object }] of liveByKey) {
    if (!claimed.has(key)) pairs.push({ ref, desired: null, live: object });
  }
  pairs.sort((a, b) => compareText(refKey(a.ref), refKey(b.ref)));
  return { pairs, duplicates, unidentified };
}

function resolveDesiredRef(
  object: KObject,
  options: PairingOptions,
  liveByKey: ReadonlyMap<string, unknown>,
): ObjectRef | null {
  const ref = desiredRef(object, options);
  if (!ref || object.metadata?.namespace || ref.namespace === '') return ref;
  const clusterScoped = { ...ref, namespace: '' };
  return !liveByKey.has(refKey(ref)) && liveByKey.has(refKey(clusterScoped)) ? clusterScoped : ref;
}

/** Code-unit order, independent of locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
