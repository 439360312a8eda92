/**
 * One scan of one desired-state folder against the cluster: read the manifests (a malformed file
 * is reported with its line, the rest is scanned), read the live counterparts through the
 * {@link ClusterPort} (kinds the port lists are listed once per namespace; others are read one by
 * one), run the pure detection and fingerprint the items. No database, no chat: the service and
 * the benchmark share it.
 */
import { join, relative } from 'node:path';
import {
  DEFAULT_CLUSTER_SCOPED_KINDS,
  desiredRef,
  detectDrift,
  driftFingerprint,
  formatRef,
  refKey,
  type DriftItem,
  type DriftLevel,
  type DriftOptions,
  type ObjectRef,
} from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { readManifests, type ManifestError, type ManifestObject, type ReadManifestsOptions } from '../git/manifests.ts';
import type { ClusterKind, ClusterPort } from '../ports.ts';
import { autoscaledWorkloads } from './interpret.ts';
import type { DriftProblems, StoredDriftItem } from './types.ts';

/** Kinds the cluster port can list, with the API version their list items lack. */
export const LISTABLE_KINDS: Readonly<Record<string, { kind: ClusterKind; apiVersion: string }>> = {
  'apps/Deployment': { kind: 'Deployment', apiVersion: 'apps/v1' },
  'apps/StatefulSet': { kind: 'StatefulSet', apiVersion: 'apps/v1' },
  'apps/DaemonSet': { kind: 'DaemonSet', apiVersion: 'apps/v1' },
  'apps/ReplicaSet': { kind: 'ReplicaSet', apiVersion: 'apps/v1' },
  'batch/Job': { kind: 'Job', apiVersion: 'batch/v1' },
  'batch/CronJob': { kind: 'CronJob', apiVersion: 'batch/v1' },
  '/Pod': { kind: 'Pod', apiVersion: 'v1' },
  'autoscaling/HorizontalPodAutoscaler': { kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v2' },
  'policy/PodDisruptionBudget': { kind: 'PodDisruptionBudget', apiVersion: 'policy/v1' },
};

/** What to scan. */
export interface ScanSpec {
  /** Root of the checkout. */
  readonly dir: string;
  /** Folders inside `dir` (`.` = all). */
  readonly folders: readonly string[];
  /** Namespaces compared; empty = every namespace the manifests name. */
  readonly namespaces: readonly string[];
  /** Detection options (default namespace, ownership label, extra rules). */
  readonly detection: DriftOptions;
  readonly manifests?: ReadManifestsOptions;
  /** Parallel single-object reads. Default 8. */
  readonly concurrency?: number;
}

/** Result of {@link scanDesiredState}. */
export interface ScanOutcome {
  readonly items: StoredDriftItem[];
  readonly fingerprint: string;
  readonly counts: Record<DriftLevel, number>;
  /** Git's version of every object with a `modified` or `missing` item, namespace filled in. */
  readonly gitObjects: KObject[];
  readonly problems: DriftProblems;
  /** Desired objects compared. */
  readonly desiredCount: number;
  /** Live objects read. */
  readonly liveCount: number;
  /** `Kind/namespace/name` of workloads an autoscaler drives (Git or live). */
  readonly autoscaled: Set<string>;
}

/**
 * Scans a checkout against the cluster (see the module comment). Kubernetes failures do not
 * throw: a kind that cannot be listed is read object by object, and an object that cannot be read
 * is left out with a warning (never reported missing).
 * @throws ManifestFolderUnreadable when a configured folder does not exist in the checkout.
 */
export async function scanDesiredState(spec: ScanSpec, cluster: ClusterPort): Promise<ScanOutcome> {
  const defaultNamespace = spec.detection.defaultNamespace ?? 'default';
  const clusterScoped = [...DEFAULT_CLUSTER_SCOPED_KINDS, ...(spec.detection.clusterScopedKinds ?? [])];
  const pairing = { defaultNamespace, clusterScopedKinds: clusterScoped };
  const problems: DriftProblems = { errors: [], warnings: [] };

  // --- desired state
  const manifests: ManifestObject[] = [];
  for (const folder of spec.folders) {
    const set = await readManifests(join(spec.dir, folder), { kubectl: 'kubectl', ...spec.manifests });
    manifests.push(...set.objects);
    problems.errors.push(...set.errors.map((e) => relativeError(spec.dir, e)));
    problems.warnings.push(...set.warnings.map((w) => w.split(spec.dir + '/').join('')));
  }
  const scope = new Set(spec.namespaces);
  const desired: KObject[] = [];
  const files = new Map<string, string>();
  let outOfScope = 0;
  for (const m of manifests) {
    const ref = desiredRef(m.object, pairing);
    if (!ref) continue;
    if (scope.size > 0 && ref.namespace !== '' && !scope.has(ref.namespace)) {
      outOfScope++;
      continue;
    }
    const key = refKey(ref);
    const where = `${relative(spec.dir, m.file)}${m.line === undefined ? '' : `:${m.line}`}`;
    if (files.has(key)) {
      problems.warnings.push(`${formatRef(ref)} is declared twice (${files.get(key)} and ${where}); the first is compared`);
      continue;
    }
    files.set(key, where);
    desired.push(ref.namespace && !m.object.metadata?.namespace ? { ...m.object, metadata: { ...m.object.metadata, namespace: ref.namespace } } : m.object);
  }
  if (outOfScope) problems.warnings.push(`${outOfScope} object(s) outside the configured namespaces were not compared`);
  // The parsed documents (kept by readManifests for adopt) are not needed any more: let them go.
  manifests.length = 0;

  // --- live state
  const { live, unreadable } = await readLive(cluster, desired, { namespaces: spec.namespaces, concurrency: spec.concurrency ?? 8, pairing }, problems);
  const compared = unreadable.size ? desired.filter((o) => !unreadable.has(refKey(desiredRef(o, pairing)!))) : desired;

  // --- detection
  let items: DriftItem[] = detectDrift(compared, live, spec.detection);
  if (problems.errors.length > 0 && items.some((i) => i.change === 'not_in_git')) {
    const before = items.length;
    items = items.filter((i) => i.change !== 'not_in_git');
    problems.warnings.push(`${before - items.length} object(s) not found in Git were not reported, since some manifests could not be read`);
  }
  const stored: StoredDriftItem[] = items.map((i) => {
    const file = files.get(refKey(i));
    return file === undefined ? i : { ...i, file };
  });
  const counts: Record<DriftLevel, number> = { high: 0, medium: 0, info: 0 };
  for (const i of items) counts[i.level]++;
  const drifted = new Set(items.filter((i) => i.change !== 'not_in_git').map((i) => refKey(i)));
  const gitObjects = compared.filter((o) => {
    const ref = desiredRef(o, pairing);
    return ref && drifted.has(refKey(ref));
  });
  return {
    items: stored,
    fingerprint: driftFingerprint(items),
    counts,
    gitObjects,
    problems,
    desiredCount: compared.length,
    liveCount: live.length,
    autoscaled: autoscaledWorkloads([...compared, ...live], defaultNamespace),
  };
}

function relativeError(root: string, e: ManifestError): DriftProblems['errors'][number] {
  return { ...e, file: relative(root, e.file) || e.file };
}

interface LiveOptions {
  namespaces: readonly string[];
  concurrency: number;
  pairing: { defaultNamespace: string; clusterScopedKinds: readonly string[] };
}

/**
 * Reads the live objects: listable kinds in one list call per namespace in scope (all namespaces
 * when no scope), so owned objects missing from Git are found; other kinds one object at a time.
 * A kind that cannot be listed falls back to single reads (with a warning). A single read that
 * fails (not a 404) leaves that object out of the comparison, with a warning, rather than
 * reporting it missing.
 */
async function readLive(
  cluster: ClusterPort,
  desired: readonly KObject[],
  options: LiveOptions,
  problems: DriftProblems,
): Promise<{ live: KObject[]; unreadable: Set<string> }> {
  const live: KObject[] = [];
  const unreadable = new Set<string>();
  const single: Array<{ object: KObject; ref: ObjectRef }> = [];
  const byListKind = new Map<string, Array<{ object: KObject; ref: ObjectRef }>>();
  for (const object of desired) {
    const ref = desiredRef(object, options.pairing)!;
    const listKey = `${ref.group}/${ref.kind}`;
    if (LISTABLE_KINDS[listKey]) byListKind.set(listKey, [...(byListKind.get(listKey) ?? []), { object, ref }]);
    else single.push({ object, ref });
  }
  for (const [listKey, entries] of byListKind) {
    const { kind, apiVersion } = LISTABLE_KINDS[listKey]!;
    const namespaces = options.namespaces.length ? [...options.namespaces] : [''];
    try {
      for (const ns of namespaces) {
        for (const object of await cluster.list(kind, ns)) {
          object.apiVersion ??= apiVersion;
          object.kind ??= kind;
          live.push(object);
        }
      }
    } catch (err) {
      problems.warnings.push(`could not list ${kind} (${(err as Error).message}); read one by one, so ${kind} objects missing from Git are not detected`);
      single.push(...entries);
    }
  }
  let next = 0;
  const worker = async () => {
    while (next < single.length) {
      const { object, ref } = single[next++]!;
      try {
        const found = await cluster.readObject({ apiVersion: object.apiVersion!, kind: ref.kind, namespace: ref.namespace || undefined, name: ref.name });
        if (found) {
          found.apiVersion ??= object.apiVersion;
          found.kind ??= ref.kind;
          live.push(found);
        }
      } catch (err) {
        unreadable.add(refKey(ref));
        problems.warnings.push(`could not read ${formatRef(ref)} (${(err as Error).message}); not compared`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, single.length)) }, worker));
  return { live, unreadable };
}
