/**
 * Label and field selectors as Kubernetes defines them: the one parser of the string form (used by
 * the offline cluster and the tests' fake API server), matching, and the string form of a
 * structured selector.
 */
import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../../domain/k8s-objects.ts';
import {
  type FieldRequirement,
  fieldsMatch,
  fieldValue,
  type LabelRequirement,
  labelsMatch,
  parseFieldSelector,
  parseLabelSelector,
  SelectorSyntaxError,
  selectorMatches,
  selectorString,
} from '../../domain/selectors.ts';

describe('parseLabelSelector', () => {
  it.each<[string, LabelRequirement[]]>([
    ['', []],
    ['app=web', [{ op: 'eq', key: 'app', value: 'web' }]],
    ['app==web', [{ op: 'eq', key: 'app', value: 'web' }]],
    ['app = web', [{ op: 'eq', key: 'app', value: 'web' }]],
    ['env!=prod', [{ op: 'neq', key: 'env', value: 'prod' }]],
    ['flag=', [{ op: 'eq', key: 'flag', value: '' }]],
    ['tier in (a,b)', [{ op: 'in', key: 'tier', values: ['a', 'b'] }]],
    ['tier in ( a , b )', [{ op: 'in', key: 'tier', values: ['a', 'b'] }]],
    ['tier in(a)', [{ op: 'in', key: 'tier', values: ['a'] }]],
    ['env notin (prod)', [{ op: 'notin', key: 'env', values: ['prod'] }]],
    ['canary', [{ op: 'exists', key: 'canary' }]],
    ['!canary', [{ op: 'notexists', key: 'canary' }]],
    ['app.kubernetes.io/name=web', [{ op: 'eq', key: 'app.kubernetes.io/name', value: 'web' }]],
    [
      'app=web,tier in (a,b),!canary, env!=prod',
      [
        { op: 'eq', key: 'app', value: 'web' },
        { op: 'in', key: 'tier', values: ['a', 'b'] },
        { op: 'notexists', key: 'canary' },
        { op: 'neq', key: 'env', value: 'prod' },
      ],
    ],
  ])('%j', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each([
    ['set without parentheses', 'tier in backend'],
    ['unknown operator', 'tier~=a'],
    ['value with a space', 'app=a b'],
    ['value starting with a dash', 'app=-web'],
    ['set value with a space', 'tier in (a b)'],
    ['key with a space', 'my app=web'],
    ['unbalanced parenthesis', 'tier in (a,b'],
  ])('rejects %s: %j', (_name, text) => {
    expect(() => parseLabelSelector(text)).toThrow(SelectorSyntaxError);
  });
});

describe('labelsMatch', () => {
  const labels = { app: 'web', env: 'prod' };

  it.each<[string, Record<string, string> | undefined, boolean]>([
    ['app=web', labels, true],
    ['app=api', labels, false],
    ['env!=dev', labels, true],
    ['env!=prod', labels, false],
    ['zone!=a', labels, true],
    ['env in (prod,stage)', labels, true],
    ['zone in (a)', labels, false],
    ['env notin (prod)', labels, false],
    ['zone notin (a)', labels, true],
    ['env notin (prod), !canary', { env: 'dev' }, true],
    ['app', labels, true],
    ['zone', labels, false],
    ['!zone', labels, true],
    ['!app', labels, false],
    ['app=web,env=dev', labels, false],
    ['', labels, true],
    ['', undefined, true],
    ['app', undefined, false],
    ['!app', undefined, true],
    // Inherited object members are not labels.
    ['constructor', labels, false],
    ['!toString', labels, true],
  ])('%j on %j → %s', (text, l, expected) => {
    expect(labelsMatch(parseLabelSelector(text), l)).toBe(expected);
  });
});

describe('parseFieldSelector', () => {
  it.each<[string, FieldRequirement[]]>([
    ['', []],
    ['type=Warning', [{ field: 'type', op: 'eq', value: 'Warning' }]],
    ['type==Warning', [{ field: 'type', op: 'eq', value: 'Warning' }]],
    ['spec.nodeName!=', [{ field: 'spec.nodeName', op: 'neq', value: '' }]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', op: 'eq', value: '' }]],
    [
      'involvedObject.name=web, involvedObject.kind = Pod',
      [
        { field: 'involvedObject.name', op: 'eq', value: 'web' },
        { field: 'involvedObject.kind', op: 'eq', value: 'Pod' },
      ],
    ],
  ])('%j', (text, expected) => {
    expect(parseFieldSelector(text)).toEqual(expected);
  });

  it.each([['nonsense'], ['type'], ['=Warning'], ['type~Warning']])('rejects %j', (text) => {
    expect(() => parseFieldSelector(text)).toThrow(/invalid field selector/);
  });
});

describe('fieldsMatch', () => {
  const event = { type: 'Warning', count: 3, involvedObject: { kind: 'Pod', name: 'web-1' }, spec: {} };

  it.each<[string, boolean]>([
    ['type=Warning', true],
    ['type=Normal', false],
    ['type!=Normal', true],
    ['involvedObject.name=web-1,involvedObject.kind=Pod', true],
    ['involvedObject.name=web-1,involvedObject.kind=Node', false],
    ['count=3', true],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['missing.deep.path=', true],
    ['', true],
  ])('%j → %s', (text, expected) => {
    expect(fieldsMatch(parseFieldSelector(text), event)).toBe(expected);
  });

  it.each<[unknown, string]>([
    ['Warning', 'Warning'],
    [3, '3'],
    [true, 'true'],
    [null, ''],
    [undefined, ''],
    [{ a: 1 }, '{"a":1}'],
  ])('fieldValue of %j is %j', (value, expected) => {
    expect(fieldValue({ f: value }, 'f')).toBe(expected);
  });
});

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
