/**
 * Blast radius: how much could go wrong if a catalog action runs, as a score 0–100 with one reason
 * per contribution (the approval card lists them), and the approval tier that follows from it.
 *
 * Hard rules score exactly 100 (`blocked`, no execute button): protected namespaces (`kube-system`
 * always, plus the policy list), denied actions, and anything touching Secrets,
 * PersistentVolumeClaims or Namespaces. Everything else is the sum of weighted contributions,
 * capped at 99 so that only a hard rule can block.
 *
 * Tiers ({@link tierForScore}): `auto` ≤ 10, `human` 11–50, `dual` 51–99, `blocked` 100.
 *
 * What each action is (base risk, no-op, what it does to pods) comes from the action traits
 * (`domain/actions/catalog.ts`); nothing here switches on the action kind.
 *
 * Pure: facts about the workload are read from live state by the caller (or with
 * {@link blastRadiusInputFromEvidence}) and passed in as data.
 */
import { ACTION_KINDS, ACTION_TRAITS, type ActionKind } from './actions/catalog.ts';
import type { Evidence } from './diagnosis.ts';
import type { PodDisruptionBudget, PodSpec } from './k8s-objects.ts';
import { globMatch, tierForScore, type Tier } from './remediation/index.ts';

export { tierForScore, type Tier };

/**
 * The object an action is aimed at. {@link TargetRef} fits; the kind is a plain string so that a
 * plan aimed at a `Secret`, `PersistentVolumeClaim` or `Namespace` can be scored (and blocked).
 * `namespace` is empty for cluster-scoped kinds.
 */
