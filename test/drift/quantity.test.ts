import { describe, expect, it } from 'vitest';
import { compareQuantities, parseQuantity, quantitiesEqual } from '../../domain/drift/quantity.ts';

describe('quantitiesEqual (resource.Quantity semantics)', () => {
  it.each([
    ['1000m', '1', true],
    ['1000m', 1, true],
    ['2000m', '2', true],
    ['0.5', '500m', true],
    [0.5, '500m', true],
    ['.5', '500m', true],
    ['1Gi', '1024Mi', true],
    ['1Mi', '1048576', true],
    ['1Ki', '1024', true],
    ['1k', '1000', true],
    ['1M', '1000k', true],
    ['1e3', '1k', true],
    ['1E3', '1k', true],
    ['1E', '1000P', true],
    ['1.5Gi', '1536Mi', true],
    ['100m', '0.1', true],
    ['1u', '1000n', true],
    ['+1', '1', true],
    ['128Mi', '256Mi', false],
    ['1G', '1Gi', false],
    ['1', '1001m', false],
    ['100m', '10m', false],
    ['abc', 'abc', false],
    ['1Zi', '1Zi', false],
    ['', '0', false],
    ['1 Gi', '1Gi', false],
  ] as const)('%s vs %s → %s', (a, b, equal) => {
    expect(quantitiesEqual(a, b)).toBe(equal);
  });

  it.each([
    ['500m', '1', -1],
    ['1Gi', '1G', 1],
    ['-1', '0', -1],
    ['1e-3', '1m', 0],
  ] as const)('compare %s with %s → %d', (a, b, order) => {
    expect(compareQuantities(parseQuantity(a)!, parseQuantity(b)!)).toBe(order);
  });

  it.each(['', 'm', 'Gi', '1.2.3', '1e', '1e1000', '--1', 'NaN', '1Kib'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeNull();
  });

  it('keeps exact values (no floating point)', () => {
    expect(parseQuantity('0.1')).toEqual({ numerator: 1n, denominator: 10n });
    expect(parseQuantity('3Gi')).toEqual({ numerator: 3n * 2n ** 30n, denominator: 1n });
  });
});
