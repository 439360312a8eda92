/**
 * Rule tables compiled for fast lookup: patterns are parsed once, and the rules that apply to a
 * group/kind are selected once per kind (a scan compares thousands of objects of a few kinds).
 */
import { compilePattern, matchesPattern, type FieldPath, type PathPattern } from './path.ts';
import type {
  AllowCondition,
  AllowRule,
  DriftLevel,
  IgnoreRule,
  KeyedListRule,
  LevelRule,
  NormaliserRule,
  RuleScope,
} from './rules.ts';

/** The raw tables a {@link RuleSet} is compiled from. */
export interface RuleTables {
  readonly ignore: readonly IgnoreRule[];
  readonly normalisers: readonly NormaliserRule[];
  readonly keyedLists: readonly KeyedListRule[];
  readonly levels: readonly LevelRule[];
  readonly allow: readonly AllowRule[];
  /** Fields whose values are masked in items (see `DEFAULT_HIDDEN_VALUE_RULES`). */
  readonly hidden: readonly IgnoreRule[];
}

/** Rules applicable to one object kind. */
export interface ObjectRules {
  /** True when `path` or one of its ancestors is ignored (callers check each level as they descend). */
  isIgnored(path: FieldPath): boolean;
  /** How scalars at `path` are compared, or `undefined` for strict equality. */
  normaliserAt(path: FieldPath): NormaliserRule['as'] | undefined;
  /** The keyed-list rule for the list at `path`, or `undefined` when compared whole. */
  keyedListAt(path: FieldPath): KeyedListRule | undefined;
  /** True when values at `path` must be masked in items. */
  isHidden(path: FieldPath): boolean;
  /** The level of a change at `path`; `holds` says whether an allow condition is true for this object. */
  levelAt(path: FieldPath, holds: (condition: AllowCondition) => boolean): DriftLevel;
}

/** All tables, compiled. */
export interface RuleSet {
  forObject(group: string, kind: string): ObjectRules;
}

type Compiled<T> = { readonly rule: T; readonly pattern: PathPattern };

/**
 * Compiles the tables. Patterns are validated here, so a bad pattern in config fails at startup.
 * @throws {InvalidPathPattern} when a rule's path is malformed.
 */
export function compileRuleSet(tables: RuleTables): RuleSet {
  const compile = <T extends RuleScope & { path: string }>(rules: readonly T[]): Compiled<T>[] =>
    rules.map((rule) => ({ rule, pattern: compilePattern(rule.path) }));
  const all = {
    ignore: compile(tables.ignore),
    normalisers: compile(tables.normalisers),
    keyedLists: compile(tables.keyedLists),
    levels: compile(tables.levels),
    allow: compile(tables.allow),
    hidden: compile(tables.hidden),
  };
  const cache = new Map<string, ObjectRules>();
  return {
    forObject(group, kind) {
      const key = `${group}/${kind}`;
      let rules = cache.get(key);
      if (!rules) {
        rules = objectRules(all, group, kind);
        cache.set(key, rules);
      }
      return rules;
    },
  };
}

function objectRules(
  all: { [K in keyof RuleTables]: Compiled<RuleTables[K][number]>[] },
  group: string,
  kind: string,
): ObjectRules {
  const scoped = <T extends RuleScope>(rules: Compiled<T>[]) =>
    rules.filter(({ rule }) => (rule.group === undefined || rule.group === group) && (rule.kind === undefined || rule.kind === kind));
  const ignore = scoped(all.ignore);
  const normalisers = scoped(all.normalisers);
  const keyedLists = scoped(all.keyedLists);
  const levels = scoped(all.levels);
  const allow = scoped(all.allow);
  const hidden = scoped(all.hidden);
  const first = <T>(rules: Compiled<T>[], path: FieldPath) => rules.find(({ pattern }) => matchesPattern(pattern, path))?.rule;

  return {
    isIgnored: (path) => ignore.some(({ pattern }) => matchesPattern(pattern, path)),
    normaliserAt: (path) => first(normalisers, path)?.as,
    keyedListAt: (path) => first(keyedLists, path),
    isHidden: (path) => hidden.some(({ pattern }) => matchesPattern(pattern, path)),
    levelAt(path, holds) {
      if (allow.some(({ rule, pattern }) => holds(rule.when) && matchesPattern(pattern, path))) return 'info';
      return first(levels, path)?.level ?? 'medium';
    },
  };
}
