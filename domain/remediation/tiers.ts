/**
 * Approval tiers: how many people must approve an action of a given blast-radius score. Pure.
 */

/** Who must approve: `auto` runs at once, `human` needs one approver, `dual` two, `blocked` none may. */
export type Tier = 'auto' | 'human' | 'dual' | 'blocked';

/** Tiers from least to most demanding (a rise in this order needs the approvals asked again). */
export const TIER_ORDER: readonly Tier[] = ['auto', 'human', 'dual', 'blocked'];

/**
 * Tier for a blast-radius score 0–100: auto ≤ 10, human 11–50, dual 51–99, blocked 100.
 * A score that is not a number fails closed (`blocked`), never open (`auto`).
 */
export function tierForScore(score: number): Tier {
  if (Number.isNaN(score) || score >= 100) return 'blocked';
  if (score > 50) return 'dual';
  if (score > 10) return 'human';
  return 'auto';
}

/** Approvals a tier needs before executing. */
export function approvalsRequired(tier: Tier): number {
  switch (tier) {
    case 'auto':
      return 0;
    case 'human':
      return 1;
    case 'dual':
      return 2;
    case 'blocked':
      return Number.POSITIVE_INFINITY;
  }
}

/** True when `now` demands more than `approved` did (e.g. `human` → `dual`, anything → `blocked`). */
export function tierRose(approved: Tier, now: Tier): boolean {
  return TIER_ORDER.indexOf(now) > TIER_ORDER.indexOf(approved);
}
