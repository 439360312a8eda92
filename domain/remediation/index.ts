/**
 * Remediations as the domain sees them: the lifecycle (states, transitions, state sets), approval
 * tiers and quorum, what an execution records, and where a remediation came from. Pure.
 */
import type { ActionKind } from '../diagnosis.ts';

export * from './states.ts';
export * from './tiers.ts';
export * from './quorum.ts';

/** Where a remediation came from (stored in `remediation.origin`). */
export const REMEDIATION_ORIGINS = ['alert', 'drift', 'coverage', 'undo', 'command'] as const;
export type RemediationOrigin = (typeof REMEDIATION_ORIGINS)[number];

/** What Undo runs (through the approval flow). */
export interface InverseAction {
  action: ActionKind;
  params: Record<string, string | number>;
}

/** Result stored on a finished (or progressing) remediation. */
export interface ExecutionResult {
  ok: boolean;
  message: string;
  /** ISO time of the last update. */
  at: string;
  /** Steps so far, e.g. `dry-run ok`, `applied (revision 3)`. */
  steps?: string[];
  /** What Undo runs (through the approval flow); null when the action cannot be undone. */
  inverse?: InverseAction | null;
  /** restartedAt stamp written by a restart, to recognise our rollout after a crash. */
  restartedAt?: string;
  /**
   * Set when the executor did not apply: the blast radius, re-scored on live state, asks for more
   * approvals than were given (`from` → `to` tier), so approval is asked again.
   */
  reapproval?: { from: string; to: string; score: number };
}

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
  return re.test(value);
}

/** Escapes a string for literal use inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Human wording of an action, for cards: its `describe` trait (`domain/actions/catalog.ts`). */
export { describeAction } from '../actions/catalog.ts';