export interface BlastTarget {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Volumes the workload's pods mount, counted by how much data is at stake. Config volumes
 * (`configMap`, `secret`, `projected`, `downwardAPI`) are not counted: restarting a pod that mounts
 * a Secret does not touch the Secret.
 */
export interface VolumeFacts {
  /** `persistentVolumeClaim` volumes plus StatefulSet `volumeClaimTemplates`, volumes. */
  persistent: number;
  /** `emptyDir`, `hostPath` and generic `ephemeral` volumes (data tied to the pod or node), volumes. */
  local: number;
}

/**
 * Facts the score depends on, read from live state when planning (and again before executing).
 * Counts are non-negative integers; anything else blocks the action (fail closed).
 */
export interface BlastRadiusInput {
  action: ActionKind;
  target: BlastTarget;
  /** The action's parameters (e.g. `{ replicas: 3 }` for `scale`); scanned for Secrets, PVCs and Namespaces. */
  params?: Readonly<Record<string, unknown>>;
  /** Kind of the workload that owns the pods, when the target is a Pod (default: `target.kind`). */
  workloadKind?: string;
  /** Desired replicas of the workload (`spec.replicas`; 1 for a bare pod), replicas. */
  desiredReplicas: number;
  /** Currently available (ready for `minReadySeconds`) replicas, replicas. */
  availableReplicas: number;
  /**
   * Pods the action touches, pods. Default by the action's pod effect: every desired replica for
   * `replaces_all` (restart, rollback, raise_memory); 1 for `replaces_one` (delete_pod); the replica
   * difference for `sets_replicas` (scale); 0 otherwise.
   */
  affectedPods?: number;
  /**
   * Healthy pods the action takes down at the same time, pods (what a PodDisruptionBudget counts).
   * Default: 1 for actions that replace pods (restart, rollback, raise_memory, delete_pod; 0 when
   * nothing is available); for a scale-down the removed replicas (at most the available ones); 0 otherwise.
   * Pass the exact value when known, e.g. 0 when `delete_pod` removes a pod that is not ready.
   */
  disruptedHealthyPods?: number;
  /** Volumes mounted by the workload's pods. */
  volumes?: VolumeFacts;
  /** The PodDisruptionBudget selecting the workload's pods, as the API server returns it. */
  pdb?: PodDisruptionBudget;
}

/** Points each contribution adds; all configurable through {@link BlastRadiusPolicy.weights}. */
export interface BlastRadiusWeights {
  /** Base risk of each catalog action, points (default: each action's `baseRisk` trait). */
  baseRisk: Readonly<Record<ActionKind, number>>;
  /** The namespace matches a critical pattern. */
  criticalNamespace: number;
  /** A single replica that is up: replacing or deleting it means downtime. */
  singleReplica: number;
  /** Fewer replicas available than desired and the action takes more healthy pods down. */
  degraded: number;
  /** Points by number of affected pods: the highest bracket whose `minPods` is reached applies. */
  affectedPods: ReadonlyArray<{ minPods: number; points: number }>;
  /** The workload is a StatefulSet (ordered, identity-bearing pods). */
  statefulSet: number;
  /** The pods mount PersistentVolumeClaims. */
  persistentVolumes: number;
  /** The pods mount emptyDir/hostPath/ephemeral volumes (data lost or node-bound). */
  localVolumes: number;
  /** The action would take down more healthy pods than the PodDisruptionBudget allows. */
  pdbViolation: number;
  /** `scale` to 0 replicas: the workload goes offline. */
  scaleToZero: number;
}

/** Default weights: a restart of a healthy 3-replica Deployment in a non-critical namespace scores 10 (`auto`). */
export const DEFAULT_BLAST_RADIUS_WEIGHTS: BlastRadiusWeights = Object.freeze({
  baseRisk: Object.freeze(Object.fromEntries(ACTION_KINDS.map((k) => [k, ACTION_TRAITS[k].baseRisk])) as Record<ActionKind, number>),
  criticalNamespace: 25,
  singleReplica: 15,
  degraded: 10,
  affectedPods: Object.freeze([
    { minPods: 4, points: 5 },
    { minPods: 11, points: 10 },
    { minPods: 51, points: 20 },
  ]),
  statefulSet: 15,
  persistentVolumes: 15,
  localVolumes: 5,
  pdbViolation: 40,
  scaleToZero: 30,
});

/** Scoring policy, from config. Patterns are globs where `*` matches any run of characters. */
export interface BlastRadiusPolicy {
  /** Namespaces where nothing ever executes (hard rule). `kube-system` is always protected. */
  protectedNamespaces: readonly string[];
  /** Critical namespaces, e.g. `*-prod`, `production`. */
  criticalNamespaces: readonly string[];
  /** Catalog actions that never execute (hard rule), e.g. `['rollback']`. */
  deniedActions: readonly string[];
  /** Overrides of {@link DEFAULT_BLAST_RADIUS_WEIGHTS}. */
  weights?: Partial<BlastRadiusWeights>;
}

/** Defaults matching `config.ts`: protected `kube-system`, `kube-public`, `kube-node-lease`; critical `*-prod`, `prod`, `production`. */
export const DEFAULT_BLAST_RADIUS_POLICY: BlastRadiusPolicy = Object.freeze({
  protectedNamespaces: Object.freeze(['kube-system', 'kube-public', 'kube-node-lease']),
  criticalNamespaces: Object.freeze(['*-prod', 'prod', 'production']),
  deniedActions: Object.freeze([]),
});

/** Namespaces protected whatever the policy says. */
export const ALWAYS_PROTECTED_NAMESPACES: readonly string[] = Object.freeze(['kube-system']);

/** Names of the hard rules. */
export type HardRule = 'invalid_input' | 'denied_action' | 'protected_namespace' | 'sensitive_kind' | 'sensitive_params' | 'foreign_namespace';

/** Names of the scored contributions. */
export type ContributionRule =
  | 'base_risk'
  | 'critical_namespace'
  | 'single_replica'
  | 'degraded'
  | 'affected_pods'
  | 'stateful_set'
  | 'persistent_volumes'
  | 'local_volumes'
  | 'pdb_violation'
  | 'scale_to_zero';

/** One scored contribution: `points` added for `rule`, explained by `reason`. */
export interface Contribution {
  rule: ContributionRule;
  points: number;
  reason: string;
}

/** One hard rule that fired. */
export interface HardRuleHit {
  rule: HardRule;
  reason: string;
}

/**
 * The score with the reasons shown on the card, best read top to bottom. `reasons` are the
 * contributions' reasons in order (or the hard rules' when blocked).
 */
export interface BlastRadius {
  /** 0–100; exactly 100 only when a hard rule fired. */
  score: number;
  tier: Tier;
  reasons: string[];
  /** Scored contributions (empty when blocked). */
  contributions: Contribution[];
  /** Hard rules that fired (empty unless blocked). */
  hardRules: HardRuleHit[];
}

/** Object kinds whose touching is a hard rule, with their resource names and short names. */
export const SENSITIVE_KINDS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Secret: ['secret', 'secrets'],
  PersistentVolumeClaim: ['persistentvolumeclaim', 'persistentvolumeclaims', 'pvc', 'pvcs'],
  Namespace: ['namespace', 'namespaces', 'ns'],
});

