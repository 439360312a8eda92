/**
 * Drift detection: desired objects (from Git) against live objects (from the cluster), giving one
 * item per drifted field, per object missing from the cluster, and per owned object missing
 * from Git. Pure; the rule tables in `./rules.ts` drive everything, extended by options.
 */
import type { KObject } from '../k8s-objects.ts';
import { diffDeclared } from './compare.ts';
import { formatPath } from './path.ts';
import { compareText, pairObjects, type ObjectPair, type ObjectRef, type PairingOptions } from './pairing.ts';
import { compileRuleSet, type ObjectRules, type RuleSet } from './ruleset.ts';
import { maskPair, normalizeSecret } from './secrets.ts';
import {
  DEFAULT_ALLOW_RULES,
  DEFAULT_AUTOSCALER_KINDS,
  DEFAULT_CLUSTER_SCOPED_KINDS,
  DEFAULT_DERIVED_KINDS,
  DEFAULT_HIDDEN_VALUE_RULES,
  DEFAULT_IGNORE_RULES,
  DEFAULT_KEYED_LIST_RULES,
  DEFAULT_LEVEL_RULES,
  DEFAULT_NORMALISER_RULES,
  type AllowCondition,
  type AllowRule,
  type DriftLevel,
  type IgnoreRule,
  type KeyedListRule,
  type LevelRule,
  type NormaliserRule,
} from './rules.ts';

/** What kind of drift an item is. */
export type DriftChange =
  /** A field Git declares has another value live (or is absent live). */
  | 'modified'
  /** The object is in Git but not in the cluster (`path` is `""`). */
  | 'missing'
  /** The object carries the ownership label in the cluster but is not in Git (`path` is `""`). */
  | 'not_in_git';

/**
 * One drifted field or object.
 *
 * `path` is dot-separated with keyed list elements in brackets
 * (`spec.template.spec.containers[web].image`); dots inside map keys are escaped as in kubectl
 * JSONPath (`metadata.annotations.prometheus\.io/port`); `""` for object-level changes.
 * `gitValue`/`liveValue` are JSON values, `null` on the side that has nothing; for `missing` and
 * `not_in_git` both are `null` (the objects themselves are in the inputs, and a live object's
 * ever-changing metadata must not alter the fingerprint).
 */
export interface DriftItem {
  readonly change: DriftChange;
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly gitValue: unknown;
  readonly liveValue: unknown;
  readonly level: DriftLevel;
}

/** A label that marks live objects as belonging to a desired-state source. */
export interface OwnershipLabel {
  readonly key: string;
  /** Required value; omitted means any value. */
  readonly value?: string;
}

/** The ownership label used when none is configured. */
export const DEFAULT_OWNERSHIP_LABEL: OwnershipLabel = { key: 'app.kubernetes.io/managed-by', value: 'watchkeeper' };

/**
 * Options of {@link detectDrift}; every field has a default. Extra rules are added to the
 * defaults (level rules take precedence over the defaults, the others simply add).
 */
export interface DriftOptions {
  /** Namespace of desired namespaced objects that declare none. Default `"default"`. */
  readonly defaultNamespace?: string;
  /**
   * Live objects with this label that are not in Git are reported `not_in_git`; `null` disables
   * that check. Default {@link DEFAULT_OWNERSHIP_LABEL}.
   */
  readonly ownershipLabel?: OwnershipLabel | null;
  readonly ignore?: readonly IgnoreRule[];
  readonly normalisers?: readonly NormaliserRule[];
  readonly keyedLists?: readonly KeyedListRule[];
  readonly levels?: readonly LevelRule[];
  readonly allow?: readonly AllowRule[];
  /** Added to {@link DEFAULT_HIDDEN_VALUE_RULES}: values at these paths are masked in items. */
  readonly hide?: readonly IgnoreRule[];
  /** Added to {@link DEFAULT_DERIVED_KINDS}: never reported `not_in_git`. */
  readonly derivedKinds?: readonly string[];
  /** Added to {@link DEFAULT_CLUSTER_SCOPED_KINDS}. */
  readonly clusterScopedKinds?: readonly string[];
  /** Added to {@link DEFAULT_AUTOSCALER_KINDS}. */
  readonly autoscalerKinds?: readonly string[];
  /** Level of `missing` items. Default `high`: something Git requires is not running. */
  readonly missingLevel?: DriftLevel;
  /** Level of `not_in_git` items. Default `medium`. */
  readonly notInGitLevel?: DriftLevel;
}

/**
 * Compares desired objects with live objects.
 *
 * @param desired objects as declared in Git (already rendered; `kind: List` expanded).
 * @param live objects as the API server returns them (status and defaults included).
 * @returns drift items sorted by namespace, kind, name, group, then path; `[]` when in sync.
 * @throws {InvalidPathPattern} when a rule from `options` has a malformed path.
 * @example
 * detectDrift(gitObjects, clusterObjects, { defaultNamespace: 'shop' })
 * // [{ change: 'modified', kind: 'Deployment', namespace: 'shop', name: 'web',
 * //    path: 'spec.template.spec.containers[web].image', gitValue: 'web:1.2', liveValue: 'web:1.3', level: 'high', group: 'apps' }]
 */
export function detectDrift(desired: readonly KObject[], live: readonly KObject[], options: DriftOptions = {}): DriftItem[] {
  const settings = resolveOptions(options);
  const { pairs } = pairObjects(desired, live, settings.pairing);
  const autoscaled = autoscaledTargets([...desired, ...live], settings.pairing.defaultNamespace, settings.autoscalerKinds);
  return pairs.flatMap((pair) => pairItems(pair, settings, autoscaled)).sort(compareItems);
}

