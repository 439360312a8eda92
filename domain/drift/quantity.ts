/**
 * Kubernetes `resource.Quantity` parsing and comparison by value, so that `1000m` = `1`,
 * `1Gi` = `1024Mi` and `0.5` = `500m`. Values are kept as exact rationals (bigint), never as
 * floating point, so `0.1` + rounding never creates false drift.
 *
 * Grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go):
 * ```
 * <quantity>        ::= <signedNumber><suffix>
 * <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
 * <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
 * <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
 * <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
 * <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
 * ```
 */

/** An exact quantity value `numerator / denominator`; `denominator` is always > 0. */
export interface Quantity {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Powers of ten for decimal SI suffixes. */
const DECIMAL_SI: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
/** Powers of two for binary SI suffixes. */
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/** Exponents beyond this are refused: Kubernetes itself caps quantities far below, and bigints must stay small. */
const MAX_EXPONENT = 100;

const QUANTITY_RE = /^([+-]?)(\d+\.?\d*|\.\d+)(.*)$/;
const EXPONENT_RE = /^[eE]([+-]?\d+)$/;

/**
 * Parses a quantity as the API server would.
 *
 * @param input a quantity string (`"250m"`, `"1.5Gi"`, `"1e3"`) or a number (YAML `cpu: 1`).
 * @returns the exact value, or `null` when `input` is not a valid quantity (the caller then
 *   compares it as plain text).
 * @example parseQuantity('1Gi') // { numerator: 1073741824n, denominator: 1n }
 */
export function parseQuantity(input: string | number): Quantity | null {
  const text = typeof input === 'number' ? numberText(input) : input;
  if (text === null) return null;
  const match = QUANTITY_RE.exec(text);
  if (!match) return null;
  const [, sign, number, suffix] = match as unknown as [string, string, string, string];
  const scale = suffixScale(suffix);
  if (scale === null) return null;

  const [whole, fraction = ''] = number.split('.') as [string, string?];
  let numerator = BigInt((whole || '0') + fraction) * (sign === '-' ? -1n : 1n);
  let denominator = 10n ** BigInt(fraction.length);
  if (scale.pow10 >= 0) numerator *= 10n ** BigInt(scale.pow10);
  else denominator *= 10n ** BigInt(-scale.pow10);
  numerator *= 2n ** BigInt(scale.pow2);
  return reduce(numerator, denominator);
}

/**
 * Orders two quantities by value.
 * @returns -1, 0 or 1 like a comparator.
 */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const left = a.numerator * b.denominator;
  const right = b.numerator * a.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * True when both values parse as quantities and are equal by value (`"1000m"` vs `1` → true).
 * False when either is not a quantity.
 */
export function quantitiesEqual(a: unknown, b: unknown): boolean {
  if (!isQuantityInput(a) || !isQuantityInput(b)) return false;
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa !== null && qb !== null && compareQuantities(qa, qb) === 0;
}

function isQuantityInput(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/** Renders a JS number as a quantity string; `1e21` becomes `1e+21`, which the grammar accepts. */
function numberText(n: number): string | null {
  return Number.isFinite(n) ? String(n) : null;
}

function suffixScale(suffix: string): { pow10: number; pow2: number } | null {
  if (suffix in BINARY_SI) return { pow10: 0, pow2: BINARY_SI[suffix]! };
  if (suffix in DECIMAL_SI) return { pow10: DECIMAL_SI[suffix]!, pow2: 0 };
  const exponent = EXPONENT_RE.exec(suffix);
  if (!exponent) return null;
  const pow10 = Number(exponent[1]);
  return Math.abs(pow10) <= MAX_EXPONENT ? { pow10, pow2: 0 } : null;
}

function reduce(numerator: bigint, denominator: bigint): Quantity {
  const divisor = gcd(numerator < 0n ? -numerator : numerator, denominator);
  return divisor > 1n ? { numerator: numerator / divisor, denominator: denominator / divisor } : { numerator, denominator };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