/** Parameter keys (lower-cased, without `-`/`_`) that name a Secret or a PVC. */
const SENSITIVE_PARAM_KEYS: Readonly<Record<string, string>> = {
  secret: 'Secret',
  secrets: 'Secret',
  secretname: 'Secret',
  secretref: 'Secret',
  secretkeyref: 'Secret',
  pvc: 'PersistentVolumeClaim',
  pvcs: 'PersistentVolumeClaim',
  persistentvolumeclaim: 'PersistentVolumeClaim',
  persistentvolumeclaims: 'PersistentVolumeClaim',
  claimname: 'PersistentVolumeClaim',
  volumeclaimtemplates: 'PersistentVolumeClaim',
};

/**
 * Scores an action's blast radius, 0–100, with a reason per contribution.
 *
 * Hard rules (score exactly 100, tier `blocked`, every rule that fired is listed): invalid input
 * (a count that is not a non-negative integer), a denied action, a protected namespace, a target
 * of kind Secret / PersistentVolumeClaim / Namespace, params naming one of those, and params naming
 * a namespace other than the target's. No-op actions (`escalate`, `none`) change nothing, so only
 * the denied list applies to them and they otherwise score their base risk (0).
 *
 * Contributions (default points in {@link DEFAULT_BLAST_RADIUS_WEIGHTS}): the action's base risk;
 * a critical namespace; a single replica that is up (replace/delete means downtime); fewer
 * available than desired when the action takes healthy pods down; the number of affected pods;
 * a StatefulSet; PVC-backed and local volumes; a PodDisruptionBudget the action would violate
 * ({@link pdbAllowedDisruptions}); scaling to 0. The sum is capped at 99.
 *
 * @param input facts read from live state; see {@link BlastRadiusInput}.
 * @param policy protected/critical namespaces, denied actions, weights.
 * @example
 * scoreBlastRadius({ action: 'restart', target: { kind: 'Deployment', namespace: 'shop-prod', name: 'web' },
 *   desiredReplicas: 3, availableReplicas: 3 }, DEFAULT_BLAST_RADIUS_POLICY)
 * // { score: 35, tier: 'human', reasons: ['restart: base risk 10', 'namespace shop-prod is critical (matches *-prod) (+25)'], … }
 */
