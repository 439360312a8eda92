import { describe, expect, it } from 'vitest';
import { isIPv6, redact, restore, restoreDeep } from '../../domain/redaction.ts';
import { SECRET_CASES } from '../llm/secret-samples.ts';

describe('redact: secrets (every mode)', () => {
  it.each(SECRET_CASES)('removes $name', ({ text, secret, kind }) => {
    for (const mode of ['local', 'cloud'] as const) {
      const out = redact(text, { mode });
      expect(out.text).not.toContain(secret);
      expect(out.text).toContain(`[REDACTED:${kind}]`);
      expect(out.secrets[kind]).toBeGreaterThanOrEqual(1);
    }
  });

  it('removes every pattern from one combined text', () => {
    const all = SECRET_CASES.map((c) => c.text).join('\n');
    const out = redact(all, { mode: 'local' });
    for (const c of SECRET_CASES) expect(out.text, c.name).not.toContain(c.secret);
  });

  it('is not reversible: restore leaves markers in place', () => {
    const out = redact('DB_PASSWORD=hunter2', { mode: 'cloud' });
    expect(out.mapping.entries).toEqual([]);
    expect(restore(out.text, out.mapping)).toBe('DB_PASSWORD=[REDACTED:password]');
  });

  it('keeps the key and quotes around a redacted value', () => {
    expect(redact('{"token": "abc123xyz"}', { mode: 'local' }).text).toBe('{"token": "[REDACTED:token]"}');
    expect(redact('postgres://u:p4ss@db/x', { mode: 'local' }).text).toBe('postgres://[REDACTED:url_credentials]@db/x');
  });

  it.each([
    'Back-off restarting failed container api in pod api-7c9f6d-x2k4q_shop',
    'Failed to pull image "ghcr.io/acme/api:1.2.3": failed to resolve reference: unauthorized: authentication required',
    'MountVolume.SetUp failed for volume "secret-vol" : secret "db-creds" not found',
    "Error: couldn't find key password in Secret shop/db-creds",
    'image docker.io/rayproject/ray@sha256:764d7d4bf276143fac2fe322fe41593bb36bbd4dbe7fe9a2d94b67acb736eae3',
    '2024-05-01T10:15:30.123Z INFO listening on :8080',
    '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.',
    'containerd://930c9cb005df40d6b72a612b350c4cdf6148c59ccb9a1bd95c6980be3c0740ce',
  ])('leaves ordinary evidence intact: %s', (text) => {
    expect(redact(text, { mode: 'local' }).text).toBe(text);
  });
});

describe('redact: identifiers (cloud mode)', () => {
  const text = 'pod api-7c9-x2 of deployment api in namespace shop on node ip-10-0-1-5 (10.0.1.5, fe80::1ff:fe23:4567:890a) crashed; api restarted';

  it('replaces names, namespaces and IPs with stable placeholders and restores them', () => {
    const out = redact(text, { mode: 'cloud', names: ['api', 'api-7c9-x2', 'ip-10-0-1-5'], namespaces: ['shop'] });
    expect(out.text).toBe('pod <name-1> of deployment <name-2> in namespace <ns-1> on node <name-3> (<ip-2>, <ip-1>) crashed; <name-2> restarted');
    for (const secret of ['api', 'shop', '10.0.1.5', 'fe80::']) expect(out.text).not.toContain(secret);
    expect(restore(out.text, out.mapping)).toBe(text);
  });

  it('leaves identifiers alone in local mode', () => {
    const out = redact(text, { mode: 'local', names: ['api'], namespaces: ['shop'] });
    expect(out.text).toBe(text);
    expect(out.mapping.entries).toEqual([]);
  });

  it('escapes names before matching them', () => {
    const out = redact('a.b matches, aXb does not; (x)+ too', { mode: 'cloud', names: ['a.b', '(x)+'] });
    expect(out.text).toBe('<name-1> matches, aXb does not; <name-2> too');
  });

  it('matches whole tokens only', () => {
    const out = redact('web webhook my-web web2 web', { mode: 'cloud', names: ['web'] });
    expect(out.text).toBe('<name-1> webhook my-<name-1> web2 <name-1>');
  });

  it('counts a value listed as both namespace and name as a namespace', () => {
    const out = redact('payments/payments', { mode: 'cloud', names: ['payments'], namespaces: ['payments'] });
    expect(out.text).toBe('<ns-1>/<ns-1>');
  });

  it('extends an earlier mapping so several texts share placeholders', () => {
    const first = redact('ns shop, pod api', { mode: 'cloud', names: ['api'], namespaces: ['shop'] });
    const second = redact('api in shop, then cart and 10.1.2.3', { mode: 'cloud', names: ['api', 'cart'], namespaces: ['shop'], mapping: first.mapping });
    expect(second.text).toBe('<name-1> in <ns-1>, then <name-2> and <ip-1>');
    expect(restore(second.text, second.mapping)).toBe('api in shop, then cart and 10.1.2.3');
    expect(first.mapping.entries).toHaveLength(2); // the earlier mapping is not mutated
  });

  it('never rewrites inside secret markers', () => {
    const out = redact('password=x1 for password-svc', { mode: 'cloud', names: ['password', 'REDACTED'] });
    expect(out.text).toBe('<name-1>=[REDACTED:password] for <name-1>-svc');
  });

  it('restoreDeep restores every string of a parsed answer', () => {
    const { mapping } = redact('api shop 10.0.0.1', { mode: 'cloud', names: ['api'], namespaces: ['shop'] });
    const answer = { summary: '<name-1> in <ns-1> at <ip-1>', action: { kind: 'restart', params: { pod: '<name-1>', n: 2 } }, list: ['<ns-1>'] };
    expect(restoreDeep(answer, mapping)).toEqual({
      summary: 'api in shop at 10.0.0.1',
      action: { kind: 'restart', params: { pod: 'api', n: 2 } },
      list: ['shop'],
    });
  });

  it.each([
    ['10.0.0.7', true],
    ['node cn-hongkong.10.83.23.72', true],
    ['version 1.2.3', false],
    ['999.1.1.1', false],
    ['at 12:30:45.123', false],
    ['mac aa:bb:cc:dd:ee:ff', false],
    ['loopback ::1', true],
    ['2001:db8::8a2e:370:7334', true],
    ['::ffff:192.0.2.128', true],
    ['std::vector', false],
  ])('IP detection in %j → %s', (input, hidden) => {
    const out = redact(input, { mode: 'cloud' });
    expect(out.text.includes('<ip-')).toBe(hidden);
  });

  it.each([
    ['::1', true],
    ['fe80::1', true],
    ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', true],
    ['::ffff:10.1.2.3', true],
    ['1:2:3:4:5:6:7', false],
    ['1::2::3', false],
    ['12:30:45', false],
    ['gggg::1', false],
  ])('isIPv6(%s) = %s', (s, valid) => {
    expect(isIPv6(s)).toBe(valid);
  });
});
