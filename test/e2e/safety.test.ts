/**
 * Safe remediation end to end (emulator + Kubernetes fake + PostgreSQL): reject with a reason,
 * Later, Silence (with an Alertmanager stub), Undo, learning (runbook review card, trust score,
 * anti-pattern), expiry, and reconciliation after a restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../domain/k8s-objects.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { fixture02, firing, startStack, USERS, type Stack } from '../support/stack.ts';
import { seedDeployment } from '../support/workloads.ts';

const NS = 'eric-eo-cm-ci406';
const NAME = 'eric-log-transformer';

function seedCrashLoop(s: Stack, replicas = 2): void {
  s.fake.seed(
    seedDeployment({
      namespace: NS,
      name: NAME,
      replicas,
      revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
      state: { kind: 'crashloop', exitCode: 1 },
    }),
  );
}

/** A stub of Alertmanager's `POST /api/v2/silences`, recording bodies. */
async function startAlertmanagerStub(): Promise<{ url: string; bodies: any[]; close: () => Promise<void> }> {
  const bodies: any[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v2/silences') {
        bodies.push(JSON.parse(data));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ silenceID: `sil-${bodies.length}` }));
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('safe remediation end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const stack = async (env: Record<string, string> = {}) => {
    const s = await startStack(env);
    cleanups.push(() => s.stop());
    return s;
  };

  it('Reject asks for an optional reason in a conversation and shows it on the card', async () => {
    const s = await stack();
    seedCrashLoop(s);
    await s.post(firing(fixture02()));
    const card = await s.cardOffering('❌ Reject');
    expect(await s.press('alice', card.message_id, '❌ Reject')).toMatch(/Rejected/);
    const question = await s.emu.chat(s.chatId).waitForMessage((m) => /why reject\?/i.test(m.text), 8000);
    expect(question.text).toMatch(/^alice \(@user1001\): why reject\?/);
    // Someone else talking meanwhile is not taken as the reason.
    await s.emu.user(USERS.bob, s.chatId, 'bob').sendText('looking at the dashboards');
    await s.emu.user(USERS.alice, s.chatId, 'alice').sendText('Kafka is down, a restart will not help');
    await s.emu.chat(s.chatId).waitForMessage((m) => /Reason recorded/.test(m.text), 8000);
    const edited = await s.until(card.message_id, (m) => /Reason: Kafka is down/.test(m.text));
    expect(edited.text).toMatch(/Rejected by alice/);
    const [row] = await s.db.query<{ reason: string }>(`select reason from approval_decision where decision = 'reject'`);
    expect(row.reason).toBe('Kafka is down, a restart will not help');
  });

  it('Later snoozes the card and re-posts it when the time comes', async () => {
    const s = await stack({ SNOOZE_MINUTES: '30' });
    seedCrashLoop(s);
    await s.post(firing(fixture02()));
    const card = await s.cardOffering('⏰ Later');
    expect(await s.press('alice', card.message_id, '⏰ Later')).toMatch(/Snoozed for 30 min/);
    const snoozed = await s.until(card.message_id, (m) => /snoozed/.test(s.stateOf(m.text)));
    expect(snoozed.buttons).toHaveLength(0);
    expect(snoozed.text).toMatch(/Comes back at \d\d:\d\d UTC/);
    // Nothing wakes before its time…
    expect(await s.wk.agent.wakeSnoozed()).toBe(0);
    // …then time passes.
    await s.db.query(`update remediation set snoozed_until = now() - interval '1 second'`);
    expect(await s.wk.agent.wakeSnoozed()).toBe(1);
    const reposted = await s.cardOffering('✅ Approve', [card.message_id]);
    expect(reposted.message_id).toBeGreaterThan(card.message_id);
    expect(s.stateOf(reposted.text)).toMatch(/awaiting approval/);
    const old = await s.until(card.message_id, (m) => /Re-posted below/.test(m.text));
    expect(old.buttons).toHaveLength(0);
    // The re-posted card works.
    expect(await s.press('alice', reposted.message_id, '✅ Approve')).toMatch(/Approved/);
    await s.until(reposted.message_id, (m) => s.stateOf(m.text) === '✅ succeeded');
  });

  it('Silence mutes the group for the chosen time, creates an Alertmanager silence, and suppresses new cards', async () => {
    const am = await startAlertmanagerStub();
    cleanups.push(am.close);
    const s = await stack({ ALERTMANAGER_URL: am.url });
    seedCrashLoop(s);
    const body = firing(fixture02());
    await s.post(body);
    const card = await s.cardOffering('🔕 Silence');
    const menu = await s.emu.user(USERS.alice, s.chatId, 'alice').pressButtonByText('🔕 Silence', { messageId: card.message_id });
    expect((await menu.answer()).text).toMatch(/how long/);
    const durations = await s.until(card.message_id, (m) => m.buttons.some((b) => b.text === '4 h'));
    expect(durations.buttons.map((b) => b.text)).toEqual(['1 h', '4 h', '24 h', '↩ Back']);
    expect(await s.press('alice', card.message_id, '4 h')).toMatch(/Silenced for 4 h \(also in Alertmanager\)/);
    await s.until(card.message_id, (m) => /silenced until \d\d:\d\d UTC/.test(m.text));

    expect(am.bodies).toHaveLength(1);
    expect(am.bodies[0].matchers).toEqual([{ name: 'alertname', value: 'Deployment', isRegex: false, isEqual: true }]);
    const hours = (Date.parse(am.bodies[0].endsAt) - Date.parse(am.bodies[0].startsAt)) / 3_600_000;
    expect(hours).toBeCloseTo(4, 3);

    // The group resolves and re-fires (a new alert instance): no new card while silenced.
    await s.post(fixture02());
    await s.post(firing(fixture02(), { startsAt: new Date().toISOString(), fingerprint: 'fbab788ec4c1018c' }));
    await new Promise((r) => setTimeout(r, 800));
    const suppressed = await s.db.query(`select * from audit_log where action = 'card.suppressed'`);
    expect(suppressed.length).toBeGreaterThanOrEqual(1);
    expect(s.emu.chat(s.chatId).messages().filter((m) => m.message_id !== card.message_id)).toHaveLength(0);
  });

  it('Undo runs the inverse through the same approval flow', async () => {
    const s = await stack();
    seedCrashLoop(s);
    await s.post(firing(fixture02()));
    const card = await s.cardOffering('✅ Approve');
    await s.press('alice', card.message_id, '✅ Approve');
    const done = await s.until(card.message_id, (m) => s.stateOf(m.text) === '✅ succeeded');
    expect(done.buttons.map((b) => b.text)).toEqual(['↩️ Undo']);
    const restarted = s.fake.get<Deployment>('Deployment', NS, NAME)!;
    expect(restarted.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();

    expect(await s.press('bob', card.message_id, '↩️ Undo')).toMatch(/Undo proposed/);
    const undoCard = await s.cardOffering('✅ Approve', [card.message_id]);
    expect(undoCard.text).toMatch(/rollout undo deployment\/eric-log-transformer/);
    expect(undoCard.text).toMatch(/Undo of an earlier action/);
    // The original card no longer offers Undo twice.
    await s.until(card.message_id, (m) => m.buttons.length === 0);

    await s.press('alice', undoCard.message_id, '✅ Approve');
    await s.until(undoCard.message_id, (m) => s.stateOf(m.text) === '✅ succeeded');
    const undone = s.fake.get<Deployment>('Deployment', NS, NAME)!;
    expect(undone.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined();
    expect(undone.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const [{ n }] = await s.db.query<{ n: number }>(`select count(*)::int as n from remediation where undo_of is not null`);
    expect(n).toBe(1);
  });

  it('learns from outcomes: runbook review card, trust score, /playbooks; a failure publishes an anti-pattern', async () => {
    const s = await stack();
    seedCrashLoop(s);
    await s.post(firing(fixture02()));
    const card = await s.cardOffering('✅ Approve');
    await s.press('alice', card.message_id, '✅ Approve');
    await s.until(card.message_id, (m) => s.stateOf(m.text) === '✅ succeeded');
    const review = await s.cardOffering('📗 Publish');
    expect(review.text).toMatch(/Runbook draft/);
    expect(review.text).toMatch(/crash_loop on eric-eo-cm-ci406\/Deployment\/eric-log-transformer: restart/);
    expect(await s.press('vic', review.message_id, '📗 Publish')).toMatch(/not on the approver list/);
    expect(await s.press('bob', review.message_id, '📗 Publish')).toMatch(/Runbook published/);
    await s.until(review.message_id, (m) => /Runbook published/.test(m.text) && m.buttons.length === 0);

    const playbooks = await (await s.emu.user(USERS.vic, s.chatId, 'vic').sendCommand('/playbooks')).reply();
    expect(playbooks.text).toMatch(/crash_loop → <b>restart<\/b> · trust 65% \(1 ✓ \/ 0 ✗\) · 📗 runbook/);

    // The same failure again: someone restarts the workload and its pods crash-loop again.
    await s.post(fixture02());
    s.fake.setPodBehaviour('crashloop');
    await new KubernetesCluster(s.fake.kubeConfig()).patch('Deployment', NS, NAME, {
      type: 'strategic',
      body: { spec: { template: { metadata: { annotations: { 'example.com/redeployed-at': 'now' } } } } },
    });
    await s.fake.waitFor(() =>
      s.fake.list<any>('Pod', NS).some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'),
    );
    // The card shows the trust; this time the restart does not help.
    await s.post(firing(fixture02(), { startsAt: new Date().toISOString(), fingerprint: 'fbab788ec4c1018d' }));
    const second = await s.cardOffering('✅ Approve', [card.message_id, review.message_id]);
    expect(second.text).toMatch(/Playbook trust 65% \(1 ✓ \/ 0 ✗\)/);
    await s.press('alice', second.message_id, '✅ Approve');
    await s.until(second.message_id, (m) => s.stateOf(m.text) === '❌ failed', 15_000);
    const [ap] = await s.db.query<{ status: string; days: number }>(
      `select status, round(extract(epoch from (expires_at - created_at)) / 86400)::int as days from knowledge_entry where kind = 'anti_pattern'`,
    );
    expect(ap).toEqual({ status: 'published', days: 7 });
    const [pb] = await s.db.query<{ trust_score: number; failures: number }>(`select trust_score, failures from playbook`);
    expect(pb.failures).toBe(1);
    expect(pb.trust_score).toBeCloseTo(0.455, 3); // 0.65 → 0.7·0.65 + 0.3·0
  });

  it('undecided cards expire and say so; /approvals lists what waits', async () => {
    const s = await stack();
    seedCrashLoop(s);
    await s.post(firing(fixture02()));
    const card = await s.cardOffering('✅ Approve');
    const list = await (await s.emu.user(USERS.vic, s.chatId, 'vic').sendCommand('/approvals')).reply();
    expect(list.text).toMatch(/rollout restart deployment\/eric-log-transformer \(2 pods replaced by a rolling update\) · human · expires \d\d:\d\d UTC/);
    expect(await s.wk.agent.expireApprovals()).toBe(0);
    await s.db.query(`update remediation set expires_at = now() - interval '1 second'`);
    expect(await s.wk.agent.expireApprovals()).toBe(1);
    const expired = await s.until(card.message_id, (m) => /expired/.test(s.stateOf(m.text)));
    expect(expired.buttons).toHaveLength(0);
    expect(await s.press('alice', card.message_id, '✅ Approve').catch(() => 'no button')).toBe('no button');
  });
});
