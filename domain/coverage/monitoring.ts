/**
 * The monitoring dimension: does an active Prometheus target (`/api/v1/targets`) scrape the asset?
 *
 * A target belongs to a workload through its `namespace` plus `pod` (the pod's owner in the
 * inventory), `service` or `job` label (the workload's name or app label; PodMonitor jobs are
 * `namespace/name`), or the discovered `__meta_kubernetes_pod_controller_*` labels; to a node
 * through its `node` label, `__meta_kubernetes_node_name`, or the host of `instance`/`__address__`
 * being the node's name or InternalIP. Pure.
 */
import type { AssetIndex } from './resolve.ts';
import type { Asset, Cell } from './types.ts';

/** An active target as Prometheus reports it (the fields coverage reads). */
export interface ScrapeTarget {
  labels: Record<string, string>;
  discoveredLabels?: Record<string, string>;
  scrapePool?: string;
  scrapeUrl?: string;
  health?: string;
  lastError?: string;
}

/** Source name in evidence. */
export const TARGETS_SOURCE = 'prometheus /api/v1/targets';

function host(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const m = /^\[?([^\]]+?)\]?(?::\d+)?$/.exec(address);
  return m?.[1];
}

/** Asset ids a target belongs to (usually one; a node-exporter pod on a host network maps to both). */
export function assetsOfTarget(t: ScrapeTarget, index: AssetIndex): number[] {
  const l = t.labels;
  const d = t.discoveredLabels ?? {};
  const out = new Set<number>();
  const ns = l.namespace ?? d.__meta_kubernetes_namespace;
  if (ns) {
    const pod = l.pod ?? d.__meta_kubernetes_pod_name;
    if (pod) {
      const owner = index.ownerOfInstance(ns, pod);
      if (owner !== undefined) out.add(owner);
    }
    const ctrlKind = d.__meta_kubernetes_pod_controller_kind;
    const ctrlName = d.__meta_kubernetes_pod_controller_name;
    if (out.size === 0 && ctrlKind && ctrlName) {
      const id =
        ctrlKind === 'ReplicaSet' || ctrlKind === 'Job'
          ? index.ownerOfInstance(ns, `${ctrlName}-x`)
          : index.resolve({ kind: ctrlKind, namespace: ns, name: ctrlName });
      if (id !== undefined) out.add(id);
    }
    if (out.size === 0) {
      const service = l.service ?? d.__meta_kubernetes_service_name;
      for (const name of [service, l.job, l.job?.includes('/') ? l.job.split('/').slice(1).join('/') : undefined]) {
        if (!name) continue;
        for (const id of index.byName(ns, name)) out.add(id);
        if (out.size) break;
      }
    }
  }
  for (const n of [l.node, d.__meta_kubernetes_node_name, host(l.instance), host(d.__address__)]) {
    if (!n) continue;
    const id = index.node(n);
    if (id !== undefined) {
      out.add(id);
      break;
    }
  }
  return [...out];
}

/**
 * The monitoring cell of every asset: green with the targets found, red when none.
 * @param targets the active targets (dropped targets are not scraped and do not count).
 */
export function monitoringCells(assets: readonly Asset[], targets: readonly ScrapeTarget[], index: AssetIndex): Map<number, Cell> {
  const byAsset = new Map<number, ScrapeTarget[]>();
  for (const t of targets) {
    for (const id of assetsOfTarget(t, index)) {
      const list = byAsset.get(id);
      if (list) list.push(t);
      else byAsset.set(id, [t]);
    }
  }
  const out = new Map<number, Cell>();
  const redWorkload: Cell = {
    status: 'red',
    evidence: { source: TARGETS_SOURCE, why: 'no active Prometheus target for its pods, service or job', details: { activeTargets: targets.length } },
  };
  for (const a of assets) {
    const found = byAsset.get(a.id);
    if (!found?.length) {
      out.set(
        a.id,
        a.kind === 'Node'
          ? {
              status: 'red',
              evidence: {
                source: TARGETS_SOURCE,
                why: `no active Prometheus target for node ${a.name}${a.internalIp ? ` (${a.internalIp})` : ''}`,
                details: { activeTargets: targets.length },
              },
            }
          : redWorkload,
      );
      continue;
    }
    const up = found.filter((t) => t.health === 'up').length;
    const jobs = [...new Set(found.map((t) => t.labels.job).filter(Boolean))];
    const down = found.find((t) => t.health !== 'up');
    out.set(a.id, {
      status: 'green',
      evidence: {
        source: TARGETS_SOURCE,
        why:
          `${found.length} active target${found.length === 1 ? '' : 's'}${jobs.length ? ` (job ${jobs.slice(0, 2).join(', ')})` : ''}, ${up} up` +
          (down ? `; ${found.length - up} ${down.health ?? 'unknown'}${down.lastError ? `: ${down.lastError.slice(0, 120)}` : ''}` : ''),
        details: {
          targets: found.slice(0, 2).map((t) => ({ job: t.labels.job, instance: t.labels.instance, health: t.health, ...(t.lastError ? { lastError: t.lastError.slice(0, 200) } : {}) })),
        },
      },
    });
  }
  return out;
}
