/**
 * The vocabulary of monitoring coverage: assets, the seven dimensions, cell statuses and their
 * evidence. Pure types and tiny helpers; no I/O, no clock.
 */

/** Kinds of assets a discovery run lists: four workload kinds and one host kind. */
export const ASSET_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Node'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

/** Workload kinds (everything but Node). */
export const WORKLOAD_KINDS: readonly AssetKind[] = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];

/** True for the workload kinds, false for Node. */
export function isWorkload(kind: AssetKind): boolean {
  return kind !== 'Node';
}

/**
 * The seven dimensions, in display order (issue "Monitoring coverage"):
 * 1. `monitoring` — an active Prometheus target scrapes the asset;
 * 2. `alerting` — an alerting rule selects the asset;
 * 3. `knowledge` — a runbook or anti-pattern names the asset;
 * 4. `playbook` — a published playbook applies to the asset;
 * 5. `remediation` — an action ran on the asset in the window;
 * 6. `rule_matching` — an incident matched the asset in the window;
 * 7. `rule_creation` — an alerting rule created by Watchkeeper covers the asset.
 */
export const DIMENSIONS = ['monitoring', 'alerting', 'knowledge', 'playbook', 'remediation', 'rule_matching', 'rule_creation'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Human labels of the dimensions (chat and picture). */
export const DIMENSION_LABELS: Readonly<Record<Dimension, string>> = {
  monitoring: 'monitoring',
  alerting: 'alerting',
  knowledge: 'knowledge',
  playbook: 'playbook',
  remediation: 'remediation',
  rule_matching: 'rule matching',
  rule_creation: 'rule creation',
};

/** Status of one cell. `unknown` means the data source of the dimension failed. */
export const CELL_STATUSES = ['green', 'yellow', 'red', 'unknown'] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** One letter per status, for compact per-evaluation history (`g`, `y`, `r`, `u`). */
export const STATUS_CODE: Readonly<Record<CellStatus, string>> = { green: 'g', yellow: 'y', red: 'r', unknown: 'u' };
const CODE_STATUS: Readonly<Record<string, CellStatus>> = { g: 'green', y: 'yellow', r: 'red', u: 'unknown' };

/** Evidence of a cell: where the answer came from and why, plus optional details (JSON). */
export interface CellEvidence {
  /** The data source, e.g. `prometheus /api/v1/targets`, `postgres knowledge_entry`. */
  source: string;
  /** One sentence, e.g. `2 active targets (job web, health up)` or the source's error. */
  why: string;
  /** Extra facts (matched rules, targets, incident ids…), small. */
  details?: Record<string, unknown>;
}

/** One evaluated cell. */
export interface Cell {
  status: CellStatus;
  evidence: CellEvidence;
}

/** The seven cells of an asset. */
export type AssetCells = Record<Dimension, Cell>;

/** The 7-letter code of an asset's cells in dimension order, e.g. `ggyyryr`. */
export function cellsCode(cells: AssetCells): string {
  return DIMENSIONS.map((d) => STATUS_CODE[cells[d].status]).join('');
}

/** Inverse of {@link cellsCode}; unknown letters read as `unknown`. */
export function statusesOfCode(code: string): Record<Dimension, CellStatus> {
  const out = {} as Record<Dimension, CellStatus>;
  DIMENSIONS.forEach((d, i) => {
    out[d] = CODE_STATUS[code[i] ?? 'u'] ?? 'unknown';
  });
  return out;
}

/** A container of a workload, as far as coverage cares (rule templates). */
export interface AssetContainer {
  name: string;
  /** `resources.limits.memory` as written (`512Mi`), when set. */
  memoryLimit?: string;
}

/**
 * An asset as evaluation sees it (from the inventory). `ref` is `namespace/Kind/name` for
 * workloads and `Node/name` for nodes — the form knowledge entries and playbooks use.
 */
export interface Asset {
  id: number;
  kind: AssetKind;
  /** Empty for nodes. */
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Who owns it: a controller `Kind/name`, a Helm release or a team label; undefined when unknown. */
  owner?: string;
  /** Node InternalIP (nodes only). */
  internalIp?: string;
  /**
   * Names of its current instances: pod names (Deployments, StatefulSets, DaemonSets), job and
   * pod names (CronJobs); empty for nodes.
   */
  members: string[];
  containers: AssetContainer[];
}

/** `namespace/Kind/name`, or `Node/name` for nodes (as knowledge entries and playbooks name targets). */
export function assetRef(a: Pick<Asset, 'kind' | 'namespace' | 'name'>): string {
  return a.namespace ? `${a.namespace}/${a.kind}/${a.name}` : `${a.kind}/${a.name}`;
}

/** Short `namespace/name` (or the node name) for lists and the picture. */
export function assetLabel(a: Pick<Asset, 'kind' | 'namespace' | 'name'>): string {
  return a.kind === 'Node' ? `node/${a.name}` : `${a.namespace}/${a.name}`;
}
