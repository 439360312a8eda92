/**
 * Authentication of the Alertmanager webhook: strict parsing of the `Authorization` header and
 * comparisons that take the same time whatever the guess.
 *
 * Sources: RFC 9110 §11.6.2 (`Authorization: <auth-scheme> 1*SP <credentials>`), RFC 6750 (Bearer),
 * RFC 7617 (Basic: base64 of `user-id ":" password`). Alertmanager sends
 * `Authorization: Bearer <credentials>` for `http_config.authorization` and Basic for `basic_auth`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type express from 'express';

/** The credentials the webhook accepts; a request must match one. */
export interface WebhookAuth {
  bearerToken?: string;
  basicAuth?: { user: string; password: string };
}

/** An `Authorization` header, parsed. */
export type AuthorizationHeader =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'invalid'; reason: string };

/** `scheme SP credentials`: the scheme is an RFC 9110 token; the credentials are everything after the spaces. */
const AUTHORIZATION = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +(\S(?:.*\S)?)$/s;
/** RFC 4648 base64 with padding, as RFC 7617 requires. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Parses an `Authorization` header strictly. The bearer token is the whole rest of the header, so
 * `Bearer <token> junk` carries the token `<token> junk` (and does not match); Basic credentials
 * must be canonical base64 of `user:password` with a non-empty user.
 *
 * @param header the header value as received (Node has trimmed surrounding whitespace), or undefined.
 */
export function parseAuthorization(header: string | undefined): AuthorizationHeader {
  if (!header) return { kind: 'invalid', reason: 'no Authorization header' };
  const m = AUTHORIZATION.exec(header);
  if (!m) return { kind: 'invalid', reason: 'not "<scheme> <credentials>"' };
  const scheme = (m[1] ?? '').toLowerCase();
  const credentials = m[2] ?? '';
  if (scheme === 'bearer') return { kind: 'bearer', token: credentials };
  if (scheme === 'basic') {
    if (!BASE64.test(credentials)) return { kind: 'invalid', reason: 'Basic credentials are not base64' };
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { kind: 'invalid', reason: 'Basic credentials are not "user:password"' };
    return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { kind: 'invalid', reason: `unsupported scheme ${scheme}` };
}

/**
 * Compares two secrets in time independent of where they differ and of their lengths: both sides
 * are hashed (SHA-256), then the digests compared with `crypto.timingSafeEqual`.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y);
}

/**
 * True when the header carries one of the configured credentials. For Basic, user and password
 * are both compared (no early exit on a wrong user). Without configured credentials nothing matches.
 */
export function isAuthorized(header: string | undefined, auth: WebhookAuth): boolean {
  const parsed = parseAuthorization(header);
  switch (parsed.kind) {
    case 'bearer':
      return auth.bearerToken !== undefined && auth.bearerToken !== '' && constantTimeEqual(parsed.token, auth.bearerToken);
    case 'basic': {
      if (!auth.basicAuth) return false;
      const user = constantTimeEqual(parsed.user, auth.basicAuth.user);
      const password = constantTimeEqual(parsed.password, auth.basicAuth.password);
      return user && password;
    }
    case 'invalid':
      return false;
  }
}

/**
 * Express middleware: bearer or basic auth ({@link isAuthorized}); a refusal is 401 with
 * `WWW-Authenticate` and a hint for the Alertmanager receiver. Without configured credentials every
 * request is refused (serve refuses to start that way; this is defence in depth).
 */
export function requireAuth(auth: WebhookAuth): express.RequestHandler {
  return (req, res, next) => {
    if (isAuthorized(req.get('authorization'), auth)) return next();
    res.set('WWW-Authenticate', auth.bearerToken ? 'Bearer' : 'Basic realm="watchkeeper"');
    res.status(401).json({ error: 'missing or wrong credentials: configure http_config.authorization (bearer) or basic_auth in the Alertmanager receiver' });
  };
}