export function scoreBlastRadius(input: BlastRadiusInput, policy: BlastRadiusPolicy): BlastRadius {
  const weights: BlastRadiusWeights = { ...DEFAULT_BLAST_RADIUS_WEIGHTS, ...policy.weights };
  const hard = hardRules(input, policy);
  if (hard.length > 0) {
    return { score: 100, tier: 'blocked', reasons: hard.map((h) => h.reason), contributions: [], hardRules: hard };
  }

  const { action, target } = input;
  const traits = ACTION_TRAITS[action];
  const contributions: Contribution[] = [];
  const add = (rule: ContributionRule, points: number, reason: string) => {
    if (points !== 0) contributions.push({ rule, points, reason: `${reason} (+${points})` });
  };
  const base = weights.baseRisk[action] ?? 0;
  contributions.push({ rule: 'base_risk', points: base, reason: `${action}: base risk ${base}` });
  if (traits.noOp) return result(contributions);

  const critical = policy.criticalNamespaces.find((p) => globMatch(p, target.namespace));
  if (critical !== undefined) {
    add('critical_namespace', weights.criticalNamespace, `namespace ${target.namespace} is critical (matches ${critical})`);
  }

  const desired = input.desiredReplicas;
  const available = input.availableReplicas;
  const affected = input.affectedPods ?? defaultAffectedPods(input);
  const disrupted = input.disruptedHealthyPods ?? defaultDisruptedHealthyPods(input);
  const replaces = traits.pods === 'replaces_all' || traits.pods === 'replaces_one';

  if (replaces && desired <= 1 && available >= 1) {
    add('single_replica', weights.singleReplica, `single replica: ${traits.phrase} means downtime`);
  } else if (available < desired && disrupted > 0) {
    add('degraded', weights.degraded, `only ${available} of ${desired} replicas available, and the action takes ${pods(disrupted)} down`);
  }

  const bracket = [...weights.affectedPods].sort((a, b) => b.minPods - a.minPods).find((b) => affected >= b.minPods);
  if (bracket) add('affected_pods', bracket.points, `${pods(affected)} affected`);

  if ((input.workloadKind ?? target.kind) === 'StatefulSet') {
    add('stateful_set', weights.statefulSet, 'StatefulSet: pods have stable identities and ordered start-up');
  }
  const volumes = input.volumes ?? { persistent: 0, local: 0 };
  if (volumes.persistent > 0) {
    add('persistent_volumes', weights.persistentVolumes, `pods mount ${plural(volumes.persistent, 'PersistentVolumeClaim')}`);
  }
  if (volumes.local > 0) {
    add('local_volumes', weights.localVolumes, `pods mount ${plural(volumes.local, 'emptyDir/hostPath volume')} whose data is tied to the pod or node`);
  }

  if (input.pdb && disrupted > 0) {
    const budget = pdbAllowedDisruptions(input.pdb, { expectedPods: desired, currentHealthy: available });
    if (budget.kind === 'unreadable') {
      add('pdb_violation', weights.pdbViolation, `PodDisruptionBudget ${pdbName(input.pdb)} is unreadable (${budget.reason}); assuming it would be violated`);
    } else if (disrupted > budget.allowed) {
      add(
        'pdb_violation',
        weights.pdbViolation,
        `PodDisruptionBudget ${pdbName(input.pdb)} allows ${plural(budget.allowed, 'disruption')} (${budget.basis}); the action takes ${pods(disrupted)} down at once`,
      );
    }
  }

  if (traits.pods === 'sets_replicas' && replicasParam(input.params) === 0) {
    add('scale_to_zero', weights.scaleToZero, 'scale to 0 takes the workload offline');
  }
  return result(contributions);
}

function result(contributions: Contribution[]): BlastRadius {
  const total = contributions.reduce((sum, c) => sum + c.points, 0);
  const score = Math.min(99, Math.max(0, total));
  return { score, tier: tierForScore(score), reasons: contributions.map((c) => c.reason), contributions, hardRules: [] };
}

