/**
 * Evaluation of the seven dimensions for a whole inventory at once (set-based: each data source
 * was read once for all assets). A source that failed leaves only its dimension `unknown`, with the
 * error as evidence. Pure.
 */
import { alertingCells, compileRules, RULES_SOURCE, type AlertingRule } from './alerting.ts';
import {
  HISTORY_SOURCES,
  knowledgeCells,
  playbookCells,
  remediationCells,
  ruleCreationCells,
  ruleMatchingCells,
  type ActionFact,
  type CreatedRuleFact,
  type IncidentFact,
  type KnowledgeFact,
  type PlaybookFact,
  type RuleCreationOptions,
} from './history.ts';
import { monitoringCells, TARGETS_SOURCE, type ScrapeTarget } from './monitoring.ts';
import { AssetIndex } from './resolve.ts';
import { assetRef, DIMENSIONS, type Asset, type AssetCells, type Cell, type Dimension } from './types.ts';

/** What a data source gave: its value, or the error that stopped it. */
export type SourceResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Every data source of an evaluation, each read once for all assets. */
export interface CoverageSources {
  targets: SourceResult<ScrapeTarget[]>;
  rules: SourceResult<AlertingRule[]>;
  knowledge: SourceResult<KnowledgeFact[]>;
  playbooks: SourceResult<PlaybookFact[]>;
  actions: SourceResult<ActionFact[]>;
  incidents: SourceResult<IncidentFact[]>;
  createdRules: SourceResult<CreatedRuleFact[]>;
}

/** Which source feeds which dimension (evidence `source` of an unknown cell). */
export const DIMENSION_SOURCES: Readonly<Record<Dimension, { key: keyof CoverageSources; name: string }>> = {
  monitoring: { key: 'targets', name: TARGETS_SOURCE },
  alerting: { key: 'rules', name: RULES_SOURCE },
  knowledge: { key: 'knowledge', name: HISTORY_SOURCES.knowledge },
  playbook: { key: 'playbooks', name: HISTORY_SOURCES.playbook },
  remediation: { key: 'actions', name: HISTORY_SOURCES.remediation },
  rule_matching: { key: 'incidents', name: HISTORY_SOURCES.rule_matching },
  rule_creation: { key: 'createdRules', name: HISTORY_SOURCES.rule_creation },
};

/** Options of {@link evaluateCoverage}. */
export interface EvaluateOptions {
  /** Evaluation time (windows are computed by the queries; this dates the rule-creation grace). */
  now: Date;
  /** Window of the remediation and rule-matching dimensions, days (default 30). */
  windowDays?: number;
  /** See {@link RuleCreationOptions.loadGraceMinutes}. */
  loadGraceMinutes?: number;
}

/**
 * Evaluates every asset on every dimension.
 * @returns cells by asset id (every asset, every dimension).
 */
export function evaluateCoverage(assets: readonly Asset[], sources: CoverageSources, options: EvaluateOptions): Map<number, AssetCells> {
  const windowDays = options.windowDays ?? 30;
  const index = new AssetIndex(assets);
  const rules = sources.rules.ok ? compileRules(sources.rules.value) : undefined;
  const columns: Record<Dimension, Map<number, Cell> | string> = {
    monitoring: sources.targets.ok ? monitoringCells(assets, sources.targets.value, index) : sources.targets.error,
    alerting: rules ? alertingCells(assets, rules) : (sources.rules as { error: string }).error,
    knowledge: sources.knowledge.ok ? knowledgeCells(assets, sources.knowledge.value, index) : sources.knowledge.error,
    playbook: sources.playbooks.ok ? playbookCells(assets, sources.playbooks.value, index) : sources.playbooks.error,
    remediation: sources.actions.ok ? remediationCells(assets, sources.actions.value, index, windowDays) : sources.actions.error,
    rule_matching: sources.incidents.ok ? ruleMatchingCells(assets, sources.incidents.value, index, windowDays) : sources.incidents.error,
    rule_creation: sources.createdRules.ok
      ? ruleCreationCells(assets, sources.createdRules.value, rules?.watchkeeperRules, assetRef, { now: options.now, loadGraceMinutes: options.loadGraceMinutes })
      : sources.createdRules.error,
  };
  const unknown = new Map<Dimension, Cell>();
  for (const d of DIMENSIONS) {
    const col = columns[d];
    if (typeof col === 'string') {
      unknown.set(d, { status: 'unknown', evidence: { source: DIMENSION_SOURCES[d].name, why: `data source failed: ${col}`.slice(0, 500) } });
    }
  }
  const out = new Map<number, AssetCells>();
  for (const a of assets) {
    const cells = {} as AssetCells;
    for (const d of DIMENSIONS) {
      const col = columns[d];
      cells[d] = typeof col === 'string' ? unknown.get(d)! : col.get(a.id)!;
    }
    out.set(a.id, cells);
  }
  return out;
}
