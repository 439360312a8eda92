/**
 * Kubernetes label and field selectors: the one parser of their string form, matching, and the
 * string form of a structured selector. Pure. Production (the in-memory cluster of offline
 * diagnosis) and the tests' fake API server both read selectors through this file.
 *
 * Sources: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors,
 * https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/, and the
 * API server's parser (k8s.io/apimachinery/pkg/labels/selector.go, fields/selector.go).
 */
import type { LabelSelector } from './k8s-objects.ts';

/**
 * One requirement of a label selector. `neq` and `notin` also match objects without the key;
 * `eq`, `in` and `exists` need it.
 */
export type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

/** One requirement of a field selector: `field` is a dotted path (`involvedObject.name`). */
export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

/** A selector string that cannot be parsed (the API server answers 400 Bad Request). */
export class SelectorSyntaxError extends Error {
  override readonly name = 'SelectorSyntaxError';
}

/** A label key: optional DNS-subdomain prefix and `/`, then a name (alphanumeric at both ends). */
const LABEL_KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
/** A label value: empty, or alphanumeric at both ends with `-`, `_`, `.` inside. */
const LABEL_VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;

const NOT_EXISTS = new RegExp(String.raw`^!\s*(${LABEL_KEY})$`);
const SET = new RegExp(String.raw`^(${LABEL_KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EQUALITY = new RegExp(String.raw`^(${LABEL_KEY})\s*(==|=|!=)\s*(${LABEL_VALUE})$`);
const EXISTS = new RegExp(String.raw`^(${LABEL_KEY})$`);
const SET_VALUE = new RegExp(String.raw`^${LABEL_VALUE}$`);
const FIELD = /^([A-Za-z0-9_.-]+)\s*(==|=|!=)\s*(.*)$/;

/** Splits on commas that are not inside parentheses (`a in (x,y),b`); drops empty terms. */
function splitTerms(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Parses a label selector in the API server's string syntax: `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas. The empty string selects everything.
 *
 * @example parseLabelSelector('app=web,tier in (a,b),!canary') // [{op:'eq',…}, {op:'in',…}, {op:'notexists',…}]
 * @throws SelectorSyntaxError on a term that is none of these, or a key or value Kubernetes rejects.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  return splitTerms(text).map((term): LabelRequirement => {
    let m = NOT_EXISTS.exec(term);
    if (m) return { op: 'notexists', key: m[1]! };
    m = SET.exec(term);
    if (m) {
      const values = m[4]!.split(',').map((v) => v.trim()).filter((v) => v !== '');
      const bad = values.find((v) => !SET_VALUE.test(v));
      if (bad === undefined) return { op: m[3] === 'in' ? 'in' : 'notin', key: m[1]!, values };
    }
    m = EQUALITY.exec(term);
    if (m) return { op: m[3] === '!=' ? 'neq' : 'eq', key: m[1]!, value: m[4] ?? '' };
    m = EXISTS.exec(term);
    if (m) return { op: 'exists', key: m[1]! };
    throw new SelectorSyntaxError(`unable to parse requirement: found '${term}', expected: '=', '!=', '==', 'in', notin'`);
  });
}

/** Whether `labels` satisfy every requirement (Kubernetes semantics: `!=` and `notin` match a missing key). */
export function labelsMatch(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    // Own properties only: `constructor` or `toString` are valid label keys, not inherited members.
    const present = Object.hasOwn(l, r.key);
    const value = present ? l[r.key] : undefined;
    switch (r.op) {
      case 'eq':
        return present && value === r.value;
      case 'neq':
        return !present || value !== r.value;
      case 'in':
        return present && r.values.includes(value!);
      case 'notin':
        return !present || !r.values.includes(value!);
      case 'exists':
        return present;
      case 'notexists':
        return !present;
    }
  });
}

/**
 * The requirements of a structured selector (`matchLabels`, then `matchExpressions`); undefined
 * when an expression has an operator Kubernetes does not know (such a selector selects nothing).
 */
export function selectorRequirements(sel: LabelSelector): LabelRequirement[] | undefined {
  const out: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({ op: 'eq', key, value }));
  for (const e of sel.matchExpressions ?? []) {
    switch (e.operator) {
      case 'In':
        out.push({ op: 'in', key: e.key, values: e.values ?? [] });
        break;
      case 'NotIn':
        out.push({ op: 'notin', key: e.key, values: e.values ?? [] });
        break;
      case 'Exists':
        out.push({ op: 'exists', key: e.key });
        break;
      case 'DoesNotExist':
        out.push({ op: 'notexists', key: e.key });
        break;
      default:
        return undefined;
    }
  }
  return out;
}

/**
 * Label selector → API string (`a=b,c in (d,e),!f`). Undefined selector → undefined (select nothing);
 * an empty selector selects everything (`""`), as in Kubernetes.
 */
export function selectorString(sel: LabelSelector | undefined): string | undefined {
  if (!sel) return undefined;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(',');
}

/**
 * True when `labels` satisfy the selector (matchLabels and matchExpressions). Undefined selector →
 * false; empty selector → true; an unknown operator → false.
 */
export function selectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!sel) return false;
  const requirements = selectorRequirements(sel);
  return requirements !== undefined && labelsMatch(requirements, labels);
}

/**
 * Parses a field selector (`involvedObject.name=web,type=Warning`, `spec.nodeName!=`): terms
 * `field=value`, `field==value` or `field!=value`, joined by commas; values are trimmed and may
 * be empty. Which fields a resource supports is the API server's business, not checked here.
 *
 * @throws SelectorSyntaxError on a term without one of those operators.
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  return splitTerms(text).map((term) => {
    const m = FIELD.exec(term);
    if (!m) throw new SelectorSyntaxError(`invalid field selector: '${text}'; can't understand '${term}'`);
    return { field: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() };
  });
}

/**
 * The value a field selector compares for `field` of `obj`: strings as they are, other values
 * as JSON, and a missing field as `''` (as the API server does for the fields it indexes).
 */
export function fieldValue(obj: unknown, field: string): string {
  let cur: unknown = obj;
  for (const key of field.split('.')) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

/** Whether `obj` satisfies every field requirement (see {@link fieldValue}). */
export function fieldsMatch(requirements: readonly FieldRequirement[], obj: unknown): boolean {
  return requirements.every((r) => (fieldValue(obj, r.field) === r.value) === (r.op === 'eq'));
}
