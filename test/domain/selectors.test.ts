/**
 * Label selectors: the API string form and matching, as Kubernetes defines them.
 */
import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../domain/k8s-objects.ts';
import { selectorMatches, selectorString } from '../../domain/selectors.ts';

describe('selectorString', () => {
  it.each<[string, LabelSelector | undefined, string | undefined]>([
    ['undefined selects nothing', undefined, undefined],
    ['empty selects everything', {}, ''],
    ['matchLabels', { matchLabels: { app: 'web', tier: 'front' } }, 'app=web,tier=front'],
    ['In', { matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] }, 'env in (a,b)'],
    ['NotIn', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, 'env notin (dev)'],
    ['Exists', { matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, 'canary'],
    ['DoesNotExist', { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }, '!canary'],
    [
      'labels then expressions',
      {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      'app=web,env in (prod),!legacy',
    ],
    ['prefixed keys', { matchLabels: { 'app.kubernetes.io/name': 'web' } }, 'app.kubernetes.io/name=web'],
  ])('%s', (_name, sel, expected) => {
    expect(selectorString(sel)).toBe(expected);
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', env: 'prod', 'pod-template-hash': 'abc' };

  it.each<[string, LabelSelector | undefined, Record<string, string>, boolean]>([
    ['undefined selector matches nothing', undefined, labels, false],
    ['empty selector matches everything', {}, labels, true],
    ['empty selector matches empty labels', {}, {}, true],
    ['matchLabels subset', { matchLabels: { app: 'web' } }, labels, true],
    ['matchLabels other value', { matchLabels: { app: 'api' } }, labels, false],
    ['matchLabels missing key', { matchLabels: { tier: 'front' } }, labels, false],
    ['In hit', { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, labels, true],
    ['In miss', { matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] }, labels, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels, false],
    ['NotIn hit', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels, false],
    ['NotIn miss', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, labels, true],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, labels, true],
    ['Exists', { matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels, true],
    ['Exists missing', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels, false],
    ['Exists with empty value', { matchExpressions: [{ key: 'flag', operator: 'Exists' }] }, { flag: '' }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels, false],
    [
      'all requirements must hold',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }] },
      labels,
      false,
    ],
    // Inherited object members are not labels.
    ['Exists "constructor" on plain labels', { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist "toString" on plain labels', { matchExpressions: [{ key: 'toString', operator: 'DoesNotExist' }] }, labels, true],
    ['matchLabels "constructor"', { matchLabels: { constructor: 'x' } }, { constructor: 'x' }, true],
    // Kubernetes rejects unknown operators; such a selector selects nothing.
    ['unknown operator', { matchExpressions: [{ key: 'env', operator: 'Gt', values: ['1'] }] }, labels, false],
  ])('%s → %s', (_name, sel, l, expected) => {
    expect(selectorMatches(sel, l)).toBe(expected);
  });
});