/** Every hard rule that fires for the input, in a fixed order. */
function hardRules(input: BlastRadiusInput, policy: BlastRadiusPolicy): HardRuleHit[] {
  const hits: HardRuleHit[] = [];
  const { action, target } = input;

  for (const [field, value] of [
    ['desiredReplicas', input.desiredReplicas],
    ['availableReplicas', input.availableReplicas],
    ['affectedPods', input.affectedPods],
    ['disruptedHealthyPods', input.disruptedHealthyPods],
    ['volumes.persistent', input.volumes?.persistent],
    ['volumes.local', input.volumes?.local],
  ] as const) {
    if (value !== undefined && !isCount(value)) {
      hits.push({ rule: 'invalid_input', reason: `invalid input: ${field} is ${String(value)}, not a count; refusing to score` });
    }
  }
  if (ACTION_TRAITS[action].pods === 'sets_replicas') {
    const replicas = replicasParam(input.params);
    if (replicas === undefined || !isCount(replicas)) {
      hits.push({ rule: 'invalid_input', reason: `invalid input: ${action} needs params.replicas as a count, got ${String(input.params?.replicas)}` });
    }
  }

  if (policy.deniedActions.includes(action)) {
    hits.push({ rule: 'denied_action', reason: `action ${action} is denied by policy` });
  }
  if (ACTION_TRAITS[action].noOp) return hits;

  const protectedPattern = [...ALWAYS_PROTECTED_NAMESPACES, ...policy.protectedNamespaces].find(
    (p) => target.namespace !== '' && globMatch(p, target.namespace),
  );
  if (protectedPattern !== undefined) {
    hits.push({ rule: 'protected_namespace', reason: `namespace ${target.namespace} is protected (${protectedPattern}): no action may run there` });
  }
  const sensitiveTarget = sensitiveKindOf(target.kind);
  if (sensitiveTarget) {
    hits.push({ rule: 'sensitive_kind', reason: `the target is a ${sensitiveTarget} (${target.kind}/${target.name}): actions never touch ${sensitiveTarget}s` });
  }
  for (const { path, kind } of sensitiveParams(input.params)) {
    hits.push({ rule: 'sensitive_params', reason: `the action's params name a ${kind} (params.${path}): actions never touch ${kind}s` });
  }
  for (const { path, namespace } of namespaceParams(input.params)) {
    if (namespace !== target.namespace) {
      hits.push({
        rule: 'foreign_namespace',
        reason: `the action's params name namespace ${namespace} (params.${path}), not the target's ${target.namespace || '(cluster scope)'}`,
      });
    }
  }
  return hits;
}

/** The sensitive kind a kind or resource name stands for (`secrets` → `Secret`), if any. */
export function sensitiveKindOf(kindOrResource: string): string | undefined {
  const k = kindOrResource.trim().toLowerCase();
  for (const [kind, names] of Object.entries(SENSITIVE_KINDS)) {
    if (names.includes(k)) return kind;
  }
  return undefined;
}

/**
 * Paths in `params` that name a Secret, PVC or Namespace object: a key such as `secretName` or
 * `claimName`, a value that is a kind (`Secret`, `pvc`), or a reference `secrets/db`, `pvc/data-0`,
 * `namespace/shop`. Nested objects and arrays are searched (depth ≤ 6). A `namespace` key is not
 * a Namespace object: see {@link namespaceParams}.
 */
export function sensitiveParams(params: Readonly<Record<string, unknown>> | undefined): Array<{ path: string; kind: string }> {
  const found: Array<{ path: string; kind: string }> = [];
  const visit = (value: unknown, path: string, depth: number) => {
    if (depth > 6 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      const ref = /^([a-z]+)\/\S+$/i.exec(value.trim());
      const kind = sensitiveKindOf(value) ?? (ref ? sensitiveKindOf(ref[1]!) : undefined);
      if (kind) found.push({ path, kind });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, depth + 1));
      return;
    }
    if (typeof value === 'object') {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const childPath = path ? `${path}.${key}` : key;
        const keyKind = SENSITIVE_PARAM_KEYS[key.toLowerCase().replace(/[-_]/g, '')];
        if (keyKind) found.push({ path: childPath, kind: keyKind });
        else visit(v, childPath, depth + 1);
      }
    }
  };
  visit(params ?? {}, '', 0);
  return found;
}

