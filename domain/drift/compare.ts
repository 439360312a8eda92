/**
 * Field-level comparison of one desired object with its live counterpart, comparing only what
 * Git declares (like `kubectl diff` after server-side defaulting, or gitops-engine's
 * normalised diff): fields the API server adds (`imagePullPolicy`, `dnsPolicy`, `protocol: TCP`,
 * …) are absent from the desired object and therefore never compared.
 *
 * Semantics, in order:
 * 1. An ignored path (and its subtree) is skipped.
 * 2. A desired `null`/absent value declares nothing.
 * 3. A live absent value equals a desired "zero value" (`""`, `false`, `0`, `{}`, `[]`, or a map
 *    of only zero values): Go's `omitempty` drops them when the API server serialises.
 * 4. Maps: each key Git declares is compared; keys only in live are not drift.
 * 5. Keyed lists: elements are matched by key and compared recursively; an element only in Git
 *    or only in live is one change at `list[key]`.
 * 6. Other lists are compared whole (same length, elements compared recursively in order, so
 *    defaulted fields inside elements still do not drift); a difference is one change at the list.
 * 7. Scalars are strictly equal, or equal through the path's normaliser (quantity, int-or-string).
 */
import { quantitiesEqual } from './quantity.ts';
import type { FieldPath, PathSegment } from './path.ts';
import type { KeyedListRule } from './rules.ts';
import type { ObjectRules } from './ruleset.ts';

/** One drifted field. `gitValue`/`liveValue` are `null` where that side has nothing. */
export interface FieldDiff {
  readonly path: FieldPath;
  readonly gitValue: unknown;
  readonly liveValue: unknown;
}

/**
 * Compares `desired` with `live` and returns the drifted fields in document order of `desired`
 * (extra keyed-list elements of `live` follow the declared ones of the same list).
 */
export function diffDeclared(desired: unknown, live: unknown, rules: ObjectRules): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  walk(desired, live, [], rules, (path, gitValue, liveValue) => {
    diffs.push({ path, gitValue: gitValue ?? null, liveValue: liveValue ?? null });
  });
  return diffs;
}

type Emit = (path: FieldPath, gitValue: unknown, liveValue: unknown) => void;

function walk(desired: unknown, live: unknown, path: FieldPath, rules: ObjectRules, emit: Emit): void {
  if (path.length > 0 && rules.isIgnored(path)) return;
  if (desired === null || desired === undefined) return;
  if (live === null || live === undefined) {
    if (!isZeroValue(desired)) emit(path, desired, live);
    return;
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(live)) return emit(path, desired, live);
    for (const [field, value] of Object.entries(desired)) walk(value, live[field], [...path, { field }], rules, emit);
    return;
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return emit(path, desired, live);
    const keyed = rules.keyedListAt(path);
    if (keyed && walkKeyedList(desired, live, path, keyed, rules, emit)) return;
    if (!listsEquivalent(desired, live, path, rules)) emit(path, desired, live);
    return;
  }
  if (!scalarsEqual(desired, live, rules.normaliserAt(path))) emit(path, desired, live);
}

/** Returns false when the list cannot be keyed (keys still repeat), so the caller compares it whole. */
function walkKeyedList(
  desired: readonly unknown[],
  live: readonly unknown[],
  path: FieldPath,
  rule: KeyedListRule,
  rules: ObjectRules,
  emit: Emit,
): boolean {
  const disambiguate = hasRepeatedKeys(desired, rule) || hasRepeatedKeys(live, rule);
  const desiredByKey = keyElements(desired, rule, disambiguate);
  const liveByKey = keyElements(live, rule, disambiguate);
  if (!desiredByKey || !liveByKey) return false;
  for (const [key, element] of desiredByKey) walk(element, liveByKey.get(key), [...path, { item: key }], rules, emit);
  for (const [key, element] of liveByKey) {
    const elementPath: FieldPath = [...path, { item: key }];
    if (!desiredByKey.has(key) && !rules.isIgnored(elementPath)) emit(elementPath, null, element);
  }
  return true;
}

function elementKey(element: unknown, index: number, rule: KeyedListRule, disambiguate: boolean): string {
  if (!isPlainObject(element)) return `#${index}`;
  const field = rule.keys.find((k) => isKeyValue(element[k]));
  if (field === undefined) return `#${index}`;
  const key = String(element[field]);
  const extra = rule.disambiguateBy;
  if (!disambiguate || !extra) return key;
  const value = element[extra.field];
  return `${key}@${isKeyValue(value) ? String(value) : (extra.default ?? '')}`;
}

function isKeyValue(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

function hasRepeatedKeys(list: readonly unknown[], rule: KeyedListRule): boolean {
  const seen = new Set<string>();
  return list.some((element, i) => {
    const key = elementKey(element, i, rule, false);
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
}

function keyElements(list: readonly unknown[], rule: KeyedListRule, disambiguate: boolean): Map<string, unknown> | null {
  const byKey = new Map<string, unknown>();
  for (const [i, element] of list.entries()) {
    const key = elementKey(element, i, rule, disambiguate);
    if (byKey.has(key)) return null;
    byKey.set(key, element);
  }
  return byKey;
}

function listsEquivalent(desired: readonly unknown[], live: readonly unknown[], path: FieldPath, rules: ObjectRules): boolean {
  if (desired.length !== live.length) return false;
  let equal = true;
  const mark: Emit = () => {
    equal = false;
  };
  for (let i = 0; i < desired.length && equal; i++) {
    const item: PathSegment = { item: String(i) };
    walk(desired[i], live[i], [...path, item], rules, mark);
  }
  return equal;
}

/**
 * Scalar equality. Strict, except through a normaliser: quantities by value, and IntOrString
 * fields where the number `80` and the string `"80"` denote the same port. Elsewhere Kubernetes'
 * strict decoding rejects a number for a string field, so no other coercion is assumed.
 */
function scalarsEqual(desired: unknown, live: unknown, normaliser: 'quantity' | 'int-or-string' | undefined): boolean {
  if (desired === live) return true;
  switch (normaliser) {
    case 'quantity':
      return quantitiesEqual(desired, live);
    case 'int-or-string':
      return isKeyValue(desired) && isKeyValue(live) && String(desired) === String(live);
    case undefined:
      return false;
  }
}

/** Go zero values that `omitempty` drops from the API server's output. */
export function isZeroValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '' || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isPlainObject(value)) return Object.values(value).every(isZeroValue);
  return false;
}

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
