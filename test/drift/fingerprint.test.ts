import { describe, expect, it } from 'vitest';
import { driftFingerprint, fnv1a64, stableStringify, type DriftItem } from '../../domain/drift/index.ts';

const item = (overrides: Partial<DriftItem> = {}): DriftItem => ({
  change: 'modified',
  group: 'apps',
  kind: 'Deployment',
  namespace: 'shop',
  name: 'web',
  path: 'spec.template.spec.containers[web].image',
  gitValue: 'web:1.2',
  liveValue: 'web:1.3',
  level: 'high',
  ...overrides,
});

describe('fnv1a64', () => {
  // Reference vectors from the FNV test suite (http://www.isthe.com/chongo/src/fnv/test_fnv.c).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('%j → %s', (text, hash) => {
    expect(fnv1a64(text)).toBe(hash);
  });

  // Expected values computed independently over the UTF-8 bytes (c3 a9; f0 9f 98 80).
  it.each([
    ['é', '0ac21707b7181e01'],
    ['😀', 'feff073875020288'],
  ])('hashes the UTF-8 bytes of %s', (text, hash) => {
    expect(fnv1a64(text)).toBe(hash);
  });
});

describe('stableStringify', () => {
  it.each([
    [{ b: 1, a: [{ d: 2, c: null }] }, '{"a":[{"c":null,"d":2}],"b":1}'],
    [undefined, 'null'],
    ['x', '"x"'],
  ])('%j → %s', (value, text) => {
    expect(stableStringify(value)).toBe(text);
  });
});

describe('driftFingerprint', () => {
  const a = item();
  const b = item({ name: 'api', path: 'spec.replicas', gitValue: 2, liveValue: 3, level: 'medium' });

  it('does not depend on item order or key order inside values', () => {
    const c = item({ gitValue: { x: 1, y: 2 } });
    const cReordered = item({ gitValue: { y: 2, x: 1 } });
    expect(driftFingerprint([a, b, c])).toBe(driftFingerprint([cReordered, b, a]));
  });

  it.each<[string, DriftItem[]]>([
    ['another live value', [a, item({ name: 'api', path: 'spec.replicas', gitValue: 2, liveValue: 4 })]],
    ['an item fewer', [a]],
    ['an item more', [a, b, item({ change: 'missing', path: '', gitValue: null, liveValue: null })]],
  ])('changes with %s', (_title, other) => {
    expect(driftFingerprint(other)).not.toBe(driftFingerprint([a, b]));
  });

  it('ignores the level (derived from the rules, not the drift)', () => {
    expect(driftFingerprint([item({ level: 'info' })])).toBe(driftFingerprint([item({ level: 'medium' })]));
  });

  it('accepts another hash function', () => {
    const seen: string[] = [];
    const digest = driftFingerprint([a], (text) => {
      seen.push(text);
      return 'custom';
    });
    expect(digest).toBe('custom');
    expect(seen[0]).toContain('spec.template.spec.containers[web].image');
  });

  it('is the hash of the empty string for no drift', () => {
    expect(driftFingerprint([])).toBe(fnv1a64(''));
  });
});
