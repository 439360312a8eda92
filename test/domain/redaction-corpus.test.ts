import { describe, expect, it } from 'vitest';
import { redact } from '../../domain/redaction.ts';
import { MORE_SECRET_CASES, ORDINARY_TEXTS, SECRET_CORPUS } from './secret-corpus.ts';

describe('redaction corpus (issue 11): nothing secret survives', () => {
  it('holds at least 100 secret shapes', () => {
    expect(SECRET_CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(SECRET_CORPUS.map((c) => c.name)).size).toBe(SECRET_CORPUS.length);
  });

  it.each(MORE_SECRET_CASES)('removes $name', ({ text, secret, kind }) => {
    expect(text).toContain(secret); // the sample really carries its secret
    for (const mode of ['local', 'cloud'] as const) {
      const out = redact(text, { mode });
      expect(out.text).not.toContain(secret);
      expect(out.text).toContain(`[REDACTED:${kind}]`);
      expect(out.secrets[kind]).toBeGreaterThanOrEqual(1);
    }
  });

  it('removes every secret of the corpus from one combined text, and redacting again changes nothing', () => {
    const once = redact(SECRET_CORPUS.map((c) => c.text).join('\n'), { mode: 'local' }).text;
    for (const c of SECRET_CORPUS) expect(once, c.name).not.toContain(c.secret);
    expect(redact(once, { mode: 'local' }).text).toBe(once);
  });

  it.each(ORDINARY_TEXTS)('leaves ordinary text readable: %s', (text) => {
    const out = redact(text, { mode: 'local' });
    expect(out.text).toBe(text);
    expect(out.secrets).toEqual({});
  });

  it.each([
    ['YAML block scalar keeps the sibling keys', 'stringData:\n  password: |\n    line one\n    line two\n  username: bob\n', 'stringData:\n  password: |\n    [REDACTED:password]\n  username: bob\n'],
    ['env entry keeps the next entry', '- name: DB_PASS\n  value: s3cr3t!\n- name: LOG_LEVEL\n  value: debug', '- name: DB_PASS\n  value: [REDACTED:password]\n- name: LOG_LEVEL\n  value: debug'],
    ['a reference to a secret is not a secret', 'DB_PASSWORD_FILE=/run/secrets/db SECRET_NAME=db-creds', 'DB_PASSWORD_FILE=/run/secrets/db SECRET_NAME=db-creds'],
    ['mysql port flag is not a password', 'mysql -h db -P 3306 -p shop', 'mysql -h db -P 3306 -p shop'],
    ['prose keeps English words', 'the password is rotated weekly', 'the password is rotated weekly'],
    ['base64 of harmless text stays', `note ${Buffer.from('just a harmless sentence here').toString('base64')}`, `note ${Buffer.from('just a harmless sentence here').toString('base64')}`],
  ])('%s', (_name, text, expected) => {
    expect(redact(text, { mode: 'local' }).text).toBe(expected);
  });
});
