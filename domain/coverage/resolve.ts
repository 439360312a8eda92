/**
 * Resolving what other records name (`namespace/Kind/name` strings, incident and remediation
 * targets, Prometheus pod/service/job labels) to inventory assets, with set-based indexes built
 * once per evaluation. Pure.
 */
import type { Asset, AssetKind } from './types.ts';

/** A reference as other tables store it. `kind` may be Pod, Job or ReplicaSet too. */
export interface LooseRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Candidate workload names for an instance name, most specific first:
 * `web-7c9d8f-x2x4z` → `web-7c9d8f`, `web`; `db-0` → `db`; `nightly-28973160-abcde` → `nightly-28973160`, `nightly`.
 */
export function ownerCandidates(instance: string): string[] {
  const out: string[] = [];
  const parts = instance.split('-');
  for (let n = parts.length - 1; n >= 1 && out.length < 3; n--) out.push(parts.slice(0, n).join('-'));
  return out;
}

/** Indexes of an inventory for resolving references to asset ids. */
export class AssetIndex {
  private readonly byKey = new Map<string, number>();
  /** `ns/name` → workload assets of any kind with that name (or app label). */
  private readonly byNsName = new Map<string, number[]>();
  /** `ns/instance` → asset owning that pod or job. */
  private readonly byMember = new Map<string, number>();
  /** Node name or InternalIP → node asset. */
  private readonly nodes = new Map<string, number>();
  readonly assets: ReadonlyMap<number, Asset>;

  constructor(assets: readonly Asset[]) {
    const all = new Map<number, Asset>();
    for (const a of assets) {
      all.set(a.id, a);
      this.byKey.set(key(a.kind, a.namespace, a.name), a.id);
      if (a.kind === 'Node') {
        this.nodes.set(a.name, a.id);
        if (a.internalIp) this.nodes.set(a.internalIp, a.id);
        continue;
      }
      for (const m of a.members) this.byMember.set(`${a.namespace}/${m}`, a.id);
      const names = new Set([a.name, a.labels['app.kubernetes.io/name'], a.labels.app, a.labels['app.kubernetes.io/instance']].filter(Boolean) as string[]);
      for (const n of names) {
        const k = `${a.namespace}/${n}`;
        const list = this.byNsName.get(k);
        if (!list) this.byNsName.set(k, [a.id]);
        else if (!list.includes(a.id)) list.push(a.id);
      }
    }
    this.assets = all;
  }

  /** The asset of exactly this kind/namespace/name. */
  exact(kind: AssetKind, namespace: string, name: string): number | undefined {
    return this.byKey.get(key(kind, namespace, name));
  }

  /** The workload that owns a pod or job instance (inventory members first, then name heuristics). */
  ownerOfInstance(namespace: string, instance: string): number | undefined {
    const member = this.byMember.get(`${namespace}/${instance}`);
    if (member !== undefined) return member;
    for (const candidate of ownerCandidates(instance)) {
      for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'] as const) {
        const id = this.byKey.get(key(kind, namespace, candidate));
        if (id !== undefined) return id;
      }
    }
    return undefined;
  }

  /** Workloads in `namespace` named `name` or carrying it as their app name label. */
  byName(namespace: string, name: string): number[] {
    return this.byNsName.get(`${namespace}/${name}`) ?? [];
  }

  /** The node with this name or InternalIP. */
  node(nameOrIp: string): number | undefined {
    return this.nodes.get(nameOrIp);
  }

  /**
   * Resolves a stored reference: an asset kind exactly; a Pod, Job or ReplicaSet to its owning
   * workload. @returns undefined when nothing in the inventory matches.
   */
  resolve(ref: LooseRef): number | undefined {
    switch (ref.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'CronJob':
        return this.byKey.get(key(ref.kind, ref.namespace, ref.name));
      case 'Node':
        return this.nodes.get(ref.name);
      case 'Pod':
      case 'Job':
      case 'ReplicaSet':
        return this.ownerOfInstance(ref.namespace, ref.name);
      default:
        return undefined;
    }
  }

  /** Resolves `namespace/Kind/name` or `Kind/name` (nodes); undefined when malformed or unknown. */
  resolveText(text: string): number | undefined {
    const parsed = parseRefText(text);
    return parsed ? this.resolve(parsed) : undefined;
  }
}

function key(kind: string, namespace: string, name: string): string {
  return `${kind}|${kind === 'Node' ? '' : namespace}|${name}`;
}

/** `ns/Kind/name` → ref; `Node/name` → node ref; anything else → undefined. */
export function parseRefText(text: string): LooseRef | undefined {
  const parts = text.split('/');
  if (parts.length === 3 && parts.every(Boolean)) return { namespace: parts[0], kind: parts[1], name: parts[2] };
  if (parts.length === 2 && parts[0] === 'Node' && parts[1]) return { namespace: '', kind: 'Node', name: parts[1] };
  return undefined;
}
