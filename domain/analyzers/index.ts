/**
 * The rule analyzers (k8sgpt-style: one per kind or concern, pure functions over already-fetched
 * evidence) and the functions that run them: {@link analyze}, {@link bestFinding} and the
 * rules-only diagnosis used when no model answers.
 *
 * To add an analyzer: implement `Analyzer` in its own file and add one line to {@link ANALYZERS}.
 */
import { type ActionKind, type Analyzer, type Category, type Evidence, type Finding, type TargetKind, type TargetRef, actionAppliesTo } from '../diagnosis.ts';
import { configErrorAnalyzer } from './container-config.ts';
import { badRolloutAnalyzer, rolloutStuckAnalyzer } from './deployment.ts';
import { evictedAnalyzer } from './eviction.ts';
import { probeFailureAnalyzer } from './events.ts';
import { hpaMaxedAnalyzer } from './hpa.ts';
import { imagePullAnalyzer } from './image-pull.ts';
import { initFailureAnalyzer } from './init-containers.ts';
import { jobFailedAnalyzer } from './job.ts';
import { logSignatureAnalyzer } from './log-signatures.ts';
import { networkBlockedAnalyzer } from './network.ts';
import { pdbBlockingAnalyzer } from './pdb.ts';
import { probeMisconfiguredAnalyzer } from './probes.ts';
import { quotaExceededAnalyzer } from './quota.ts';
import { cpuThrottledAnalyzer } from './throttling.ts';
import { volumeMountFailedAnalyzer, volumeUnboundAnalyzer } from './volumes.ts';
import { nodeNotReadyAnalyzer, nodePressureAnalyzer } from './node.ts';
import { crashLoopAnalyzer, oomKilledAnalyzer } from './pod.ts';
import { unschedulableAnalyzer } from './scheduling.ts';

/** Every analyzer, run in this order by {@link analyze}. */
export const ANALYZERS: readonly Analyzer[] = [
  logSignatureAnalyzer,
  crashLoopAnalyzer,
  oomKilledAnalyzer,
  imagePullAnalyzer,
  configErrorAnalyzer,
  initFailureAnalyzer,
  probeFailureAnalyzer,
  unschedulableAnalyzer,
  evictedAnalyzer,
  rolloutStuckAnalyzer,
  badRolloutAnalyzer,
  jobFailedAnalyzer,
  nodeNotReadyAnalyzer,
  nodePressureAnalyzer,
  hpaMaxedAnalyzer,
  probeMisconfiguredAnalyzer,
  quotaExceededAnalyzer,
  volumeUnboundAnalyzer,
  volumeMountFailedAnalyzer,
  pdbBlockingAnalyzer,
  cpuThrottledAnalyzer,
  networkBlockedAnalyzer,
];

/**
 * Tie-break between findings of equal confidence: root causes before symptoms (a bad rollout
 * explains its crash-looping pods; crash-looping pods explain a stuck rollout).
 */
export const CATEGORY_PRIORITY: readonly Category[] = [
  'bad_rollout',
  'node_not_ready',
  'image_arch_mismatch',
  'oom_killed',
  'quota_exceeded',
  'volume_unbound',
  'volume_mount_failed',
  'config_error',
  'probe_misconfigured',
  'image_pull',
  'init_failure',
  'unschedulable',
  'network_blocked',
  'probe_failure',
  'crash_loop',
  'job_failed',
  'evicted',
  'node_pressure',
  'pdb_blocking',
  'cpu_throttled',
  'rollout_stuck',
  'hpa_maxed',
  'unknown',
];

/** Most evidence lines kept on one finding after merging. */
export const MAX_EVIDENCE_LINES = 12;

/**
 * Run every analyzer over the evidence.
 *
 * Findings that say the same thing about different pods (same analyzer, category, cause and
 * actions) are merged into one: the first pod stays the subject, evidence lines are pooled (at most
 * {@link MAX_EVIDENCE_LINES}) and `params.affectedPods` counts the pods.
 *
 * Ranking by target: each finding keeps only the actions that can apply to the evidence's target
 * kind ({@link actionAppliesTo}; `escalate` when none can; a Pod target keeps all), and findings about the target itself
 * outrank findings about its neighbours ({@link isAboutTarget}: on a Node target, the pods of
 * other workloads it runs).
 *
 * @param evidence everything gathered about one target.
 * @param analyzers the analyzers to run (default {@link ANALYZERS}).
 * @returns findings sorted best first: about the target first, then higher confidence, then
 *   {@link CATEGORY_PRIORITY}.
 */
