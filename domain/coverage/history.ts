/**
 * The dimensions read from Watchkeeper's own history: knowledge, playbook, remediation, rule
 * matching and rule creation. Each takes the already-aggregated rows of one set-based query and
 * resolves what they name to assets through the {@link AssetIndex}. Pure.
 */
import type { AssetIndex, LooseRef } from './resolve.ts';
import type { Asset, Cell } from './types.ts';

/** Knowledge entries (not discarded) grouped by the target they name. */
export interface KnowledgeFact {
  /** `namespace/Kind/name` as stored. */
  target: string;
  kind: 'runbook' | 'anti_pattern';
  status: 'draft' | 'published';
  count: number;
  title: string;
}

/** Published playbooks grouped by target. */
export interface PlaybookFact {
  target: string;
  count: number;
  /** Best trust score (0–1). */
  trust: number;
  actions: string[];
}

/** Executed actions in the window, grouped by target. */
export interface ActionFact extends LooseRef {
  count: number;
  lastAt: Date;
  lastAction: string;
  lastState: string;
}

/** Incidents in the window, grouped by (resolved) target. */
export interface IncidentFact extends LooseRef {
  count: number;
  lastAt: Date;
  lastAlertname: string;
  lastIncidentId: number;
}

/** Alerting rules Watchkeeper proposed for an asset, with the state of their remediation. */
export interface CreatedRuleFact {
  assetId: number;
  ruleName: string;
  namespace: string;
  remediationId: number;
  /** State of the apply_manifest remediation (`succeeded` = applied and verified). */
  state: string;
  appliedAt?: Date;
}

/** Source names in evidence. */
export const HISTORY_SOURCES = {
  knowledge: 'postgres knowledge_entry',
  playbook: 'postgres playbook',
  remediation: 'postgres remediation',
  rule_matching: 'postgres incident',
  rule_creation: 'postgres coverage_rule',
} as const;

function group<T>(facts: readonly T[], idOf: (f: T) => number | undefined): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const f of facts) {
    const id = idOf(f);
    if (id === undefined) continue;
    const list = out.get(id);
    if (list) list.push(f);
    else out.set(id, [f]);
  }
  return out;
}

/** Knowledge: green when a runbook or anti-pattern names the asset, else yellow. */
export function knowledgeCells(assets: readonly Asset[], facts: readonly KnowledgeFact[], index: AssetIndex): Map<number, Cell> {
  const byAsset = group(facts, (f) => index.resolveText(f.target));
  const none: Cell = { status: 'yellow', evidence: { source: HISTORY_SOURCES.knowledge, why: 'no runbook or anti-pattern names it' } };
  const out = new Map<number, Cell>();
  for (const a of assets) {
    const found = byAsset.get(a.id);
    if (!found) {
      out.set(a.id, none);
      continue;
    }
    const runbooks = found.filter((f) => f.kind === 'runbook').reduce((n, f) => n + f.count, 0);
    const anti = found.filter((f) => f.kind === 'anti_pattern').reduce((n, f) => n + f.count, 0);
    const drafts = found.filter((f) => f.status === 'draft').reduce((n, f) => n + f.count, 0);
    const parts = [runbooks ? `${runbooks} runbook${runbooks === 1 ? '' : 's'}` : '', anti ? `${anti} anti-pattern${anti === 1 ? '' : 's'}` : ''].filter(Boolean);
    out.set(a.id, {
      status: 'green',
      evidence: {
        source: HISTORY_SOURCES.knowledge,
        why: `${parts.join(' and ')} name${runbooks + anti === 1 ? 's' : ''} it${drafts ? ` (${drafts} still draft)` : ''}: “${found[0].title.slice(0, 80)}”`,
        details: { runbooks, antiPatterns: anti, drafts },
      },
    });
  }
  return out;
}

/** Playbook: green when a published playbook applies to the asset, else yellow. */
export function playbookCells(assets: readonly Asset[], facts: readonly PlaybookFact[], index: AssetIndex): Map<number, Cell> {
  const byAsset = group(facts, (f) => index.resolveText(f.target));
  const none: Cell = { status: 'yellow', evidence: { source: HISTORY_SOURCES.playbook, why: 'no published playbook applies to it' } };
  const out = new Map<number, Cell>();
  for (const a of assets) {
    const found = byAsset.get(a.id);
    if (!found) {
      out.set(a.id, none);
      continue;
    }
    const count = found.reduce((n, f) => n + f.count, 0);
    const actions = [...new Set(found.flatMap((f) => f.actions))];
    const trust = Math.max(...found.map((f) => f.trust));
    out.set(a.id, {
      status: 'green',
      evidence: {
        source: HISTORY_SOURCES.playbook,
        why: `${count} published playbook${count === 1 ? '' : 's'} (${actions.join(', ')}), best trust ${Math.round(trust * 100)}%`,
        details: { playbooks: count, actions, trust },
      },
    });
  }
  return out;
}

/**
 * Remediation: green when an action ran on the asset in the window; red for a workload with none;
 * yellow for a node with none (the catalog has no node actions yet).
 */
