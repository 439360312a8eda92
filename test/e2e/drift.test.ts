/**
 * Drift end to end: Telegram emulator + Kubernetes API fake + PostgreSQL + a real Git remote.
 * The drift service is built from the configuration (DRIFT_* variables) next to the running
 * Watchkeeper, and the bot is assembled by bot/index.ts's createBot with that drift service (the drift
 * composer after the conversations plugin and before the approval buttons' catch-all).
 *
 * - Rollback: press Rollback on the drift card → the approval card → Approve → the fake's
 *   Deployment is back to Git's image → the approval card says succeeded → the drift card says
 *   rolled back.
 * - Adopt: press Adopt → confirm "yes" in the conversation → a commit on a new branch of the bare
 *   remote, with the live image, linked from the card.
 */
import type { Bot } from 'grammy';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriftService, type DriftService } from '../../agent/drift/index.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { createBot, createTelegramApi, type BotContext } from '../../bot/index.ts';
import { createDriftNotifier } from '../../bot/notifier.ts';
import { loadConfig } from '../../config.ts';
import type { Deployment } from '../../domain/k8s-objects.ts';
import { createRemote, type TestRemote } from '../drift/support/git-repo.ts';
import { OPERATORS, startStack, USERS, WEBHOOK_TOKEN, type Stack } from '../support/stack.ts';
import { seedDeployment } from '../support/workloads.ts';

const NS = 'shop';
const GIT_IMAGE = 'registry.example.com/web:1.4.2';
const LIVE_IMAGE = 'registry.example.com/web:1.4.3-hotfix';

const MANIFEST = `# The shop's web frontend.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  replicas: 2 # scaled by hand for now
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: ${GIT_IMAGE} # released by CI
        ports:
        - name: http
          containerPort: 8080
`;

interface DriftStack {
  s: Stack;
  remote: TestRemote;
  drift: DriftService;
  bot: Bot<BotContext>;
}

/** The stack, a Git remote with the manifest, the fake holding the hot-fixed Deployment, and the bot with drift wired in. */
async function driftStack(): Promise<DriftStack> {
  const remote = createRemote({ 'deploy/web.yaml': MANIFEST });
  const s = await startStack();
  s.fake.seed(
    seedDeployment({
      namespace: NS,
      name: 'web',
      replicas: 2,
      revisions: [
        { image: GIT_IMAGE, hash: '5d8f7c6b9' },
        { image: LIVE_IMAGE, hash: '6c9d8e7fa' },
      ],
      state: { kind: 'ready' },
    }),
  );
  // The configuration as an operator would write it.
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: s.emu.token,
    TELEGRAM_API_ROOT: s.emu.apiRoot,
    TELEGRAM_CHAT_IDS: String(s.chatId),
    TELEGRAM_OPERATORS: OPERATORS,
    WEBHOOK_BEARER_TOKEN: WEBHOOK_TOKEN,
    DRIFT_REPO: remote.bare,
    DRIFT_FOLDERS: 'deploy',
    DRIFT_NAMESPACES: NS,
    DRIFT_CACHE_DIR: remote.cacheDir,
    DRIFT_OWNERSHIP_LABEL: 'none',
  });
  const log = pino({ level: process.env.E2E_LOG ?? 'silent' });
  const { agent, store, orm } = s.wk;
  // What main.ts does (see the wiring notes in agent/drift/index.ts).
  const drift = createDriftService(
    config,
    {
      orm,
      cluster: new KubernetesCluster(s.fake.kubeConfig()),
      chat: createDriftNotifier(s.wk.bot.api),
      proposer: agent,
      audit: (e) => store.audit(e, new Date()),
      roleOf: (id) => agent.roleOf(id),
      clock: { now: () => new Date() },
      log,
    },
    { rollbackPollMs: 100 },
  )!;
  drift.start();
  // The bot as main.ts builds it, with this drift service.
  await s.emu.stopPump();
  const api = createTelegramApi({ token: s.emu.token, apiRoot: s.emu.apiRoot, throttle: false, retry: false });
  const bot = createBot({ api, agent, drift, chatIds: [s.chatId], log });
  await bot.init();
  s.emu.pumpInto(bot);
  return { s, remote, drift, bot };
}

