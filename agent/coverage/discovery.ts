/**
 * Discovery: lists the asset kinds (and the pods, ReplicaSets and Jobs that tell their members)
 * across all namespaces through the {@link ClusterPort}, in parallel. A kind that cannot be listed
 * is reported, not fatal: the run is `partial` and that kind's assets stay as the last run saw them.
 */
import type { KObject } from '../../domain/k8s-objects.ts';
import { buildInventory, type DiscoveredAsset, type ListedObjects } from '../../domain/coverage/inventory.ts';
import { ASSET_KINDS, type AssetKind } from '../../domain/coverage/types.ts';
import type { ClusterKind, ClusterPort } from '../ports.ts';

/** What a listing produced. */
export interface Listing {
  assets: DiscoveredAsset[];
  /** Asset kinds listed successfully (only these may mark assets gone). */
  listedKinds: AssetKind[];
  /** Assets per listed kind. */
  counts: Record<string, number>;
  /** Errors per kind (asset kinds and helper kinds: Pod, ReplicaSet, Job). */
  errors: Record<string, string>;
}

const HELPER_KINDS = ['Pod', 'ReplicaSet', 'Job'] as const;

/**
 * Lists everything an inventory needs.
 * @param options.excludeNamespaces namespace globs left out.
 */
export async function listInventory(cluster: ClusterPort, options: { excludeNamespaces?: readonly string[] } = {}): Promise<Listing> {
  const kinds: ClusterKind[] = [...ASSET_KINDS, ...HELPER_KINDS];
  const results = await Promise.allSettled(kinds.map((k) => cluster.list(k, '')));
  const listed: ListedObjects = {};
  const errors: Record<string, string> = {};
  results.forEach((r, i) => {
    const kind = kinds[i] as keyof ListedObjects;
    if (r.status === 'fulfilled') listed[kind] = r.value as KObject[];
    else errors[kind] = r.reason instanceof Error ? r.reason.message : String(r.reason);
  });
  const assets = buildInventory(listed, options);
  const listedKinds = ASSET_KINDS.filter((k) => listed[k] !== undefined);
  const counts: Record<string, number> = {};
  for (const k of listedKinds) counts[k] = 0;
  for (const a of assets) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return { assets, listedKinds, counts, errors };
}
