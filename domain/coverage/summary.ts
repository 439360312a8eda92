/**
 * Summaries of an evaluation: green ratio per dimension and overall, change against an earlier
 * evaluation, and the ranking of assets that matter most (critical namespaces first). Pure.
 */
import { globMatch } from '../remediation/index.ts';
import { DIMENSIONS, statusesOfCode, type Asset, type CellStatus, type Dimension } from './types.ts';

/** Counts of one dimension. */
export interface DimensionCounts {
  green: number;
  yellow: number;
  red: number;
  unknown: number;
}

/** Counts per dimension, and the overall green ratio over known cells. */
export interface CoverageSummary {
  assets: number;
  dimensions: Record<Dimension, DimensionCounts>;
  /** Green cells / known (not unknown) cells across all dimensions; null when nothing is known. */
  overall: number | null;
}

/** Green / (assets − unknown); null when every cell of the dimension is unknown (or there are no assets). */
export function greenRatio(c: DimensionCounts): number | null {
  const known = c.green + c.yellow + c.red;
  return known === 0 ? null : c.green / known;
}

/**
 * Counts statuses from 7-letter codes (see `cellsCode`).
 * @param codes one code per asset.
 */
export function summarize(codes: Iterable<string>): CoverageSummary {
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, { green: 0, yellow: 0, red: 0, unknown: 0 }])) as Record<Dimension, DimensionCounts>;
  let assets = 0;
  for (const code of codes) {
    assets++;
    const s = statusesOfCode(code);
    for (const d of DIMENSIONS) dimensions[d][s[d]]++;
  }
  let green = 0;
  let known = 0;
  for (const d of DIMENSIONS) {
    green += dimensions[d].green;
    known += dimensions[d].green + dimensions[d].yellow + dimensions[d].red;
  }
  return { assets, dimensions, overall: known === 0 ? null : green / known };
}

/** Change of green ratios in percentage points (null when either side is unknown). */
export interface SummaryDelta {
  dimensions: Record<Dimension, number | null>;
  overall: number | null;
}

/** `current − previous` green ratios in percentage points. */
export function summaryDelta(current: CoverageSummary, previous: CoverageSummary): SummaryDelta {
  const pp = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round((a - b) * 1000) / 10);
  return {
    dimensions: Object.fromEntries(DIMENSIONS.map((d) => [d, pp(greenRatio(current.dimensions[d]), greenRatio(previous.dimensions[d]))])) as Record<Dimension, number | null>,
    overall: pp(current.overall, previous.overall),
  };
}

/** Cell changes between two evaluations, per asset id. */
export interface CellChanges {
  /** Assets with at least one cell that turned red (with those dimensions). */
  turnedRed: Array<{ assetId: number; dimensions: Dimension[] }>;
  /** Assets with at least one cell that turned green. */
  turnedGreen: Array<{ assetId: number; dimensions: Dimension[] }>;
  /** Assets evaluated now but not then. */
  added: number[];
  /** Assets evaluated then but not now. */
  removed: number[];
}

/** Compares per-asset codes of two evaluations. */
export function cellChanges(current: ReadonlyMap<number, string>, previous: ReadonlyMap<number, string>): CellChanges {
  const out: CellChanges = { turnedRed: [], turnedGreen: [], added: [], removed: [] };
  for (const [id, code] of current) {
    const before = previous.get(id);
    if (before === undefined) {
      out.added.push(id);
      continue;
    }
    if (before === code) continue;
    const now = statusesOfCode(code);
    const then = statusesOfCode(before);
    const red = DIMENSIONS.filter((d) => now[d] === 'red' && then[d] !== 'red');
    const green = DIMENSIONS.filter((d) => now[d] === 'green' && then[d] !== 'green');
    if (red.length) out.turnedRed.push({ assetId: id, dimensions: red });
    if (green.length) out.turnedGreen.push({ assetId: id, dimensions: green });
  }
  for (const id of previous.keys()) if (!current.has(id)) out.removed.push(id);
  return out;
}

/** True when the namespace matches one of the critical-namespace globs (`*-prod`, `production`). */
export function isCritical(namespace: string, criticalNamespaces: readonly string[]): boolean {
  return namespace !== '' && criticalNamespaces.some((p) => globMatch(p, namespace));
}

/** An asset with its statuses, ranked. */
export interface RankedAsset {
  asset: Pick<Asset, 'id' | 'kind' | 'namespace' | 'name'>;
  statuses: Record<Dimension, CellStatus>;
  critical: boolean;
  red: Dimension[];
}

/**
 * Orders assets by how much they matter: critical namespaces first, then most red cells, then most
 * yellow cells, workloads before nodes, then by namespace and name (stable and deterministic).
 */
export function rankAssets(
  items: ReadonlyArray<{ asset: Pick<Asset, 'id' | 'kind' | 'namespace' | 'name'>; code: string }>,
  criticalNamespaces: readonly string[],
): RankedAsset[] {
  const ranked = items.map(({ asset, code }) => {
    const statuses = statusesOfCode(code);
    return {
      asset,
      statuses,
      critical: isCritical(asset.namespace, criticalNamespaces),
      red: DIMENSIONS.filter((d) => statuses[d] === 'red'),
      yellow: DIMENSIONS.filter((d) => statuses[d] === 'yellow').length,
    };
  });
  ranked.sort(
    (a, b) =>
      Number(b.critical) - Number(a.critical) ||
      b.red.length - a.red.length ||
      b.yellow - a.yellow ||
      Number(a.asset.kind === 'Node') - Number(b.asset.kind === 'Node') ||
      a.asset.namespace.localeCompare(b.asset.namespace) ||
      a.asset.name.localeCompare(b.asset.name) ||
      a.asset.kind.localeCompare(b.asset.kind),
  );
  return ranked.map(({ yellow: _y, ...r }) => r);
}