describe('drift end to end', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const start = async () => {
    const d = await driftStack();
    cleanups.push(() => d.remote.cleanup());
    cleanups.push(() => d.s.stop());
    cleanups.push(() => d.drift.stop());
    return d;
  };

  it('Rollback on the drift card goes through the approval card and restores Git’s version', async () => {
    const { s, drift } = await start();
    const chat = s.emu.chat(s.chatId);

    // /drift scan as an operator: one card; a second scan posts nothing new.
    await s.emu.user(USERS.vic, s.chatId, 'vic').sendCommand('/drift scan');
    const card = await s.cardOffering('⏪ Rollback');
    expect(card.text).toMatch(/Drift report #1/);
    expect(card.text).toContain(`git: <code>${GIT_IMAGE}</code> → live: <code>${LIVE_IMAGE}</code>`);
    expect(card.text).toMatch(/emergency hotfix/);
    expect(card.buttons.map((b) => b.text)).toEqual(['⏪ Rollback', '📥 Adopt', '👀 Acknowledge', '🙈 Ignore']);
    await chat.waitForMessage((m) => /new drift report #1/.test(m.text), 8000);
    expect(await drift.scan()).toEqual([{ kind: 'unchanged', source: 'default', reportId: 1 }]);
    expect(chat.messages().filter((m) => /Drift report #/.test(m.text))).toHaveLength(1);

    // A viewer may read, not roll back.
    const denied = await s.press('vic', card.message_id, '⏪ Rollback');
    expect(denied).toMatch(/not on the approver list/);
    const list = await (await s.emu.user(USERS.vic, s.chatId, 'vic').sendCommand('/drift')).reply();
    expect(list.text).toMatch(/#1 <code>default<\/code> · 1 item\(s\) in 1 object\(s\): 1 high/);

    // Alice rolls back: the normal approval card appears.
    expect(await s.press('alice', card.message_id, '⏪ Rollback')).toMatch(/Rollback proposed \(approval card #\d+\)/);
    const approval = await s.cardOffering('✅ Approve', [card.message_id]);
    expect(approval.text).toMatch(/Drift rollback #1/);
    expect(approval.text).toMatch(/Blast radius \d+\/100/);
    await s.until(card.message_id, (m) => /Rollback proposed/.test(m.text) && m.buttons.length === 0);

    expect(await s.press('alice', approval.message_id, '✅ Approve')).toMatch(/Approved/);
    await s.until(approval.message_id, (m) => s.stateOf(m.text) === '✅ succeeded', 15_000);
    const restored = s.fake.get<Deployment>('Deployment', NS, 'web')!;
    expect(restored.spec?.template?.spec?.containers?.[0]?.image).toBe(GIT_IMAGE);
    expect((restored.metadata as { managedFields?: Array<{ manager?: string }> }).managedFields?.some((f) => f.manager === 'watchkeeper')).toBe(true);

    const rolledBack = await s.until(card.message_id, (m) => /Status: <b>⏪ rolled back<\/b> by alice/.test(m.text), 10_000);
    expect(rolledBack.text).toMatch(/Rolled back to Git/);
    const audit = await s.db.query<{ action: string }>(`select action from audit_log where subject = 'drift:1' order by id`);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['drift.interpret', 'drift.card.post', 'drift.rollback.denied', 'drift.rollback', 'drift.rolled_back']));
  });

  it('Adopt asks for confirmation, then commits the live value to a new branch of the remote', async () => {
    const { s, remote, drift } = await start();
    const chat = s.emu.chat(s.chatId);
    await drift.scan();
    const card = await s.cardOffering('📥 Adopt');

    // "no" cancels.
    expect(await s.press('alice', card.message_id, '📥 Adopt')).toMatch(/confirm in the chat/);
    const question = await chat.waitForMessage((m) => /adopt drift report #1\?/.test(m.text), 8000);
    expect(question.text).toMatch(/^alice \(@user1001\): adopt drift report #1\? The live values of 1 field\(s\) in 1 object\(s\) will be written .* pushed to a new branch watchkeeper\/drift-1\. Reply yes or no\.$/);
    await s.emu.user(USERS.alice, s.chatId, 'alice').sendText('no');
    await chat.waitForMessage((m) => /Adopt of report #1 cancelled/.test(m.text), 8000);
    expect(() => remote.git('rev-parse', '--verify', 'watchkeeper/drift-1')).toThrow();

    // "yes" adopts; someone else talking meanwhile is not taken as the answer.
    await s.emu.user(USERS.alice, s.chatId, 'alice').sendCommand('/drift adopt 1');
    await chat.waitForMessage((m) => m.message_id > question.message_id && /adopt drift report #1\?/.test(m.text), 8000);
    await s.emu.user(USERS.bob, s.chatId, 'bob').sendText('yes');
    await s.emu.user(USERS.alice, s.chatId, 'alice').sendText('yes');
    const done = await chat.waitForMessage((m) => /Drift report #1 adopted by alice/.test(m.text), 15_000);
    expect(done.text).toMatch(/1 field\(s\) in deploy\/web\.yaml, commit [0-9a-f]{8} on watchkeeper\/drift-1\. Merge watchkeeper\/drift-1 into main to end the drift\./);

    // The bare remote has the commit; only the image line changed; comments kept.
    expect(remote.git('log', '-1', '--format=%s', 'watchkeeper/drift-1').trim()).toBe('watchkeeper: adopt live state from drift report #1');
    const adopted = remote.show('watchkeeper/drift-1', 'deploy/web.yaml');
    expect(adopted).toBe(MANIFEST.replace(`image: ${GIT_IMAGE} # released by CI`, `image: ${LIVE_IMAGE} # released by CI`));
    expect(remote.show('main', 'deploy/web.yaml')).toBe(MANIFEST);

    const updated = await s.until(card.message_id, (m) => /📥 adopted/.test(m.text));
    expect(updated.text).toMatch(/Status: <b>📥 adopted<\/b> by alice/);
    expect(updated.text).toMatch(/Commit <code>[0-9a-f]{8}<\/code> on <code>watchkeeper\/drift-1<\/code>: 1 field\(s\) in deploy\/web\.yaml/);
    expect(updated.buttons).toHaveLength(0);
    // Adopted reports are closed; the drift stays until the branch is merged, and is not re-posted.
    expect(await drift.scan()).toEqual([{ kind: 'unchanged', source: 'default', reportId: 1 }]);
    const [row] = await s.db.query<{ actor: string; output: { branch: string } }>(`select actor, output from audit_log where action = 'drift.adopt'`);
    expect(row).toMatchObject({ actor: `user:${USERS.alice}`, output: { branch: 'watchkeeper/drift-1' } });
  });
});
