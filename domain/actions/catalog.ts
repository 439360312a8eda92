/**
 * What each remediation action IS, as data: one {@link ActionTraits} record per action kind in
 * {@link ACTION_TRAITS}. Blast radius, guardrails, the diagnosis prompt, the model's answer schema
 * and planning read these traits; nothing else switches on the action kind. (What an action DOES
 * to the cluster — prepare, dry-run, apply, verify — lives in `agent/actions/<kind>.ts`.)
 *
 * Adding an action: one entry here, one `agent/actions/<kind>.ts` with its line in the agent's
 * `ACTION_CATALOG`, and their tests. The shape follows k8sgpt's analyzer registry
 * (`pkg/analyzer/analyzer.go`): one record per kind, one line each.
 *
 * Pure: no I/O.
 */
import type { TargetRef } from '../diagnosis.ts';

/**
 * What an action does to the workload's pods, which is what blast radius and guardrails weigh:
 * - `replaces_all`: a rollout replaces every pod (restart, rollback, raise_memory);
 * - `replaces_one`: one pod is deleted and its controller recreates it (delete_pod);
 * - `sets_replicas`: the replica count changes (scale; `params.replicas` is required);
 * - `none`: no pod is touched by the action itself (escalate, none, apply_manifest).
 */
export type PodEffect = 'replaces_all' | 'replaces_one' | 'sets_replicas' | 'none';

/** How the diagnosis prompt offers an action to the model. */
export interface ModelHint {
  /** One line: what the action does and when it fits. */
  summary: string;
  /** The `action.params` object it expects, as a JSON-like hint. */
  params: string;
}

/** The traits of one action kind. */
export interface ActionTraits {
  /** Blast-radius points the action adds by itself (`base_risk`), 0–99; overridable by policy weights. */
  baseRisk: number;
  /**
   * Changes nothing in the cluster: never dry-run, executed, approved or learned from; blast
   * radius and guardrails apply only the deny lists to it.
   */
  noOp: boolean;
  /** What the action does to the workload's pods; see {@link PodEffect}. */
  pods: PodEffect;
  /**
   * The action hands the incident to humans: its card's Reject button reads "Dismiss", and
   * dismissing asks no reason.
   */
  handsOver: boolean;
  /** The action in a sentence about downtime, e.g. `a restart` in "single replica: a restart means downtime". */
  phrase: string;
  /** How the diagnosis prompt offers it; `null` when only Watchkeeper itself proposes it (the model may not choose it). */
  model: ModelHint | null;
  /**
   * The card's wording of the action.
   * @param target what it acts on.
   * @param params the plan's params (`toRevision`, `replicas`, `pod`, `container`, `summary`, `count`).
   */
  describe(target: TargetRef, params: Readonly<Record<string, unknown>>): string;
  /** How to undo it, in words (the plan's `rollbackPlan`). */
  undoHint: string;
}

const workload = (target: TargetRef) => `${target.kind.toLowerCase()}/${target.name}`;

/**
 * The action catalog's traits, in catalog order (the order the prompt lists them). Base risks:
 * a restart of a healthy 3-replica Deployment in a non-critical namespace scores 10 (`auto`).
 */
