/**
 * A stable fingerprint of a set of drift items, so the hourly scan can tell whether anything
 * changed since the last report without storing and diffing whole reports. Pure: the default
 * hash is FNV-1a 64 implemented here (node:crypto is not allowed in `domain/`); pass another
 * hash function (e.g. SHA-256 from the agent) when collisions matter more than purity.
 */

import { utf8Bytes } from './utf8.ts';

/** FNV-1a 64-bit offset basis and prime (http://www.isthe.com/chongo/tech/comp/fnv/). */
const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;

/**
 * FNV-1a 64 of the UTF-8 bytes of `text`.
 * @returns 16 lowercase hex digits.
 * @example fnv1a64('a') // 'af63dc4c8601ec8c'
 */
export function fnv1a64(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of utf8Bytes(text)) {
    hash ^= BigInt(byte);
    hash = BigInt.asUintN(64, hash * FNV64_PRIME);
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * JSON with object keys sorted at every level, so equal values always give equal text.
 * `undefined` renders as `null`.
 */
export function stableStringify(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The part of a drift item the fingerprint covers. */
export interface FingerprintedItem {
  readonly change: string;
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
  readonly gitValue: unknown;
  readonly liveValue: unknown;
}

/**
 * Fingerprint of a set of items: the hash of their identities (change, object, path) and values,
 * sorted, so the order items come in does not matter. The level is not included: it derives
 * from the rest and the rules.
 *
 * @param hash text → digest; defaults to {@link fnv1a64}.
 * @returns the digest; an empty set hashes the empty string.
 */
export function driftFingerprint(items: readonly FingerprintedItem[], hash: (text: string) => string = fnv1a64): string {
  const lines = items.map((item) =>
    [item.change, item.group, item.kind, item.namespace, item.name, item.path, stableStringify(item.gitValue), stableStringify(item.liveValue)].join('\u0000'),
  );
  lines.sort();
  return hash(lines.join('\n'));
}