export function analyze(evidence: Evidence, analyzers: readonly Analyzer[] = ANALYZERS): Finding[] {
  const target = evidence.target;
  const findings = mergeDuplicates(analyzers.flatMap((a) => a.analyze(evidence))).map((f) => fitActionsToTarget(f, target.kind));
  return findings.sort((a, b) => Number(isAboutTarget(b, target)) - Number(isAboutTarget(a, target)) || compareFindings(a, b));
}

/**
 * Whether a finding is about the incident's target rather than a neighbour. On a Node target only
 * findings whose subject is that Node are (the pods it runs belong to other workloads); for a
 * workload or Pod target every finding is (its pods, and the nodes that host them, explain it).
 */
export function isAboutTarget(finding: Finding, target: TargetRef): boolean {
  return target.kind !== 'Node' || finding.subject === `Node/${target.name}`;
}

/**
 * The finding with only the actions that can apply to the target kind (`escalate` when none can).
 * A Pod target keeps every action: a pod dumped without its controller is acted on through it.
 */
function fitActionsToTarget(finding: Finding, kind: TargetKind): Finding {
  if (kind === 'Pod') return finding;
  const actions = finding.actions.filter((a) => actionAppliesTo(a, kind));
  if (actions.length === finding.actions.length) return finding;
  return { ...finding, actions: actions.length > 0 ? actions : ['escalate'] };
}

/** Order for {@link analyze}: higher confidence first, then {@link CATEGORY_PRIORITY}. */
export function compareFindings(a: Finding, b: Finding): number {
  return b.confidence - a.confidence || CATEGORY_PRIORITY.indexOf(a.category) - CATEGORY_PRIORITY.indexOf(b.category);
}

/**
 * The single most likely cause, or `undefined` when no analyzer matched.
 *
 * @param evidence everything gathered about one target.
 */
export function bestFinding(evidence: Evidence): Finding | undefined {
  return analyze(evidence)[0];
}

function mergeDuplicates(findings: Finding[]): Finding[] {
  const merged = new Map<string, { finding: Finding; count: number }>();
  for (const f of findings) {
    const key = JSON.stringify([f.analyzer, f.category, f.cause, f.actions]);
    const seen = merged.get(key);
    if (!seen) {
      merged.set(key, { finding: f, count: 1 });
      continue;
    }
    seen.count += 1;
    seen.finding = {
      ...seen.finding,
      evidence: [...new Set([...seen.finding.evidence, ...f.evidence])].slice(0, MAX_EVIDENCE_LINES),
      confidence: Math.max(seen.finding.confidence, f.confidence),
    };
  }
  return [...merged.values()].map(({ finding, count }) =>
    count > 1 ? { ...finding, params: { ...finding.params, affectedPods: count } } : finding,
  );
}

/** A diagnosis made by the rule analyzers alone (no model), as shown on a "rules only" card. */
export interface RulesOnlyDiagnosis {
  category: Category;
  /** The best finding's first action; `escalate` when nothing matched. */
  action: ActionKind;
  cause: string;
  /** 0–1; 0 when nothing matched. */
  confidence: number;
  evidence: string[];
  /** The finding the diagnosis comes from; absent when no analyzer matched. */
  finding?: Finding;
}

/**
 * Diagnose from the analyzers alone: the best finding's category, first action, cause, confidence
 * and evidence. With no finding the answer is category `unknown`, action `escalate`, confidence 0,
 * and the cause says so (naming the evidence gaps, if any).
 *
 * @param evidence everything gathered about one target.
 * @example rulesOnlyDiagnosis(evidence) // { category: 'oom_killed', action: 'raise_memory', … }
 */
export function rulesOnlyDiagnosis(evidence: Evidence): RulesOnlyDiagnosis {
  const finding = bestFinding(evidence);
  if (!finding) {
    const gaps = evidence.gaps.length > 0 ? `; evidence gaps: ${evidence.gaps.join('; ')}` : '';
    return { category: 'unknown', action: 'escalate', cause: `No rule matched the evidence${gaps}`, confidence: 0, evidence: [] };
  }
  return {
    category: finding.category,
    action: finding.actions[0] ?? 'escalate',
    cause: finding.cause,
    confidence: finding.confidence,
    evidence: finding.evidence,
    finding,
  };
}

/** Helpers other layers reuse: exit-code meanings (cards, prompts) and rollout-history reading (rollback plans). */
export { explainExitCode, describeExitCode } from './exit-codes.ts';
export { templateChanges, findBadRollout } from './revisions.ts';
