/** Drift configuration (DRIFT_* variables), git helpers (credentials never leak, commit links), card rendering. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { commitUrl, isRemoteUrl, redactUrl, runGit } from '../../agent/git/git.ts';
import { renderDriftCard, renderDriftDetails, renderScanResults } from '../../bot/render/drift.ts';
import { driftCallbackData, parseDriftCallback, type DriftCardView } from '../../agent/drift/index.ts';

const BASE = { TELEGRAM_CHAT_IDS: '-100' };

describe('drift configuration', () => {
  it('is off without DRIFT_REPO or DRIFT_SOURCES, with documented defaults', () => {
    const { drift } = loadConfig(BASE);
    expect(drift).toEqual({
      sources: [],
      pushMode: 'new-branch',
      branchPrefix: 'watchkeeper/drift-',
      scanCron: '0 * * * *',
      ownershipLabel: { key: 'app.kubernetes.io/managed-by', value: 'watchkeeper' },
      ignoreFields: [],
      cacheDir: './data/drift',
      author: { name: 'Watchkeeper', email: 'watchkeeper@localhost' },
      chatId: undefined,
    });
  });

  it('reads one source from DRIFT_REPO and more from DRIFT_SOURCES, tokens from the environment', () => {
    const { drift } = loadConfig({
      ...BASE,
      DRIFT_REPO: 'https://github.com/acme/deploy.git',
      DRIFT_BRANCH: 'production',
      DRIFT_FOLDERS: 'apps, infra',
      DRIFT_NAMESPACES: 'shop,payments',
      DRIFT_GIT_TOKEN: 'ghp_secret',
      DRIFT_SOURCES: JSON.stringify([{ name: 'platform', url: 'git@gitlab.example.com:ops/platform.git', folders: ['k8s'], tokenEnv: 'PLATFORM_TOKEN', username: 'oauth2' }]),
      PLATFORM_TOKEN: 'glpat-x',
      DRIFT_PUSH_MODE: 'configured-branch',
      DRIFT_OWNERSHIP_LABEL: 'none',
      DRIFT_IGNORE_FIELDS: 'metadata.labels.version, Deployment:spec.replicas, apps/StatefulSet:spec.template.metadata.annotations',
      DRIFT_SCAN_CRON: '*/30 * * * *',
      DRIFT_CHAT_ID: '-200',
    });
    expect(drift.sources).toEqual([
      {
        name: 'default',
        url: 'https://github.com/acme/deploy.git',
        branch: 'production',
        folders: ['apps', 'infra'],
        namespaces: ['shop', 'payments'],
        defaultNamespace: 'default',
        credentials: { username: 'x-access-token', token: 'ghp_secret' },
      },
      {
        name: 'platform',
        url: 'git@gitlab.example.com:ops/platform.git',
        branch: undefined,
        folders: ['k8s'],
        namespaces: [],
        defaultNamespace: 'default',
        credentials: { username: 'oauth2', token: 'glpat-x' },
      },
    ]);
    expect(drift.ignoreFields).toEqual([
      { path: 'metadata.labels.version' },
      { kind: 'Deployment', path: 'spec.replicas' },
      { group: 'apps', kind: 'StatefulSet', path: 'spec.template.metadata.annotations' },
    ]);
    expect(drift).toMatchObject({ pushMode: 'configured-branch', ownershipLabel: null, scanCron: '*/30 * * * *', chatId: -200 });
  });

  it.each([
    [{ DRIFT_SOURCES: 'not json' }, /DRIFT_SOURCES: not JSON/],
    [{ DRIFT_SOURCES: '[{"name":"a b","url":"x"}]' }, /DRIFT_SOURCES.0.name/],
    [{ DRIFT_SOURCES: '[{"name":"a","url":"x","tokenEnv":"NOPE"}]' }, /a.tokenEnv names NOPE, which is not set/],
    [{ DRIFT_REPO: '/x', DRIFT_SOURCES: '[{"name":"default","url":"y"}]' }, /names must be unique/],
    [{ DRIFT_SCAN_CRON: 'hourly' }, /DRIFT_SCAN_CRON: expected a cron expression/],
    [{ DRIFT_PUSH_MODE: 'force' }, /DRIFT_PUSH_MODE/],
    [{ DRIFT_OWNERSHIP_LABEL: '=x' }, /DRIFT_OWNERSHIP_LABEL/],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE, ...env })).toThrow(message);
  });
});