/** {@link DriftOptions} merged with the defaults and compiled. */
interface Settings {
  readonly pairing: PairingOptions;
  readonly ruleSet: RuleSet;
  readonly autoscalerKinds: readonly string[];
  readonly ownership: OwnershipLabel | null;
  readonly derivedKinds: readonly string[];
  readonly missingLevel: DriftLevel;
  readonly notInGitLevel: DriftLevel;
}

function resolveOptions(options: DriftOptions): Settings {
  return {
    pairing: {
      defaultNamespace: options.defaultNamespace ?? 'default',
      clusterScopedKinds: [...DEFAULT_CLUSTER_SCOPED_KINDS, ...(options.clusterScopedKinds ?? [])],
    },
    ruleSet: compileRuleSet({
      ignore: [...DEFAULT_IGNORE_RULES, ...(options.ignore ?? [])],
      normalisers: [...DEFAULT_NORMALISER_RULES, ...(options.normalisers ?? [])],
      keyedLists: [...(options.keyedLists ?? []), ...DEFAULT_KEYED_LIST_RULES],
      levels: [...(options.levels ?? []), ...DEFAULT_LEVEL_RULES],
      allow: [...DEFAULT_ALLOW_RULES, ...(options.allow ?? [])],
      hidden: [...DEFAULT_HIDDEN_VALUE_RULES, ...(options.hide ?? [])],
    }),
    autoscalerKinds: [...DEFAULT_AUTOSCALER_KINDS, ...(options.autoscalerKinds ?? [])],
    ownership: options.ownershipLabel === undefined ? DEFAULT_OWNERSHIP_LABEL : options.ownershipLabel,
    derivedKinds: [...DEFAULT_DERIVED_KINDS, ...(options.derivedKinds ?? [])],
    missingLevel: options.missingLevel ?? 'high',
    notInGitLevel: options.notInGitLevel ?? 'medium',
  };
}

function pairItems({ ref, desired, live }: ObjectPair, settings: Settings, autoscaled: ReadonlySet<string>): DriftItem[] {
  if (desired && live) {
    const rules = settings.ruleSet.forObject(ref.group, ref.kind);
    return modifiedItems(ref, desired, live, rules, autoscaled.has(autoscaleKey(ref.kind, ref.namespace, ref.name)));
  }
  if (desired) return [objectItem(ref, 'missing', settings.missingLevel)];
  if (live && isReportedExtra(live, settings)) return [objectItem(ref, 'not_in_git', settings.notInGitLevel)];
  return [];
}

/** A live object nobody declared is reported when it carries the ownership label and is not derived. */
function isReportedExtra(live: KObject, { ownership, derivedKinds }: Settings): boolean {
  if (ownership === null || !isOwned(live, ownership)) return false;
  const hasOwner = (live.metadata?.ownerReferences?.length ?? 0) > 0;
  return !hasOwner && !(live.kind !== undefined && derivedKinds.includes(live.kind));
}

function modifiedItems(ref: ObjectRef, desired: KObject, live: KObject, rules: ObjectRules, isAutoscaled: boolean): DriftItem[] {
  const holds = (condition: AllowCondition) => condition === 'always' || isAutoscaled;
  return diffDeclared(normalizeSecret(desired), live, rules).map((diff) => {
    const values = rules.isHidden(diff.path) ? maskPair(diff.gitValue, diff.liveValue) : diff;
    return {
      change: 'modified',
      ...ref,
      path: formatPath(diff.path),
      gitValue: values.gitValue,
      liveValue: values.liveValue,
      level: rules.levelAt(diff.path, holds),
    };
  });
}

function objectItem(ref: ObjectRef, change: 'missing' | 'not_in_git', level: DriftLevel): DriftItem {
  return { change, ...ref, path: '', gitValue: null, liveValue: null, level };
}

/** True when `object` carries the ownership label (with its value, when one is required). */
export function isOwned(object: KObject, label: OwnershipLabel): boolean {
  const value = object.metadata?.labels?.[label.key];
  return value !== undefined && (label.value === undefined || value === label.value);
}

/**
 * Parses `key=value` or `key` (any value) into an {@link OwnershipLabel}.
 * @returns `null` when the text is empty or has an empty key.
 * @example parseOwnershipLabel('app.kubernetes.io/managed-by=watchkeeper')
 */
export function parseOwnershipLabel(text: string): OwnershipLabel | null {
  const eq = text.indexOf('=');
  const key = (eq < 0 ? text : text.slice(0, eq)).trim();
  if (!key) return null;
  return eq < 0 ? { key } : { key, value: text.slice(eq + 1).trim() };
}

/**
 * Workloads targeted by an autoscaler among `objects` (desired and live), as
 * `Kind/namespace/name` keys. The autoscaler's namespace is the target's namespace
 * (`scaleTargetRef` cannot cross namespaces); a missing target kind means Deployment (KEDA's default).
 */
export function autoscaledTargets(objects: readonly KObject[], defaultNamespace: string, autoscalerKinds: readonly string[]): Set<string> {
  const targets = new Set<string>();
  for (const object of objects) {
    if (!object.kind || !autoscalerKinds.includes(object.kind)) continue;
    const spec = object.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined;
    const target = spec?.scaleTargetRef;
    if (!target?.name) continue;
    targets.add(autoscaleKey(target.kind ?? 'Deployment', object.metadata?.namespace ?? defaultNamespace, target.name));
  }
  return targets;
}

function autoscaleKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

function compareItems(a: DriftItem, b: DriftItem): number {
  return (
    compareText(a.namespace, b.namespace) ||
    compareText(a.kind, b.kind) ||
    compareText(a.name, b.name) ||
    compareText(a.group, b.group) ||
    compareText(a.path, b.path)
  );
}