/** Values of `namespace` keys anywhere in `params` (depth ≤ 6), with their paths. */
export function namespaceParams(params: Readonly<Record<string, unknown>> | undefined): Array<{ path: string; namespace: string }> {
  const found: Array<{ path: string; namespace: string }> = [];
  const visit = (value: unknown, path: string, depth: number) => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, `${path}[${i}]`, depth + 1));
      return;
    }
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.toLowerCase() === 'namespace' && typeof v === 'string') found.push({ path: childPath, namespace: v });
      else visit(v, childPath, depth + 1);
    }
  };
  visit(params ?? {}, '', 0);
  return found;
}

/** How many disruptions a PodDisruptionBudget allows, and on what basis (for the card). */
export type PdbBudget =
  | { kind: 'ok'; allowed: number; basis: string }
  /** A `minAvailable`/`maxUnavailable` that is neither an integer nor `N%`: callers fail closed. */
  | { kind: 'unreadable'; reason: string };

/**
 * Disruptions a PodDisruptionBudget allows right now, the way the disruption controller computes
 * `status.disruptionsAllowed`:
 *
 * - `status.disruptionsAllowed` when present (the controller's own figure wins);
 * - `maxUnavailable` (int, or percent of expected pods rounded **up**): desired healthy =
 *   expected − maxUnavailable (not below 0);
 * - `minAvailable` int: desired healthy = minAvailable; percent: ⌈expected × p / 100⌉;
 * - neither: desired healthy = 0;
 * - allowed = max(0, current healthy − desired healthy), and 0 when no pods are expected.
 *
 * @param pdb the budget as the API server returns it.
 * @param fallback expected pods and current healthy pods to use when `status` lacks them
 *   (`status.expectedPods` and `status.currentHealthy` win), pods.
 * @example pdbAllowedDisruptions({ spec: { minAvailable: '50%' } }, { expectedPods: 3, currentHealthy: 3 })
 * // { kind: 'ok', allowed: 1, basis: 'minAvailable 50% of 3 = 2; 3 healthy' }
 */
export function pdbAllowedDisruptions(
  pdb: PodDisruptionBudget,
  fallback: { expectedPods: number; currentHealthy: number },
): PdbBudget {
  const status = pdb.status ?? {};
  if (typeof status.disruptionsAllowed === 'number' && isCount(status.disruptionsAllowed)) {
    return { kind: 'ok', allowed: status.disruptionsAllowed, basis: 'status.disruptionsAllowed' };
  }
  const expected = status.expectedPods ?? fallback.expectedPods;
  const healthy = status.currentHealthy ?? fallback.currentHealthy;
  const spec = pdb.spec ?? {};
  let desiredHealthy = 0;
  let rule = 'no minAvailable or maxUnavailable';
  if (spec.maxUnavailable !== undefined) {
    const max = scaledIntOrPercent(spec.maxUnavailable, expected);
    if (max === undefined) return { kind: 'unreadable', reason: `maxUnavailable ${JSON.stringify(spec.maxUnavailable)}` };
    desiredHealthy = Math.max(0, expected - max);
    rule = `maxUnavailable ${describeIntOrPercent(spec.maxUnavailable, expected, max)}`;
  } else if (spec.minAvailable !== undefined) {
    const min = scaledIntOrPercent(spec.minAvailable, expected);
    if (min === undefined) return { kind: 'unreadable', reason: `minAvailable ${JSON.stringify(spec.minAvailable)}` };
    desiredHealthy = min;
    rule = `minAvailable ${describeIntOrPercent(spec.minAvailable, expected, min)}`;
  }
  const allowed = expected <= 0 ? 0 : Math.max(0, healthy - desiredHealthy);
  return { kind: 'ok', allowed, basis: `${rule}; ${healthy} healthy` };
}