export const ACTION_TRAITS = {
  restart: {
    baseRisk: 10,
    noOp: false,
    pods: 'replaces_all',
    handsOver: false,
    phrase: 'a restart',
    model: { summary: 'Rolling restart of the workload; for stuck or degraded processes, not for bad code or config.', params: '{}' },
    describe: (target) => `rollout restart ${workload(target)}`,
    undoHint: 'rollout undo to the revision before the action (Undo on the result card)',
  },
  rollback: {
    baseRisk: 20,
    noOp: false,
    pods: 'replaces_all',
    handsOver: false,
    phrase: 'a rollback',
    model: {
      summary: 'Roll the Deployment back to its previous revision; when the failure began with the latest rollout.',
      params: '{} or {"revision": <number>}',
    },
    describe: (target, params) => (params.toRevision ? `rollout undo ${workload(target)} to revision ${params.toRevision}` : `rollout undo ${workload(target)}`),
    undoHint: 'rollout undo to the revision before the action (Undo on the result card)',
  },
  scale: {
    baseRisk: 10,
    noOp: false,
    pods: 'sets_replicas',
    handsOver: false,
    phrase: 'scale',
    model: { summary: 'Change the replica count of the workload.', params: '{"replicas": <number>}' },
    describe: (target, params) => `scale ${workload(target)} to ${params.replicas ?? '?'} replicas`,
    undoHint: 'scale back to the previous replica count (Undo)',
  },
  delete_pod: {
    baseRisk: 5,
    noOp: false,
    pods: 'replaces_one',
    handsOver: false,
    phrase: 'deleting the pod',
    model: { summary: 'Delete one stuck pod so its controller recreates it.', params: '{"pod": "<pod name>"}' },
    describe: (target, params) => `delete pod ${params.pod ?? target.name}`,
    undoHint: 'not reversible; the pod’s controller recreates it',
  },
  raise_memory: {
    baseRisk: 20,
    noOp: false,
    pods: 'replaces_all',
    handsOver: false,
    phrase: 'raising memory (a rollout)',
    model: {
      summary: 'Raise the memory limit of one container; when it is OOMKilled.',
      params: '{"container": "<container name>", "memory": "<new limit, e.g. 1Gi>"}',
    },
    describe: (target, params) => `raise memory limit of ${params.container ?? 'container'} in ${workload(target)}`,
    undoHint: 'restore the previous memory limit and request (Undo)',
  },
  escalate: {
    baseRisk: 0,
    noOp: true,
    pods: 'none',
    handsOver: true,
    phrase: 'escalate',
    model: {
      summary: 'Hand over to a human: no catalog action fixes it safely (bad image, missing config, capacity, node faults).',
      params: '{}',
    },
    describe: () => 'escalate to a human (no automatic action)',
    undoHint: 'nothing to undo',
  },
  none: {
    baseRisk: 0,
    noOp: true,
    pods: 'none',
    handsOver: false,
    phrase: 'none',
    model: { summary: 'No action: transient or already recovered.', params: '{}' },
    describe: () => 'no action',
    undoHint: 'nothing to undo',
  },
  apply_manifest: {
    baseRisk: 20,
    noOp: false,
    pods: 'none',
    handsOver: false,
    phrase: 'apply_manifest',
    // Server-side apply of given manifests (drift rollback, generated alerting rules): proposed only by Watchkeeper.
    model: null,
    describe: (_target, params) => `server-side apply ${params.summary ?? `${params.count ?? 'the'} manifest(s)`}`,
    undoHint: 'apply the objects as they were before (Undo)',
  },
} as const satisfies Record<string, ActionTraits>;

/** An action kind: a key of {@link ACTION_TRAITS}. */
export type ActionKind = keyof typeof ACTION_TRAITS;

/** Every action kind, in catalog order. */
export const ACTION_KINDS = Object.freeze(Object.keys(ACTION_TRAITS) as ActionKind[]);

/** The action kinds the model may choose (those with a {@link ActionTraits.model} hint). */
export type ModelActionKind = { [K in ActionKind]: (typeof ACTION_TRAITS)[K]['model'] extends null ? never : K }[ActionKind];

/** The actions a model may choose among, in catalog order; anything else in an answer is discarded. */
export const MODEL_ACTION_KINDS = Object.freeze(ACTION_KINDS.filter((k): k is ModelActionKind => ACTION_TRAITS[k].model !== null));

/**
 * The traits of an action named by a string read from storage or the wire.
 * @returns undefined for a string that is not an action kind.
 */
export function actionTraits(kind: string): ActionTraits | undefined {
  return Object.hasOwn(ACTION_TRAITS, kind) ? ACTION_TRAITS[kind as ActionKind] : undefined;
}

/** The card's wording of an action (its {@link ActionTraits.describe}). */
export function describeAction(action: ActionKind, target: TargetRef, params: Readonly<Record<string, unknown>> = {}): string {
  return ACTION_TRAITS[action].describe(target, params);
}
