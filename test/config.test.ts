/**
 * Configuration: defaults, parsing of lists and numbers, errors naming the variable, freezing,
 * and what `serve` additionally needs.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, serveProblems, type Config } from '../config.ts';

/** Runs loadConfig and returns the ConfigError it throws (fails when it does not throw one). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('fills every documented default from an empty environment', () => {
    const c = loadConfig({});
    expect(c.database).toEqual({ url: undefined, embeddedDir: './data/postgres', embeddedPort: 54329 });
    expect(c.telegram).toEqual({
      token: undefined,
      apiRoot: undefined,
      chatIds: [],
      operators: [],
      mode: 'polling',
      webhookUrl: undefined,
      webhookSecret: undefined,
    });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8080, bearerToken: undefined, basicAuth: undefined, bodyLimitBytes: 1024 * 1024 });
    expect(c.incidents).toEqual({ dedupWindowS: 1800, approvalTtlS: 3600 });
    expect(c.policy).toEqual({
      protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
      criticalNamespaces: ['*-prod', 'prod', 'production'],
    });
    expect(c.kubernetes).toEqual({ kubeconfig: undefined, context: undefined, verifyTimeoutS: 120, verifyPollMs: 2000, logTailLines: 200 });
    expect(c.models).toMatchObject({ ollamaHost: 'http://127.0.0.1:11434', primary: undefined, secondary: undefined, budgetTokens: 3000, cloud: undefined });
    expect(c.logLevel).toBe('info');
    expect(c.timezone).toBe('UTC');
  });

  it('does not read process.env when an environment is passed', () => {
    const before = process.env.HTTP_PORT;
    process.env.HTTP_PORT = '9999';
    try {
      expect(loadConfig({}).http.port).toBe(8080);
    } finally {
      if (before === undefined) delete process.env.HTTP_PORT;
      else process.env.HTTP_PORT = before;
    }
  });
});

describe('loadConfig parsing', () => {
  it.each<[string, Record<string, string>, (c: Readonly<Config>) => unknown, unknown]>([
    ['DATABASE_URL trimmed', { DATABASE_URL: '  postgres://u@h/db ' }, (c) => c.database.url, 'postgres://u@h/db'],
    ['blank DATABASE_URL means unset', { DATABASE_URL: '   ' }, (c) => c.database.url, undefined],
    ['chat ids, negative groups, spaces', { TELEGRAM_CHAT_IDS: '-1001234567890, 42' }, (c) => c.telegram.chatIds, [-1001234567890, 42]],
    ['HTTP_PORT coerced', { HTTP_PORT: '9090' }, (c) => c.http.port, 9090],
    ['body limit', { WEBHOOK_BODY_LIMIT_BYTES: '2048' }, (c) => c.http.bodyLimitBytes, 2048],
    ['bearer token', { WEBHOOK_BEARER_TOKEN: 's3cret' }, (c) => c.http.bearerToken, 's3cret'],
    [
      'basic auth pair',
      { WEBHOOK_BASIC_USER: 'am', WEBHOOK_BASIC_PASSWORD: 'pw' },
      (c) => c.http.basicAuth,
      { user: 'am', password: 'pw' },
    ],
    ['protected namespaces csv', { PROTECTED_NAMESPACES: ' kube-system ,, payments ' }, (c) => c.policy.protectedNamespaces, ['kube-system', 'payments']],
    ['critical namespaces csv', { CRITICAL_NAMESPACES: 'live-*' }, (c) => c.policy.criticalNamespaces, ['live-*']],
    ['webhook mode', { TELEGRAM_MODE: 'webhook' }, (c) => c.telegram.mode, 'webhook'],
    ['ollama primary model', { OLLAMA_MODEL: 'qwen2.5:7b' }, (c) => c.models.primary, { model: 'qwen2.5:7b', timeoutMs: 30_000 }],
    ['cloud needs both flag and key (flag only)', { CLOUD_MODEL_ENABLED: 'true' }, (c) => c.models.cloud, undefined],
    ['cloud needs both flag and key (key only)', { ANTHROPIC_API_KEY: 'k' }, (c) => c.models.cloud, undefined],
    [
      'cloud enabled with yes + key',
      { CLOUD_MODEL_ENABLED: 'yes', ANTHROPIC_API_KEY: 'k' },
      (c) => c.models.cloud,
      { apiKey: 'k', baseUrl: undefined, model: 'claude-sonnet-4-5', timeoutMs: 30_000 },
    ],
    ['boolean false', { CLOUD_MODEL_ENABLED: '0', ANTHROPIC_API_KEY: 'k' }, (c) => c.models.cloud, undefined],
    ['dedup window 0 allowed', { INCIDENT_DEDUP_WINDOW_S: '0' }, (c) => c.incidents.dedupWindowS, 0],
    ['LOG_LEVEL', { LOG_LEVEL: 'debug' }, (c) => c.logLevel, 'debug'],
  ])('%s', (_name, env, pick, expected) => {
    expect(pick(loadConfig(env))).toEqual(expected);
  });

  // `FOO=` in a Dockerfile, compose file or Pod spec means "not set": the documented default applies
  // (an empty HTTP_PORT must not become port 0, nor an empty dedup window 0 seconds).
  it.each<[string, (c: Readonly<Config>) => unknown, unknown]>([
    ['HTTP_PORT', (c) => c.http.port, 8080],
    ['INCIDENT_DEDUP_WINDOW_S', (c) => c.incidents.dedupWindowS, 1800],
    ['LOG_TAIL_LINES', (c) => c.kubernetes.logTailLines, 200],
    ['MODEL_BUDGET_TOKENS', (c) => c.models.budgetTokens, 3000],
  ])('empty %s → default', (name, pick, expected) => {
    expect(pick(loadConfig({ [name]: '' }))).toEqual(expected);
  });

  it.each([
    ['123:admin,456', [{ userId: 123, role: 'admin' }, { userId: 456, role: 'approver' }]],
    [' 1 : viewer , 2:approver ', [{ userId: 1, role: 'viewer' }, { userId: 2, role: 'approver' }]],
    ['', []],
    ['7,', [{ userId: 7, role: 'approver' }]],
  ])('TELEGRAM_OPERATORS=%j', (value, expected) => {
    expect(loadConfig({ TELEGRAM_OPERATORS: value }).telegram.operators).toEqual(expected);
  });
});

describe('loadConfig errors name the variable', () => {
  it.each<[string, Record<string, string>, RegExp]>([
    ['operator with unknown role', { TELEGRAM_OPERATORS: '123:root' }, /TELEGRAM_OPERATORS: bad entry "123:root"/],
    ['operator id not a number', { TELEGRAM_OPERATORS: 'alice:admin' }, /TELEGRAM_OPERATORS: bad entry "alice:admin"/],
    ['operator with a stray third part', { TELEGRAM_OPERATORS: '123:admin:x' }, /TELEGRAM_OPERATORS: bad entry "123:admin:x"/],
    ['operator with an empty id', { TELEGRAM_OPERATORS: ':admin' }, /TELEGRAM_OPERATORS: bad entry ":admin"/],
    ['chat id not a number', { TELEGRAM_CHAT_IDS: '-100abc' }, /TELEGRAM_CHAT_IDS: expected comma-separated integer chat ids/],
    ['chat ids empty', { TELEGRAM_CHAT_IDS: ' , ' }, /TELEGRAM_CHAT_IDS/],
    ['port not a number', { HTTP_PORT: 'eighty' }, /HTTP_PORT/],
    ['port out of range', { HTTP_PORT: '70000' }, /HTTP_PORT/],
    ['port fractional', { HTTP_PORT: '80.5' }, /HTTP_PORT/],
    ['body limit below 1 KiB', { WEBHOOK_BODY_LIMIT_BYTES: '10' }, /WEBHOOK_BODY_LIMIT_BYTES/],
    ['approval TTL below a minute', { APPROVAL_TTL_S: '5' }, /APPROVAL_TTL_S/],
    ['log tail above 10k', { LOG_TAIL_LINES: '20000' }, /LOG_TAIL_LINES/],
    ['bad mode', { TELEGRAM_MODE: 'push' }, /TELEGRAM_MODE/],
    ['bad log level', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL/],
    ['bad boolean', { CLOUD_MODEL_ENABLED: 'maybe' }, /CLOUD_MODEL_ENABLED/],
    ['basic user without password', { WEBHOOK_BASIC_USER: 'am' }, /WEBHOOK_BASIC_USER and WEBHOOK_BASIC_PASSWORD/],
    ['basic password without user', { WEBHOOK_BASIC_PASSWORD: 'pw' }, /WEBHOOK_BASIC_USER and WEBHOOK_BASIC_PASSWORD/],
  ])('%s', (_name, env, pattern) => {
    const err = configError(env);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toMatch(/^Invalid configuration/);
    expect(err.message).toMatch(pattern);
    expect(err.issues.length).toBeGreaterThan(0);
  });

  it('lists every bad variable at once', () => {
    const err = configError({ HTTP_PORT: 'x', TELEGRAM_MODE: 'push', LOG_LEVEL: 'loud' });
    expect(err.issues.map((i) => i.split(':')[0]).sort()).toEqual(['HTTP_PORT', 'LOG_LEVEL', 'TELEGRAM_MODE']);
  });
});

describe('loadConfig result is frozen', () => {
  it.each<[string, (c: Config) => void]>([
    ['top level', (c) => ((c as { timezone: string }).timezone = 'X')],
    ['nested object', (c) => ((c.http as { port: number }).port = 1)],
    ['arrays', (c) => c.telegram.chatIds.push(1)],
    ['array items', (c) => ((c.telegram.operators[0] as { role: string }).role = 'admin')],
  ])('%s cannot be changed', (_name, mutate) => {
    const c = loadConfig({ TELEGRAM_CHAT_IDS: '5', TELEGRAM_OPERATORS: '1:viewer' }) as Config;
    expect(() => mutate(c)).toThrow(TypeError);
    expect(c.timezone).toBe('UTC');
    expect(c.http.port).toBe(8080);
    expect(c.telegram.chatIds).toEqual([5]);
    expect(c.telegram.operators[0].role).toBe('viewer');
  });
});

describe('serveProblems', () => {
  const ready = { TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_CHAT_IDS: '-100', WEBHOOK_BEARER_TOKEN: 't' };

  it.each<[string, Record<string, string>, RegExp[]]>([
    ['ready with bearer', ready, []],
    ['ready with basic auth', { TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_CHAT_IDS: '-100', WEBHOOK_BASIC_USER: 'u', WEBHOOK_BASIC_PASSWORD: 'p' }, []],
    ['nothing set', {}, [/TELEGRAM_BOT_TOKEN/, /TELEGRAM_CHAT_IDS/, /WEBHOOK_BEARER_TOKEN/]],
    ['no token', { ...ready, TELEGRAM_BOT_TOKEN: '' }, [/TELEGRAM_BOT_TOKEN is not set/]],
    ['no webhook auth', { TELEGRAM_BOT_TOKEN: '1:abc', TELEGRAM_CHAT_IDS: '-100' }, [/WEBHOOK_BEARER_TOKEN/]],
    ['webhook mode without URL or secret', { ...ready, TELEGRAM_MODE: 'webhook' }, [/TELEGRAM_WEBHOOK_URL/, /TELEGRAM_WEBHOOK_SECRET/]],
    [
      'webhook mode with URL, no secret (forged button presses)',
      { ...ready, TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_URL: 'https://x/telegram/webhook' },
      [/TELEGRAM_WEBHOOK_SECRET/],
    ],
    [
      'webhook mode with URL and secret',
      { ...ready, TELEGRAM_MODE: 'webhook', TELEGRAM_WEBHOOK_URL: 'https://x/telegram/webhook', TELEGRAM_WEBHOOK_SECRET: 's' },
      [],
    ],
  ])('%s', (_name, env, expected) => {
    const problems = serveProblems(loadConfig(env));
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(problems[i]).toMatch(re));
  });
});
