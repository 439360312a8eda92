/**
 * Label and field selectors of list and delete-collection requests.
 */
import type { KObject, LabelSelector } from '../../../domain/k8s-objects.ts';
import { badRequest } from './errors.ts';
import { isRecord } from './objects.ts';
import type { ResourceType } from './resources.ts';

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export const LABEL_KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
export const LABEL_VALUE = String.raw`[A-Za-z0-9]?([-A-Za-z0-9_.]*[A-Za-z0-9])?`;

/** Splits on commas that are not inside parentheses (`a in (x,y),b`). */
export function splitTopLevel(text: string): string[] {
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
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Parses a label selector string (`app=web,tier in (a,b),!canary,env!=prod`). */
export function parseLabelSelector(text: string): Requirement[] {
  return splitTopLevel(text).map((term): Requirement => {
    let m = new RegExp(`^!\\s*(${LABEL_KEY})$`).exec(term);
    if (m) return { key: m[1]!, op: 'notexists' };
    m = new RegExp(`^(${LABEL_KEY})\\s+(in|notin)\\s+\\(([^)]*)\\)$`).exec(term);
    if (m) {
      const values = m[4]!.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
      return { key: m[1]!, op: m[3] === 'in' ? 'in' : 'notin', values };
    }
    m = new RegExp(`^(${LABEL_KEY})\\s*(==|=|!=)\\s*(${LABEL_VALUE})$`).exec(term);
    if (m) return { key: m[1]!, op: m[3] === '!=' ? 'neq' : 'eq', value: m[4] ?? '' };
    m = new RegExp(`^(${LABEL_KEY})$`).exec(term);
    if (m) return { key: m[1]!, op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${term}', expected: '=', '!=', '==', 'in', notin'`);
  });
}

export function matchesRequirements(labels: Record<string, string> | undefined, requirements: Requirement[]): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** Whether `labels` satisfy a structured selector (`matchLabels` + `matchExpressions`). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const requirements: Requirement[] = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({ key, op: 'eq', value }));
  for (const e of selector.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') requirements.push({ key: e.key, op, values: e.values ?? [] });
    else if (op === 'exists') requirements.push({ key: e.key, op: 'exists' });
    else if (op === 'doesnotexist') requirements.push({ key: e.key, op: 'notexists' });
  }
  return requirements.length > 0 && matchesRequirements(labels, requirements);
}

/** `app=web,tier in (a,b)`: the string form of a structured selector (Scale status). */
export function selectorString(selector: LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

export interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}

export function parseFieldSelector(t: ResourceType, text: string): FieldRequirement[] {
  const allowed = ['metadata.name', 'metadata.namespace', ...t.fieldSelectors];
  return splitTopLevel(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const path = m[1]!.trim();
    if (!allowed.includes(path)) throw badRequest(`field label not supported: ${path}`);
    return { path, negate: m[2] === '!=', value: m[3]!.trim() };
  });
}

export function fieldValue(obj: KObject, path: string): string {
  const effective = path === 'source' ? 'source.component' : path;
  let cur: unknown = obj;
  for (const part of effective.split('.')) cur = isRecord(cur) ? cur[part] : undefined;
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'string' ? cur : JSON.stringify(cur);
}

export function matchesFields(obj: KObject, requirements: FieldRequirement[]): boolean {
  return requirements.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}
