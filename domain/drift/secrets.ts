/**
 * Secret handling in drift, after gitops-engine `pkg/diff` (`NormalizeSecret`, `HideSecretData`):
 * `stringData` in Git is what the API server stores base64-encoded under `data`, and Secret
 * values are masked in drift items.
 */
import type { KObject } from '../k8s-objects.ts';
import { isPlainObject } from './compare.ts';
import { utf8Bytes } from './utf8.ts';

/**
 * The desired Secret as the API server will store it: `stringData` entries moved into `data`,
 * base64-encoded (they win over `data` entries of the same key, as in the API server).
 * Other objects are returned unchanged. Does not modify `object`.
 */
export function normalizeSecret(object: KObject): KObject {
  if (object.kind !== 'Secret' || !isPlainObject(object.stringData)) return object;
  const { stringData, ...rest } = object;
  const data: Record<string, unknown> = { ...(isPlainObject(rest.data) ? rest.data : {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = typeof value === 'string' ? base64(value) : value;
  return { ...rest, data };
}

/** Base64 of the UTF-8 bytes of `text` (RFC 4648, with padding). */
export function base64(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const bytes = [...utf8Bytes(text)];
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]!;
    out += b === undefined ? '=' : alphabet[(n >> 6) & 63]!;
    out += c === undefined ? '=' : alphabet[n & 63]!;
  }
  return out;
}

const GIT_MASK = '++++++++';
const LIVE_MASK = '+++++++++';

/**
 * Masks a drifted pair of values: every non-null leaf becomes a run of `+`, equal leaves get the
 * same run and differing leaves different runs, so a reader still sees *that* (and which keys)
 * changed, never the values. Maps are masked key by key.
 */
export function maskPair(gitValue: unknown, liveValue: unknown): { gitValue: unknown; liveValue: unknown } {
  if (isPlainObject(gitValue) || isPlainObject(liveValue)) {
    const git = isPlainObject(gitValue) ? gitValue : {};
    const live = isPlainObject(liveValue) ? liveValue : {};
    const maskedGit: Record<string, unknown> = {};
    const maskedLive: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(git), ...Object.keys(live)])) {
      const pair = maskPair(git[key], live[key]);
      if (key in git) maskedGit[key] = pair.gitValue;
      if (key in live) maskedLive[key] = pair.liveValue;
    }
    return { gitValue: isPlainObject(gitValue) ? maskedGit : mask(gitValue), liveValue: isPlainObject(liveValue) ? maskedLive : mask(liveValue) };
  }
  const same = JSON.stringify(gitValue) === JSON.stringify(liveValue);
  return { gitValue: mask(gitValue), liveValue: liveValue === null || liveValue === undefined ? null : same ? GIT_MASK : LIVE_MASK };
}

function mask(value: unknown): string | null {
  return value === null || value === undefined ? null : GIT_MASK;
}
