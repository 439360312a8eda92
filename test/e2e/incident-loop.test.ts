/**
 * The incident loop end to end, against real components: a real Alertmanager payload from
 * ../shared/fixtures is posted to the running server → the card appears in the telegram-test-api
 * emulator's chat → an approver presses a button there → the Kubernetes API fake (real HTTP,
 * used by @kubernetes/client-node) shows the action → the card shows the verified result.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/db.ts';
import type { K8sFake } from '../support/k8s-fake/index.ts';
import type { TelegramEmulator } from '../support/telegram-emulator.ts';
import { fixture02, firing, startStack, USERS, type Stack } from '../support/stack.ts';
import { seedDeployment } from '../support/workloads.ts';
import type { Deployment } from '../../domain/k8s-objects.ts';

const FIXTURES = new URL('../../../shared/fixtures/alertmanager/', import.meta.url);
const { alice: ALICE, bob: BOB, vic: VIC, mallory: MALLORY } = USERS;
const NS = 'eric-eo-cm-ci406';

describe('incident loop end to end', () => {
  let s: Stack;
  let fake: K8sFake;
  let emu: TelegramEmulator;
  let db: TestDatabase;
  let CHAT: number;

  beforeEach(async () => {
    s = await startStack();
    ({ fake, emu, db, chatId: CHAT } = s);
  });
  afterEach(async () => {
    await s?.stop();
  });

  const post = (body: unknown, auth?: string | null) => s.post(body, auth);
  const nonDryRunPatches = (name: string) =>
    fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/deployments/${name}`) && r.query.dryRun !== 'All');
  const alertChat = () => emu.chat(CHAT);
  const stateOf = (text: string) => s.stateOf(text);
  const finished = (id: number) => (m: { message_id: number; text: string }) => m.message_id === id && /succeeded|failed/.test(stateOf(m.text));
  const cardWith = (pattern: RegExp) => alertChat().waitForMessage((m) => pattern.test(m.text), 8000);
  const cardOffering = (label: string) => s.cardOffering(label);

  it('restarts a crash-looping deployment after approval and shows the verified result; the resolved alert closes it', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
    fake.setPodLogs(NS, /eric-log-transformer-.*/, 'app', 'starting\nERROR cannot connect to kafka:9092: connection refused\n', {
      previous: true,
    });

    const res = await post(firing(fixture02()));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ received: 1, stored: 1, incidentChange: 'created' });

    const card = await cardOffering('✅ Approve');
    expect(card.text).toContain('eric-eo-cm-ci406/Deployment/eric-log-transformer');
    expect(card.text).toContain('crash_loop');
    expect(card.text).toMatch(/exit(s with)? code 1/i);
    expect(card.text).toContain('rollout restart deployment/eric-log-transformer');
    expect(card.buttons.map((b) => b.text)).toEqual(['✅ Approve', '❌ Reject', '⏰ Later', '🔕 Silence']);

    const press = await emu.user(ALICE, CHAT, 'alice').pressButtonByText('✅ Approve', { messageId: card.message_id });
    const answer = await press.answer();
    expect(answer.text).toMatch(/Approved/);

    const approved = await alertChat().waitForMessage((m) => m.message_id === card.message_id && /Approved by/.test(m.text) && m.buttons.length === 0, 8000);
    expect(approved.text).toMatch(/Approved by alice \(@user1001\) at \d\d:\d\d UTC/);
    expect(approved.buttons).toHaveLength(0);

    const done = await alertChat().waitForMessage(finished(card.message_id), 10_000);
    expect(stateOf(done.text)).toBe('✅ succeeded');
    expect(done.text).toMatch(/rollout complete: revision 2, 2\/2 pods ready/);

    // The cluster shows what kubectl rollout restart does.
    const dep = fake.get<Deployment>('Deployment', NS, 'eric-log-transformer')!;
    expect(dep.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(dep.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const dryRuns = fake.requests.filter((r) => r.method === 'PATCH' && r.query.dryRun === 'All');
    expect(dryRuns.length).toBeGreaterThanOrEqual(1);
    expect(nonDryRunPatches('eric-log-transformer')).toHaveLength(1);
    expect(nonDryRunPatches('eric-log-transformer')[0].contentType).toBe('application/strategic-merge-patch+json');

    // Audit trail of the remediation.
    const audit = await db.query<{ action: string; actor: string }>(`select action, actor from audit_log order by id`);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['incident.diagnose', 'remediation.propose', 'card.post', 'remediation.approve', 'k8s.dry_run', 'k8s.apply', 'remediation.succeeded']),
    );

    // The real resolved payload closes the incident and edits the card.
    const resolved = await post(fixture02());
    expect(await resolved.json()).toMatchObject({ stored: 1, incidentChange: 'resolved' });
    const closed = await alertChat().waitForMessage((m) => m.message_id === card.message_id && /Status: <b>resolved<\/b>|Status: resolved/.test(m.text), 8000);
    expect(closed.text).toContain('succeeded');
  });

  it('rolls back to the previous revision when the failure began with the latest one', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'checkout',
        revisions: [
          { image: 'registry.example.com/checkout:1.8.0', hash: '5c7d8e9f1' },
          { image: 'registry.example.com/checkout:1.9.0', hash: '6a1b2c3d4' },
        ],
        state: { kind: 'crashloop', exitCode: 1 },
        stuckRollout: true,
      }),
    );
    fake.setPodBehaviour(({ template }) => (template.spec?.containers[0].image?.endsWith(':1.9.0') ? 'crashloop' : 'ready'));

    expect((await post(firing(fixture02(), { deployment: 'checkout', fingerprint: 'aa11', groupKey: '{}:{alertname="Deployment",deployment="checkout"}' }))).status).toBe(202);
    const card = await cardWith(/checkout/);
    const proposal = await alertChat().waitForMessage((m) => m.message_id === card.message_id && /Approve/.test(m.buttons.map((b) => b.text).join()), 8000);
    expect(proposal.text).toContain('bad_rollout');
    expect(proposal.text).toContain('rollout undo deployment/checkout from revision 2 to revision 1 (container app image registry.example.com/checkout:1.9.0 → registry.example.com/checkout:1.8.0)');

    await (await emu.user(BOB, CHAT, 'bob').pressButtonByText('✅ Approve', { messageId: card.message_id })).answer();
    const done = await alertChat().waitForMessage(finished(card.message_id), 10_000);
    expect(stateOf(done.text)).toBe('✅ succeeded');

    const dep = fake.get<Deployment>('Deployment', NS, 'checkout')!;
    expect(dep.spec?.template?.spec?.containers[0].image).toBe('registry.example.com/checkout:1.8.0');
    expect(dep.spec?.template?.metadata?.labels?.['pod-template-hash']).toBeUndefined();
    expect(dep.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const patch = nonDryRunPatches('checkout');
    expect(patch).toHaveLength(1);
    expect(patch[0].contentType).toBe('application/json-patch+json');
  });

  it('reports a failed verification with what was seen', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
    fake.setPodBehaviour('crashloop'); // a restart does not fix it
    await post(firing(fixture02()));
    const card = await cardOffering('✅ Approve');
    await (await emu.user(ALICE, CHAT, 'alice').pressButtonByText('✅ Approve', { messageId: card.message_id })).answer();
    const done = await alertChat().waitForMessage(finished(card.message_id), 12_000);
    expect(stateOf(done.text)).toBe('❌ failed');
    expect(done.text).toMatch(/not verified within 5 s: .*CrashLoopBackOff/);
  });

  it('reject closes the proposal, edits the card and touches nothing', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'crashloop', exitCode: 137, reason: 'OOMKilled' },
      }),
    );
    await post(firing(fixture02()));
    const card = await cardOffering('❌ Reject');
    expect(card.text).toMatch(/oom_killed|OOMKilled/);
    const press = await emu.user(ALICE, CHAT, 'alice').pressButtonByText('❌ Reject', { messageId: card.message_id });
    expect((await press.answer()).text).toMatch(/Rejected/);
    const edited = await alertChat().waitForMessage((m) => m.message_id === card.message_id && /Rejected by/.test(m.text) && m.buttons.length === 0, 8000);
    expect(edited.buttons).toHaveLength(0);
    expect(edited.text).toContain('rejected');
    expect(nonDryRunPatches('eric-log-transformer')).toHaveLength(0);
    const [rem] = await db.query<{ state: string }>('select state from remediation');
    expect(rem.state).toBe('rejected');
  });

  it('refuses non-approvers (and audits the attempt); double taps and racing approvers execute once', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
    await post(firing(fixture02()));
    const card = await cardOffering('✅ Approve');
    const button = card.buttons.find((b) => b.text === '✅ Approve')!;
    const data = 'callback_data' in button ? button.callback_data : '';
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(data).toMatch(/^wk:a:[A-Za-z0-9_-]{12}$/);

    for (const [id, name] of [
      [MALLORY, 'mallory'],
      [VIC, 'vic'],
    ] as const) {
      const refused = await (await emu.user(id, CHAT, name).pressButton(card, data)).answer();
      expect(refused.text).toMatch(/not on the approver list/);
      expect(refused.show_alert).toBe(true);
    }
    const denied = await db.query<{ actor: string; error: string }>(`select actor, error from audit_log where action = 'remediation.approve.denied'`);
    expect(denied.map((d) => d.actor).sort()).toEqual([`user:${MALLORY}`, `user:${VIC}`].sort());
    expect((await db.query<{ state: string }>('select state from remediation'))[0].state).toBe('pending');

    // Alice double-taps while Bob presses at the same moment.
    const alice = emu.user(ALICE, CHAT, 'alice');
    const bob = emu.user(BOB, CHAT, 'bob');
    const presses = await Promise.all([alice.pressButton(card, data), alice.pressButton(card, data, { force: true }), bob.pressButton(card, data, { force: true })]);
    const answers = await Promise.all(presses.map((p) => p.answer()));
    expect(answers.filter((a) => /Approved — executing/.test(a.text ?? ''))).toHaveLength(1);
    expect(answers.filter((a) => /Already approved/.test(a.text ?? ''))).toHaveLength(2);

    expect(stateOf((await alertChat().waitForMessage(finished(card.message_id), 10_000)).text)).toBe('✅ succeeded');
    expect(nonDryRunPatches('eric-log-transformer')).toHaveLength(1);
    const decisions = await db.query('select * from approval_decision');
    expect(decisions).toHaveLength(1);

    // A press after the decision says so.
    const late = await (await bob.pressButton(card, data, { force: true })).answer();
    expect(late.text).toMatch(/^Already approved by (alice|bob) \(@user100[12]\) at \d\d:\d\d UTC; now succeeded\.$/);
  });

  it('ignores a redelivered payload: nothing stored, no second card', async () => {
    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'imagepull' },
      }),
    );
    const body = firing(fixture02());
    expect(await (await post(body)).json()).toMatchObject({ stored: 1, incidentChange: 'created' });
    await cardWith(/image_pull/);
    expect(await (await post(body)).json()).toMatchObject({ received: 1, stored: 0, incidentChange: 'none' });
    await new Promise((r) => setTimeout(r, 300));
    expect(alertChat().messages()).toHaveLength(1);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from alert');
    expect(n).toBe(1);
  });

  it('refuses a malformed payload with 400 and a reason, and unauthenticated posts with 401', async () => {
    const legacy = readFileSync(new URL('05-prometheus_bot_production_example_LEGACY.json', FIXTURES), 'utf8');
    const bad = await post(legacy);
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: string };
    expect(error).toMatch(/version: must be "4"/);
    expect(error).toMatch(/groupKey/);

    expect((await post('{"version": "4", ')).status).toBe(400);
    expect((await post(firing(fixture02()), null)).status).toBe(401);
    expect((await post(firing(fixture02()), 'Bearer wrong')).status).toBe(401);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from alert');
    expect(n).toBe(0);
  });

  it('answers /help, /incidents and /incident <id> in the chat', async () => {
    const vic = emu.user(VIC, CHAT, 'vic');
    const help = await (await vic.sendCommand('/help')).reply();
    for (const c of ['/start', '/help', '/incidents', '/incident <id>']) expect(help.text).toContain(c.replace('<', '&lt;').replace('>', '&gt;'));
    expect((await (await vic.sendCommand('/incidents')).reply()).text).toContain('No open incidents');

    fake.seed(
      seedDeployment({
        namespace: NS,
        name: 'eric-log-transformer',
        revisions: [{ image: 'registry.example.com/log-transformer:2.1.0', hash: '7d9f8c6b5' }],
        state: { kind: 'crashloop', exitCode: 1 },
      }),
    );
    const { incidentId } = (await (await post(firing(fixture02()))).json()) as { incidentId: number };
    await cardOffering('✅ Approve');
    const list = await (await vic.sendCommand('/incidents')).reply();
    expect(list.text).toContain(`#${incidentId} Deployment`);
    expect(list.text).toContain('eric-eo-cm-ci406/Deployment/eric-log-transformer');
    const one = await (await vic.sendCommand(`/incident ${incidentId}`)).reply();
    expect(one.text).toContain(`incident #${incidentId}`);
    expect((await (await vic.sendCommand('/incident abc')).reply()).text).toMatch(/^Usage: \/incident <id>/);
    expect((await (await vic.sendCommand('/incident 99999')).reply()).text).toMatch(/No incident #99999/);
  });
});