/**
 * An int-or-string as Kubernetes scales it (`intstr.GetScaledValueFromIntOrPercent`, rounding up):
 * an integer as is, `"N%"` as ⌈total × N / 100⌉, a string of digits as that integer.
 * @returns undefined for anything else (negative, fractional, `"abc"`).
 */
export function scaledIntOrPercent(value: number | string, total: number): number | undefined {
  if (typeof value === 'number') return isCount(value) ? value : undefined;
  const pct = /^(\d+)%$/.exec(value.trim());
  if (pct) return Math.ceil((total * Number(pct[1])) / 100);
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
}

function describeIntOrPercent(value: number | string, total: number, scaled: number): string {
  return typeof value === 'string' && value.trim().endsWith('%') ? `${value.trim()} of ${total} = ${scaled}` : String(scaled);
}

/**
 * Volumes of a pod template, counted by data at stake (see {@link VolumeFacts}).
 * @param spec the pod spec (`spec.template.spec` of a workload).
 * @param volumeClaimTemplates a StatefulSet's `spec.volumeClaimTemplates`, counted as persistent.
 */
export function volumeFactsOf(spec: PodSpec | undefined, volumeClaimTemplates: readonly unknown[] = []): VolumeFacts {
  let persistent = volumeClaimTemplates.length;
  let local = 0;
  for (const volume of spec?.volumes ?? []) {
    if ('persistentVolumeClaim' in volume) persistent += 1;
    else if ('emptyDir' in volume || 'hostPath' in volume || 'ephemeral' in volume) local += 1;
  }
  return { persistent, local };
}

/**
 * Builds a {@link BlastRadiusInput} from gathered evidence: desired and available replicas of the
 * Deployment, StatefulSet or DaemonSet (a bare pod counts as 1 desired, available when ready), the
 * pod template's volumes, the PDB, and for `delete_pod` whether the pod named by `params.pod` is
 * ready (a pod that is not ready takes no healthy pod down). Rolling actions take down the
 * Deployment's resolved `maxUnavailable` (25% rounded down by default, Recreate: all; 1 for
 * StatefulSets and DaemonSets), at most the available replicas.
 *
 * @param evidence everything gathered about the target.
 * @param action the planned action.
 * @param params the plan's params (e.g. `{ replicas: 2 }`, `{ pod: 'web-7c9-x2' }`).
 */
export function blastRadiusInputFromEvidence(
  evidence: Evidence,
  action: ActionKind,
  params: Readonly<Record<string, unknown>> = {},
): BlastRadiusInput {
  const { deployment: dep, statefulSet: sts, daemonSet: ds } = evidence;
  let workloadKind: string = evidence.target.kind;
  let desired = 1;
  let available = evidence.pods.some(isPodReady) ? 1 : 0;
  let template: PodSpec | undefined = evidence.pods[0]?.spec;
  let claimTemplates: readonly unknown[] = [];
  let rollingDown = 1;
  if (dep) {
    workloadKind = 'Deployment';
    desired = dep.spec?.replicas ?? 1;
    available = dep.status?.availableReplicas ?? 0;
    template = dep.spec?.template?.spec ?? template;
    rollingDown = deploymentMaxUnavailable(dep.spec?.strategy, desired);
  } else if (sts) {
    workloadKind = 'StatefulSet';
    desired = sts.spec?.replicas ?? 1;
    available = numberOr(sts.status?.availableReplicas, sts.status?.readyReplicas ?? 0);
    template = sts.spec?.template?.spec ?? template;
    claimTemplates = Array.isArray(sts.spec?.volumeClaimTemplates) ? (sts.spec.volumeClaimTemplates as unknown[]) : [];
  } else if (ds) {
    workloadKind = 'DaemonSet';
    desired = ds.status?.desiredNumberScheduled ?? 0;
    available = numberOr(ds.status?.numberAvailable, ds.status?.numberReady ?? 0);
    template = ds.spec?.template?.spec ?? template;
  }

  const effect = ACTION_TRAITS[action].pods;
  let disrupted: number;
  switch (effect) {
    case 'replaces_all':
      disrupted = Math.min(rollingDown, available);
      break;
    case 'replaces_one': {
      const pod = evidence.pods.find((p) => p.metadata?.name === (params.pod ?? evidence.target.name));
      disrupted = pod ? (isPodReady(pod) ? 1 : 0) : Math.min(1, available);
      break;
    }
    case 'sets_replicas': {
      const replicas = replicasParam(params);
      disrupted = replicas === undefined ? 0 : Math.min(available, Math.max(0, desired - replicas));
      break;
    }
    case 'none':
      disrupted = 0;
      break;
  }
  const base: BlastRadiusInput = {
    action,
    target: evidence.target,
    params,
    workloadKind,
    desiredReplicas: desired,
    availableReplicas: available,
    disruptedHealthyPods: disrupted,
    volumes: volumeFactsOf(template, claimTemplates),
    ...(evidence.pdb ? { pdb: evidence.pdb } : {}),
  };
  const affected = effect === 'replaces_all' ? Math.max(desired, evidence.pods.length) : defaultAffectedPods(base);
  return { ...base, affectedPods: affected };
}

