/**
 * Kubernetes label selectors: string form and matching. Pure.
 * Source: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
 */
import type { LabelSelector } from './k8s-objects.ts';

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

/** True when `labels` satisfy the selector (matchLabels and matchExpressions). Undefined selector → false. */
export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  // Own properties only: `constructor` or `toString` are valid label keys, not inherited members.
  const has = (k: string) => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (!has(k) || labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const present = has(e.key);
    const inValues = present && (e.values ?? []).includes(labels[e.key]);
    switch (e.operator) {
      case 'In':
        if (!inValues) return false;
        break;
      case 'NotIn':
        if (inValues) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        // Kubernetes rejects an unknown operator; a selector that cannot be evaluated selects nothing.
        return false;
    }
  }
  return true;
}
