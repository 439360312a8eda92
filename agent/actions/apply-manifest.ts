/**
 * `apply_manifest`: server-side apply of a set of objects with Watchkeeper's field manager —
 * drift rollback (Git's version of drifted objects) and generated alerting rules. Proposed only
 * by Watchkeeper (never chosen by a model), through the same approval flow as any action.
 *
 * Params: `manifest` — a JSON array of objects (string); `summary` — a short description.
 * Source: https://kubernetes.io/docs/reference/using-api/server-side-apply/
 */
import type { KObject } from '../../domain/k8s-objects.ts';
import { detectDrift } from '../../domain/drift/index.ts';
import type { ActionParams, Applied, CatalogAction, Prepared, Verified } from './types.ts';
import { ActionImpossible } from './types.ts';

/** Field manager of everything Watchkeeper applies. */
export const FIELD_MANAGER = 'watchkeeper';

/** Server-managed metadata removed before re-applying a snapshot (Undo). */
const SERVER_FIELDS = ['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields', 'selfLink'];

/**
 * The objects of an `apply_manifest` remediation.
 * @throws ActionImpossible when `params.manifest` is not a JSON array of objects with apiVersion, kind and name.
 */
export function manifestObjects(params: ActionParams): KObject[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(params.manifest ?? ''));
  } catch {
    throw new ActionImpossible('apply_manifest', 'manifest', 'params.manifest is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new ActionImpossible('apply_manifest', 'manifest', 'params.manifest must be a non-empty array');
  for (const o of parsed as KObject[]) {
    if (!o || typeof o !== 'object' || !o.apiVersion || !o.kind || !o.metadata?.name) {
      throw new ActionImpossible('apply_manifest', 'manifest', 'every object needs apiVersion, kind and metadata.name');
    }
  }
  return parsed as KObject[];
}

/** Params for applying `objects` (what drift rollback and the coverage rule proposals pass). */
export function manifestParams(objects: KObject[], summary: string): ActionParams {
  return { manifest: JSON.stringify(objects), summary, count: objects.length };
}

function refOf(o: KObject): string {
  return `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;
}

function snapshot(o: KObject): KObject {
  const copy = structuredClone(o);
  delete (copy as Record<string, unknown>).status;
  for (const f of SERVER_FIELDS) delete (copy.metadata as Record<string, unknown> | undefined)?.[f];
  return copy;
}

/**
 * The catalog entry: supports `Manifest` targets only; `prepare` always refuses (Watchkeeper
 * proposes it itself via `Agent.proposeAction`); `apply` snapshots existing objects for Undo.
 * @throws ActionImpossible for a malformed `params.manifest`; K8sCallFailed when the server refuses.
 */
export const applyManifestAction: CatalogAction = {
  kind: 'apply_manifest',
  supports: (target) => target.kind === 'Manifest',
  prepare(): Prepared {
    return { kind: 'impossible', reason: 'apply_manifest is proposed by Watchkeeper (drift rollback, alerting rules), not derived from a diagnosis' };
  },
  async dryRun(ctx, _target, params) {
    for (const o of manifestObjects(params)) {
      await ctx.cluster.applyObject(o, { fieldManager: FIELD_MANAGER, dryRun: true });
    }
  },
  async apply(ctx, _target, params): Promise<Applied> {
    const objects = manifestObjects(params);
    const t0 = Date.now();
    const before: KObject[] = [];
    const created: KObject[] = [];
    for (const o of objects) {
      const live = await ctx.cluster.readObject({
        apiVersion: o.apiVersion!,
        kind: o.kind!,
        namespace: o.metadata?.namespace,
        name: o.metadata!.name!,
      });
      if (live) before.push(snapshot(live));
      else created.push(o);
    }
    for (const o of objects) await ctx.cluster.applyObject(o, { fieldManager: FIELD_MANAGER, dryRun: true });
    await ctx.step('k8s.dry_run', { input: objects.map(refOf), output: 'accepted', durationMs: Date.now() - t0 });
    const t1 = Date.now();
    for (const o of objects) await ctx.cluster.applyObject(o, { fieldManager: FIELD_MANAGER });
    await ctx.step('k8s.apply', { input: objects.map(refOf), output: { applied: objects.length, created: created.map(refOf) }, durationMs: Date.now() - t1 });
    return {
      preState: { apiVersion: 'v1', kind: 'List', items: before } as unknown as KObject,
      params,
      // Undo re-applies the objects as they were; objects that did not exist are not deleted.
      inverse: before.length ? { action: 'apply_manifest', params: manifestParams(before, `previous version of ${before.map(refOf).join(', ')}`) } : null,
      detail: `server-side applied ${objects.map(refOf).join(', ')}${created.length ? ` (created ${created.map(refOf).join(', ')})` : ''}`,
    };
  },
  async verify(ctx, _target, params): Promise<Verified> {
    const mismatched: string[] = [];
    for (const o of manifestObjects(params)) {
      const live = await ctx.cluster.readObject({ apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata?.namespace, name: o.metadata!.name! });
      // The drift detector's comparison: only what the manifest declares, quantities by value,
      // keyed lists by name, server-managed fields ignored.
      if (!live || detectDrift([o], [live], { ownershipLabel: null }).length > 0) mismatched.push(refOf(o));
    }
    return mismatched.length
      ? { ok: false, message: `live state differs from what was applied: ${mismatched.join(', ')}` }
      : { ok: true, message: `live state matches the applied manifest (${manifestObjects(params).length} object(s))` };
  },
};
