/**
 * Who may do what: roles, operators, and ONE permission table read by {@link can}.
 *
 * Every role check in Watchkeeper goes through {@link can}: the card buttons (approve, reject,
 * Later, Silence, Undo, Publish/Discard), `/diagnose`, `/drift scan` and the drift decisions,
 * `/coverage fix`. The shape follows Outline's `server/policies/*`: the rules are data, read in one
 * place. Reading (incident lists, cards, drift reports, coverage) is open to everyone in a
 * configured chat (`bot/auth.ts` keeps strangers' chats out), so there is no "view" permission.
 *
 * Pure: no I/O. The caller looks the role up (`Agent.roleOf`) and audits refusals.
 */

/** Roles in increasing power, as written in `TELEGRAM_OPERATORS` (`<user id>[:viewer|approver|admin]`). */
export const ROLES = ['viewer', 'approver', 'admin'] as const;

/**
 * Role of a Telegram user on the operator list: `viewer` may diagnose and scan, `approver` may also
 * decide cards, `admin` may also approve `dual`-tier actions.
 */
export type Role = (typeof ROLES)[number];

/** One person allowed to act through the bot, keyed by Telegram user id (`from.id`). */
export interface Operator {
  /** Telegram user id (`callback_query.from.id` / `message.from.id`), never a chat id. */
  userId: number;
  role: Role;
}

/** Every role on the operator list. */
const OPERATORS: readonly Role[] = ROLES;
/** Roles that decide cards and proposals. */
const APPROVERS: readonly Role[] = ['approver', 'admin'];
/** Roles that give the approvals of a `dual`-tier action (two distinct admins). */
const ADMINS: readonly Role[] = ['admin'];

/** One row of {@link PERMISSIONS}. */
export interface PermissionRule {
  /** Roles allowed. */
  roles: readonly Role[];
  /**
   * Roles allowed when the context's tier is `dual` (blast radius tier needing two admins); unset
   * means the tier does not matter for this permission.
   */
  dualTierRoles?: readonly Role[];
  /** What the permission lets one do, for docs and audit readers. */
  description: string;
}

/**
 * The permission table: one row per permission. Keys are `<resource>.<verb>` and match the audit
 * log's action names (`remediation.approve`, `drift.rollback`, …; refusals are `<key>.denied`).
 */
export const PERMISSIONS = {
  'remediation.approve': {
    roles: APPROVERS,
    dualTierRoles: ADMINS,
    description: 'Approve a proposed action (Approve button); a dual-tier action needs admins (each approval, first and second)',
  },
  'remediation.reject': { roles: APPROVERS, description: 'Reject a proposed action, or dismiss an escalation (Reject button)' },
  'remediation.later': { roles: APPROVERS, description: 'Snooze an approval card (Later button); not a vote' },
  'remediation.silence': {
    roles: APPROVERS,
    description: "Mute the card's alert group for a while, also in Alertmanager when configured (Silence buttons)",
  },
  'remediation.undo': { roles: APPROVERS, description: 'Propose the inverse of a finished action as a new card (Undo button)' },
  'knowledge.publish': { roles: APPROVERS, description: 'Publish a runbook draft learned from verified outcomes' },
  'knowledge.discard': { roles: APPROVERS, description: 'Discard a runbook draft' },
  'workload.diagnose': { roles: OPERATORS, description: 'Diagnose a workload on demand (/diagnose): reads cluster evidence and logs, changes nothing' },
  'drift.scan': { roles: OPERATORS, description: 'Scan the desired-state sources for drift now (/drift scan)' },
  'drift.acknowledge': { roles: APPROVERS, description: 'Acknowledge a drift report' },
  'drift.ignore': { roles: APPROVERS, description: 'Ignore a drift report' },
  'drift.rollback': { roles: APPROVERS, description: "Propose Git's version of drifted objects through the approval flow" },
  'drift.adopt': { roles: APPROVERS, description: 'Write the live values into the manifests and push a commit' },
  'coverage.propose_rule': { roles: APPROVERS, description: 'Propose an alerting rule for an uncovered workload (/coverage fix)' },
} as const satisfies Record<string, PermissionRule>;

/** A permission name, a key of {@link PERMISSIONS}. */
export type Permission = keyof typeof PERMISSIONS;

/** What the permission is asked about, when a rule depends on it. */
export interface AuthzContext {
  /** Approval tier of the remediation (`auto` / `human` / `dual` / …), from its stored plan. */
  tier?: string;
}

/**
 * Why {@link can} said no:
 * - `not_an_operator`: the user is not on `TELEGRAM_OPERATORS` at all;
 * - `role_not_allowed`: on the list, but the role is below what the permission needs;
 * - `dual_needs_admin`: the action's tier is `dual` and only admins approve it.
 */
export type DenyReason = 'not_an_operator' | 'role_not_allowed' | 'dual_needs_admin';

/** The outcome of {@link can}. `required` lists the roles that would have been allowed. */
export type AuthzDecision = { kind: 'allow' } | { kind: 'deny'; reason: DenyReason; required: readonly Role[] };

/**
 * May a user with `role` do `permission`? Reads the one {@link PERMISSIONS} row.
 * @param role the user's role; `undefined` for a user not on the operator list.
 * @param permission what is asked.
 * @param context facts the rule depends on (the tier for `remediation.approve`).
 * @example can('approver', 'remediation.approve', { tier: 'dual' }) // → deny, dual_needs_admin
 */
export function can(role: Role | undefined, permission: Permission, context: AuthzContext = {}): AuthzDecision {
  const rule: PermissionRule = PERMISSIONS[permission];
  if (role === undefined) return { kind: 'deny', reason: 'not_an_operator', required: rule.roles };
  if (!rule.roles.includes(role)) return { kind: 'deny', reason: 'role_not_allowed', required: rule.roles };
  if (context.tier === 'dual' && rule.dualTierRoles && !rule.dualTierRoles.includes(role)) {
    return { kind: 'deny', reason: 'dual_needs_admin', required: rule.dualTierRoles };
  }
  return { kind: 'allow' };
}

/** Role of `userId` among `operators`; `undefined` when the user is not on the list. */
export function roleOf(operators: readonly Operator[], userId: number): Role | undefined {
  return operators.find((o) => o.userId === userId)?.role;
}

/**
 * Parses a role as written in `TELEGRAM_OPERATORS`.
 * @returns the role, or `undefined` for anything else (case-sensitive, as documented).
 */
export function parseRole(text: string): Role | undefined {
  return (ROLES as readonly string[]).includes(text) ? (text as Role) : undefined;
}