/**
 * Pods a Deployment's rollout takes down at once: `Recreate` → all; RollingUpdate → resolved
 * `maxUnavailable` (default 25%, percent rounded **down**, as the deployment controller does); when
 * both maxUnavailable and maxSurge resolve to 0 the controller uses 1.
 */
export function deploymentMaxUnavailable(strategy: Record<string, unknown> | undefined, replicas: number): number {
  if (strategy?.type === 'Recreate') return replicas;
  const rolling = (strategy?.rollingUpdate ?? {}) as { maxUnavailable?: number | string; maxSurge?: number | string };
  const scale = (v: number | string | undefined, dflt: string, roundUp: boolean): number => {
    const value = v ?? dflt;
    if (typeof value === 'number') return value;
    const pct = /^(\d+)%$/.exec(value.trim());
    if (!pct) return Number(value) || 0;
    const raw = (replicas * Number(pct[1])) / 100;
    return roundUp ? Math.ceil(raw) : Math.floor(raw);
  };
  const maxUnavailable = scale(rolling.maxUnavailable, '25%', false);
  const maxSurge = scale(rolling.maxSurge, '25%', true);
  return maxUnavailable === 0 && maxSurge === 0 ? 1 : maxUnavailable;
}

function defaultAffectedPods(input: BlastRadiusInput): number {
  switch (ACTION_TRAITS[input.action].pods) {
    case 'replaces_all':
      return input.desiredReplicas;
    case 'replaces_one':
      return 1;
    case 'sets_replicas': {
      const replicas = replicasParam(input.params);
      return replicas === undefined ? 0 : Math.abs(replicas - input.desiredReplicas);
    }
    case 'none':
      return 0;
  }
}

function defaultDisruptedHealthyPods(input: BlastRadiusInput): number {
  switch (ACTION_TRAITS[input.action].pods) {
    case 'replaces_all':
    case 'replaces_one':
      return Math.min(1, input.availableReplicas);
    case 'sets_replicas': {
      const replicas = replicasParam(input.params);
      return replicas === undefined ? 0 : Math.min(input.availableReplicas, Math.max(0, input.desiredReplicas - replicas));
    }
    case 'none':
      return 0;
  }
}

/** `params.replicas` as a number (numeric strings accepted), or undefined. */
function replicasParam(params: Readonly<Record<string, unknown>> | undefined): number | undefined {
  const r = params?.replicas;
  if (typeof r === 'number') return r;
  if (typeof r === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(r)) return Number(r);
  return undefined;
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function isPodReady(pod: { status?: { conditions?: Array<{ type: string; status: string }> } }): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function pdbName(pdb: PodDisruptionBudget): string {
  return pdb.metadata?.name ?? '(unnamed)';
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function pods(n: number): string {
  return plural(n, 'pod');
}
