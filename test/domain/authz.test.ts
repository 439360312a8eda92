/**
 * The permission table and can(): every permission × every role, the dual tier, and the role parser.
 */
import { describe, expect, it } from 'vitest';
import { can, parseRole, PERMISSIONS, roleOf, ROLES, type Permission, type Role } from '../../domain/authz.ts';

type Who = Role | undefined;
const DECIDERS: Permission[] = [
  'remediation.approve',
  'remediation.reject',
  'remediation.later',
  'remediation.silence',
  'remediation.undo',
  'knowledge.publish',
  'knowledge.discard',
  'drift.acknowledge',
  'drift.ignore',
  'drift.rollback',
  'drift.adopt',
  'coverage.propose_rule',
];
const READERS: Permission[] = ['workload.diagnose', 'drift.scan'];

describe('the permission table', () => {
  it('lists exactly the permissions checked in the product', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...DECIDERS, ...READERS].sort());
  });
});

describe('can(role, permission) without context', () => {
  const rows: Array<[Permission, Who, 'allow' | 'not_an_operator' | 'role_not_allowed']> = [];
  for (const p of DECIDERS) {
    rows.push([p, undefined, 'not_an_operator'], [p, 'viewer', 'role_not_allowed'], [p, 'approver', 'allow'], [p, 'admin', 'allow']);
  }
  for (const p of READERS) {
    rows.push([p, undefined, 'not_an_operator'], [p, 'viewer', 'allow'], [p, 'approver', 'allow'], [p, 'admin', 'allow']);
  }
  it.each(rows)('%s by %s → %s', (permission, role, expected) => {
    const d = can(role, permission);
    expect(d.kind === 'allow' ? 'allow' : d.reason).toBe(expected);
  });
});

describe('can(role, permission, { tier })', () => {
  it.each<[Permission, string | undefined, Who, string]>([
    ['remediation.approve', 'human', 'approver', 'allow'],
    ['remediation.approve', 'human', 'admin', 'allow'],
    ['remediation.approve', 'dual', 'approver', 'dual_needs_admin'],
    ['remediation.approve', 'dual', 'admin', 'allow'],
    // The role is checked first: a viewer is refused as not an approver, whatever the tier.
    ['remediation.approve', 'dual', 'viewer', 'role_not_allowed'],
    ['remediation.approve', 'dual', undefined, 'not_an_operator'],
    ['remediation.approve', undefined, 'approver', 'allow'],
    // Only approving depends on the tier: an approver may still reject, snooze, silence a dual card.
    ['remediation.reject', 'dual', 'approver', 'allow'],
    ['remediation.later', 'dual', 'approver', 'allow'],
    ['remediation.silence', 'dual', 'approver', 'allow'],
    ['remediation.undo', 'dual', 'approver', 'allow'],
  ])('%s on a %s card by %s → %s', (permission, tier, role, expected) => {
    const d = can(role, permission, { tier });
    expect(d.kind === 'allow' ? 'allow' : d.reason).toBe(expected);
  });

  it('names the roles that would have been allowed', () => {
    expect(can('approver', 'remediation.approve', { tier: 'dual' })).toEqual({ kind: 'deny', reason: 'dual_needs_admin', required: ['admin'] });
    expect(can('viewer', 'drift.rollback')).toEqual({ kind: 'deny', reason: 'role_not_allowed', required: ['approver', 'admin'] });
  });
});

describe('roles', () => {
  it.each<[string, Role | undefined]>([
    ['viewer', 'viewer'],
    ['approver', 'approver'],
    ['admin', 'admin'],
    ['Admin', undefined],
    ['owner', undefined],
    ['', undefined],
  ])('parseRole(%j) → %s', (text, role) => {
    expect(parseRole(text)).toBe(role);
  });

  it('are listed from least to most powerful', () => {
    expect(ROLES).toEqual(['viewer', 'approver', 'admin']);
  });

  it.each<[number, Role | undefined]>([
    [111, 'admin'],
    [222, 'viewer'],
    [333, undefined],
  ])('roleOf(operators, %d) → %s', (userId, role) => {
    expect(roleOf([{ userId: 111, role: 'admin' }, { userId: 222, role: 'viewer' }], userId)).toBe(role);
  });
});
