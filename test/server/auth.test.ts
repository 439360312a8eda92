import { describe, expect, it } from 'vitest';
import { constantTimeEqual, isAuthorized, parseAuthorization } from '../../server/auth.ts';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('parseAuthorization (RFC 9110 credentials, RFC 6750 Bearer, RFC 7617 Basic)', () => {
  it.each([
    ['Bearer abc.def-_~+/=', { kind: 'bearer', token: 'abc.def-_~+/=' }],
    ['bearer abc', { kind: 'bearer', token: 'abc' }],
    ['Bearer   abc', { kind: 'bearer', token: 'abc' }],
    ['Bearer abc junk', { kind: 'bearer', token: 'abc junk' }],
    [`Basic ${b64('am:p@ss:word')}`, { kind: 'basic', user: 'am', password: 'p@ss:word' }],
    [`basic ${b64('am:')}`, { kind: 'basic', user: 'am', password: '' }],
  ])('%j → %j', (header, expected) => {
    expect(parseAuthorization(header)).toEqual(expected);
  });

  it.each([
    [undefined, /no Authorization/],
    ['', /no Authorization/],
    ['abc', /scheme/],
    ['Bearer', /scheme/],
    ['Bearer\tabc', /scheme/],
    ['Be arer abc', /unsupported/],
    ['Token abc', /unsupported scheme token/],
    [`Basic ${b64('am:pw')} junk`, /not base64/],
    [`Basic ${b64('am:pw').replace(/=+$/, '')}`, /not base64/],
    [`Basic ${b64(':pw')}`, /user:password/],
    [`Basic ${b64('nocolon')}`, /user:password/],
  ])('%j is refused (%s)', (header, reason) => {
    const parsed = parseAuthorization(header);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.reason).toMatch(reason);
  });
});

describe('constantTimeEqual and isAuthorized', () => {
  it.each([
    ['s3cret', 's3cret', true],
    ['s3cret', 's3creT', false],
    ['s3cret', 's3cret-longer', false],
    ['', 's3cret', false],
    ['ünïcode', 'ünïcode', true],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });

  const auth = { bearerToken: 'tok', basicAuth: { user: 'am', password: 'pw' } };
  it.each([
    ['Bearer tok', auth, true],
    ['Bearer tok junk', auth, false],
    ['Bearer to', auth, false],
    [`Basic ${b64('am:pw')}`, auth, true],
    [`Basic ${b64('am:wrong')}`, auth, false],
    [`Basic ${b64('mallory:pw')}`, auth, false],
    ['Bearer tok', { basicAuth: auth.basicAuth }, false],
    [`Basic ${b64('am:pw')}`, { bearerToken: 'tok' }, false],
    ['Bearer ', {}, false],
    ['Bearer x', { bearerToken: '' }, false],
  ])('%j → %s', (header, config, ok) => {
    expect(isAuthorized(header, config)).toBe(ok);
  });
});
