/**
 * The `watchkeeper` command as a user runs it: `serve` in a child process against real PostgreSQL,
 * the Telegram emulator and the Kubernetes API fake (through a kubeconfig file), then SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');

function run(args: string[], env: Record<string, string>): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; kill: (s: NodeJS.Signals) => void; stdout: () => string } {
  const child = spawn(NODE, [join(ROOT, 'bin/watchkeeper.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, kill: (s) => child.kill(s), stdout: () => stdout };
}

describe('watchkeeper CLI', () => {
  let db: TestDatabase;
  let fake: K8sFake;
  let emu: TelegramEmulator;
  let kubeconfig: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    fake = await startK8sFake();
    emu = await startTelegramEmulator();
    kubeconfig = join(mkdtempSync(join(tmpdir(), 'wk-cli-')), 'kubeconfig.yaml');
    writeFileSync(kubeconfig, fake.kubeConfig().exportConfig());
  });
  afterAll(async () => {
    await emu?.close();
    await fake?.close();
    await db?.drop();
  });

  it('serve starts, accepts alerts, answers health checks and stops gracefully on SIGTERM', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const proc = run(['serve'], {
      DATABASE_URL: db.url,
      KUBECONFIG: kubeconfig,
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      TELEGRAM_CHAT_IDS: '-1009999',
      WEBHOOK_BEARER_TOKEN: 'cli-token',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!/watchkeeper is up/.test(proc.stdout())) {
      if (Date.now() > deadline) throw new Error(`serve did not start:\n${proc.stdout()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const res = await fetch(`${base}/webhooks/alertmanager`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: '{}:{alertname="KubePodCrashLooping"}',
        status: 'firing',
        receiver: 'watchkeeper',
        alerts: [{ labels: { alertname: 'KubePodCrashLooping', namespace: 'default', pod: 'web-1' }, startsAt: '2026-11-21T06:00:00Z' }],
      }),
    });
    expect(res.status).toBe(202);

    proc.kill('SIGTERM');
    const { code, stdout } = await proc.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/stopping gracefully/);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from alert');
    expect(n).toBe(1);
  });

  it('refuses to serve without the settings it needs, naming each', async () => {
    const { code, stderr } = await run(['serve'], { DATABASE_URL: db.url }).done;
    expect(code).toBe(2);
    expect(stderr).toMatch(/TELEGRAM_BOT_TOKEN is not set/);
    expect(stderr).toMatch(/TELEGRAM_CHAT_IDS is not set/);
    expect(stderr).toMatch(/WEBHOOK_BEARER_TOKEN/);
  });

  it('prints usage for an unknown command and help', async () => {
    const unknown = await run(['frobnicate'], {}).done;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frobnicate"/);
    const help = await run(['help'], {}).done;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve\s+Run the bot/);
  });
});