describe('git helpers', () => {
  it.each([
    ['https://github.com/acme/deploy.git', 'https://github.com/acme/deploy/commit/abc'],
    ['https://gitlab.example.com/group/sub/deploy', 'https://gitlab.example.com/group/sub/deploy/-/commit/abc'],
    ['git@github.com:acme/deploy.git', undefined],
    ['file:///srv/deploy.git', undefined],
    ['/srv/deploy', undefined],
  ])('links commits of %s', (remote, url) => {
    expect(commitUrl(remote, 'abc')).toBe(url);
  });

  it('tells URLs from paths and removes credentials from URLs', () => {
    expect(['https://h/x', 'ssh://git@h/x', 'git@h:x.git', 'file:///x'].map(isRemoteUrl)).toEqual([true, true, true, true]);
    expect(['/srv/x', './x', 'C-drive/x'].map(isRemoteUrl)).toEqual([false, false, false]);
    expect(redactUrl('fatal: unable to access https://bob:s3cret@github.com/x.git')).toBe('fatal: unable to access https://***@github.com/x.git');
  });

  it('never puts a token in an error message', async () => {
    const error = await runGit(['ls-remote', 'http://127.0.0.1:9/acme/deploy.git'], { credentials: { username: 'x', token: 'tok-very-secret' }, timeoutMs: 20_000 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain('tok-very-secret');
    expect((error as Error).message).toMatch(/^git ls-remote http:\/\/127\.0\.0\.1:9\/acme\/deploy\.git failed/);
  });
});

const view: DriftCardView = {
  reportId: 12,
  source: 'default',
  status: 'pending',
  createdAt: new Date('2026-11-21T10:00:00Z'),
  counts: { high: 1, medium: 1, info: 0 },
  itemCount: 2,
  objects: [
    {
      ref: 'shop/Deployment.apps/web',
      file: 'apps/web.yaml:1',
      items: [
        { level: 'high', change: 'modified', path: 'spec.template.spec.containers[web].image', git: 'web:1.0', live: 'web:<b>1.1' },
        { level: 'medium', change: 'modified', path: 'spec.minReadySeconds', git: '5', live: '(absent)' },
      ],
    },
  ],
  interpretation: { intent: 'emergency_hotfix', explanation: 'A hotfix & more.', risk: 'high', confidence: 0.6, source: 'rules' },
  git: { sha: '0123456789abcdef', branch: 'main' },
  problems: { errors: [{ file: 'apps/bad.yaml', line: 8, column: 1, message: 'Tabs are not allowed as indentation' }], warnings: [] },
  buttons: [{ label: '⏪ Rollback', data: 'wd:r:12' }],
};

describe('drift cards', () => {
  it('renders the summary, interpretation, items and manifest problems as escaped HTML', () => {
    const text = renderDriftCard(view);
    expect(text).toContain('🧭 <b>Drift report #12</b> · <code>default</code> (main 01234567)');
    expect(text).toContain('2 item(s) in 1 object(s): 🔴 1 high · 🟡 1 medium · 🔵 0 info');
    expect(text).toContain('Status: <b>⏳ pending</b>');
    expect(text).toContain('🧠 <b>emergency hotfix</b> · risk high · 60% (rules only, no model answer)');
    expect(text).toContain('A hotfix &amp; more.');
    expect(text).toContain('   git: <code>web:1.0</code> → live: <code>web:&lt;b&gt;1.1</code>');
    expect(text).toContain('• <code>apps/bad.yaml:8:1</code>: Tabs are not allowed as indentation');
  });

  it('splits long details into messages under Telegram’s limit', () => {
    const many: DriftCardView = {
      ...view,
      itemCount: 400,
      objects: Array.from({ length: 100 }, (_, i) => ({
        ref: `shop/ConfigMap/c-${i}`,
        items: Array.from({ length: 4 }, (_, j) => ({ level: 'medium' as const, change: 'modified' as const, path: `data.key-${j}`, git: 'x'.repeat(40), live: 'y'.repeat(40) })),
      })),
    };
    const parts = renderDriftDetails(many);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join('\n')).toContain('shop/ConfigMap/c-99');
    expect(renderDriftCard(many).length).toBeLessThanOrEqual(4096);
  });

  it('keeps callback data short and parses it back', () => {
    const data = driftCallbackData('rollback', 123456789012);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseDriftCallback(data)).toEqual({ verb: 'rollback', reportId: 123456789012 });
    expect(parseDriftCallback('wd:x:1')).toBeUndefined();
    expect(parseDriftCallback('wk:a:token')).toBeUndefined();
  });

  it('summarises scans', () => {
    expect(
      renderScanResults([
        { kind: 'new_report', source: 'apps', reportId: 3, items: 2, superseded: [1] },
        { kind: 'unchanged', source: 'infra', reportId: 2 },
        { kind: 'failed', source: 'x', error: 'git <clone> failed' },
      ]),
    ).toBe(
      '🧭 <code>apps</code>: new drift report #3 (2 item(s)), superseding #1\n' +
        '↔️ <code>infra</code>: same drift as report #2; nothing new posted\n' +
        '❌ <code>x</code>: scan failed: git &lt;clone&gt; failed',
    );
  });
});