export function remediationCells(assets: readonly Asset[], facts: readonly ActionFact[], index: AssetIndex, windowDays: number): Map<number, Cell> {
  const byAsset = group(facts, (f) => index.resolve(f));
  const out = new Map<number, Cell>();
  const red: Cell = { status: 'red', evidence: { source: HISTORY_SOURCES.remediation, why: `no action ran on it in the last ${windowDays} days` } };
  const yellow: Cell = {
    status: 'yellow',
    evidence: { source: HISTORY_SOURCES.remediation, why: `no action ran on this node in the last ${windowDays} days (no catalog action targets nodes)` },
  };
  for (const a of assets) {
    const found = byAsset.get(a.id);
    if (!found) {
      out.set(a.id, a.kind === 'Node' ? yellow : red);
      continue;
    }
    const count = found.reduce((n, f) => n + f.count, 0);
    const last = found.reduce((x, f) => (f.lastAt > x.lastAt ? f : x));
    out.set(a.id, {
      status: 'green',
      evidence: {
        source: HISTORY_SOURCES.remediation,
        why: `${count} action${count === 1 ? '' : 's'} ran in the last ${windowDays} days; last: ${last.lastAction} (${last.lastState}) on ${last.lastAt.toISOString().slice(0, 10)}`,
        details: { actions: count, lastAction: last.lastAction, lastState: last.lastState, lastAt: last.lastAt.toISOString() },
      },
    });
  }
  return out;
}

/** Rule matching: green when an incident matched the asset in the window, else yellow. */
export function ruleMatchingCells(assets: readonly Asset[], facts: readonly IncidentFact[], index: AssetIndex, windowDays: number): Map<number, Cell> {
  const byAsset = group(facts, (f) => index.resolve(f));
  const none: Cell = { status: 'yellow', evidence: { source: HISTORY_SOURCES.rule_matching, why: `no incident matched it in the last ${windowDays} days` } };
  const out = new Map<number, Cell>();
  for (const a of assets) {
    const found = byAsset.get(a.id);
    if (!found) {
      out.set(a.id, none);
      continue;
    }
    const count = found.reduce((n, f) => n + f.count, 0);
    const last = found.reduce((x, f) => (f.lastAt > x.lastAt ? f : x));
    out.set(a.id, {
      status: 'green',
      evidence: {
        source: HISTORY_SOURCES.rule_matching,
        why: `${count} incident${count === 1 ? '' : 's'} matched it in the last ${windowDays} days; last: ${last.lastAlertname} (#${last.lastIncidentId}) on ${last.lastAt.toISOString().slice(0, 10)}`,
        details: { incidents: count, lastIncidentId: last.lastIncidentId, lastAlertname: last.lastAlertname },
      },
    });
  }
  return out;
}

/** Options of {@link ruleCreationCells}. */
export interface RuleCreationOptions {
  /** Evaluation time. */
  now: Date;
  /**
   * How long after being applied a rule may be missing from Prometheus (the operator and
   * Prometheus reload), minutes (default 30). Past that, an applied rule Prometheus does not serve
   * (deleted, or not picked up by the Prometheus `ruleSelector`) no longer counts.
   */
  loadGraceMinutes?: number;
}

/**
 * Rule creation: green when an alerting rule created by Watchkeeper covers the asset — its
 * proposal was approved and applied (remediation `succeeded`) and Prometheus serves it (or the
 * rules source is down, or it was applied within the grace period), or Prometheus serves a rule
 * labelled `watchkeeper_asset` for it — else red (saying why: none, pending, or applied but not served).
 * @param loaded rule names Prometheus serves per asset ref (label `watchkeeper_asset`); undefined when the rules source failed.
 */
export function ruleCreationCells(
  assets: readonly Asset[],
  facts: readonly CreatedRuleFact[],
  loaded: ReadonlyMap<string, string[]> | undefined,
  refOf: (a: Asset) => string,
  options: RuleCreationOptions,
): Map<number, Cell> {
  const byAsset = group(facts, (f) => f.assetId);
  const graceMs = (options.loadGraceMinutes ?? 30) * 60_000;
  const out = new Map<number, Cell>();
  for (const a of assets) {
    const found = byAsset.get(a.id) ?? [];
    const applied = found
      .filter((f) => f.state === 'succeeded')
      .sort((x, y) => (y.appliedAt?.getTime() ?? 0) - (x.appliedAt?.getTime() ?? 0))[0];
    const served = loaded?.get(refOf(a)) ?? [];
    const fresh = applied !== undefined && options.now.getTime() - (applied.appliedAt?.getTime() ?? 0) < graceMs;
    const rule = applied ? `${applied.namespace}/${applied.ruleName}` : undefined;
    if (served.length || (applied && (loaded === undefined || fresh))) {
      out.set(a.id, {
        status: 'green',
        evidence: {
          source: HISTORY_SOURCES.rule_creation,
          why: applied
            ? `Watchkeeper created PrometheusRule ${rule} (remediation #${applied.remediationId}${applied.appliedAt ? `, applied ${applied.appliedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''})` +
              (loaded === undefined ? '' : served.length ? `; Prometheus serves ${served.length} of its alerts` : '; not loaded by Prometheus yet')
            : `Prometheus serves ${served.length} alert${served.length === 1 ? '' : 's'} labelled watchkeeper_asset for it (${served.slice(0, 3).join(', ')})`,
          details: { rule, remediationId: applied?.remediationId, servedAlerts: served },
        },
      });
      continue;
    }
    const pending = found.find((f) => ['pending', 'approved', 'executing', 'verifying', 'snoozed'].includes(f.state));
    out.set(a.id, {
      status: 'red',
      evidence: {
        source: HISTORY_SOURCES.rule_creation,
        why: applied
          ? `Watchkeeper applied PrometheusRule ${rule} (remediation #${applied.remediationId}) but Prometheus does not serve it: deleted, or not picked up by the Prometheus ruleSelector (see COVERAGE_RULE_LABELS)`
          : pending
            ? `proposed rule ${pending.namespace}/${pending.ruleName} is ${pending.state} (remediation #${pending.remediationId}); not applied yet`
            : 'no alerting rule created by Watchkeeper covers it',
        details: applied ? { rule, remediationId: applied.remediationId } : pending ? { remediationId: pending.remediationId, state: pending.state } : undefined,
      },
    });
  }
  return out;
}
