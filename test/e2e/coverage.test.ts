/**
 * Monitoring coverage end to end (telegram-test-api emulator + Kubernetes fake + Prometheus stub +
 * PostgreSQL + `startWatchkeeper`): `/coverage`, `/coverage <namespace>/<name>`, and
 * `/coverage fix` proposing a PrometheusRule as an approval card that, approved, is server-side
 * applied to the fake (`monitoring.coreos.com/v1`, labelled managed-by watchkeeper), recorded, and
 * turns rule creation — and, once the stub's "operator" loads it, alerting — green on the next
 * evaluation. The digest through the emulator: its text arrives although the emulator answers
 * sendPhoto with 500 (logged, recorded); the PNG itself is decoded in test/coverage/service.test.ts.
 *
 * The coverage service is built here from the running stack's pieces, as main.ts builds it, so the
 * test does not depend on the composition root's wiring.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { PrometheusHttp } from '../../agent/prometheus/client.ts';
import { CoverageService } from '../../agent/coverage/index.ts';
import { coverageComposer } from '../../bot/features/coverage.ts';
import { createCoverageNotifier } from '../../bot/notifier.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { ruleGroupsFromObjects, startPrometheusStub, type PrometheusStub } from '../../stubs/prometheus.ts';
import { startStack, USERS, type Stack } from '../support/stack.ts';
import { clusterObjects, recordedRuleGroups, recordedTargets, REFS } from '../coverage/support.ts';
import { decodePng } from '../coverage/png-decode.ts';

interface CoverageStack {
  s: Stack;
  fake: K8sFake;
  prom: PrometheusStub;
  coverage: CoverageService;
  warnings: string[];
}

describe('monitoring coverage end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function start(): Promise<CoverageStack> {
    const fake = await startK8sFake({ rolloutStepMs: 15 });
    cleanups.push(() => fake.close());
    fake.seed(clusterObjects());
    // The stub plays Prometheus with the prometheus-operator: PrometheusRules stored in the fake are served as loaded rules.
    const prom = await startPrometheusStub({ targets: recordedTargets(), groups: recordedRuleGroups(), liveGroups: () => ruleGroupsFromObjects(fake.list('PrometheusRule')) });
    cleanups.push(() => prom.close());
    const s = await startStack({ PROMETHEUS_URL: prom.url }, { fake });
    cleanups.push(() => s.stop());
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const coverage = new CoverageService(
      {
        orm: s.wk.orm,
        cluster: new KubernetesCluster(fake.kubeConfig()),
        prometheus: new PrometheusHttp({ url: s.wk.config.coverage.prometheus!.url }),
        proposer: s.wk.agent,
        // auto-retry would back off 3+6+12 s on the emulator's 500; the digest gives the picture 1 s
        notifier: createCoverageNotifier(s.wk.bot.api, { photoTimeoutMs: 1000, log }),
        clock: { now: () => new Date() },
        log,
      },
      { chatId: s.chatId, criticalNamespaces: s.wk.config.policy.criticalNamespaces, timezone: s.wk.config.coverage.timezone },
    );
    s.wk.bot.use(coverageComposer(coverage, s.wk.agent, log));
    return { s, fake, prom, coverage, warnings };
  }

  /** Sends a command and returns the bot's reply to it (not a card posted meanwhile). */
  const ask = async (s: Stack, user: keyof typeof USERS, text: string) =>
    (await (await s.emu.user(USERS[user], s.chatId, user).sendCommand(text)).reply((m) => m.buttons.length === 0 && !/^🔵/.test(m.text), 8000)).text;

  it('/coverage fix proposes a PrometheusRule; approved, it is applied to the cluster and the next evaluation turns it green', async () => {
    const { s, fake, coverage } = await start();
    expect(await ask(s, 'vic', '/coverage')).toMatch(/No coverage evaluation yet/);
    await coverage.run();

    const summary = await ask(s, 'vic', '/coverage');
    expect(summary).toMatch(/📊 <b>Monitoring coverage<\/b> · 10 assets/);
    expect(summary).toMatch(/‼️ <code>shop-prod\/Deployment\/cart<\/code>/);

    const before = await ask(s, 'vic', '/coverage shop-prod/checkout');
    expect(before).toMatch(/🟡 <b>alerting<\/b> — only cluster-wide generic rules apply/);
    expect(before).toMatch(/🔴 <b>rule creation<\/b> — no alerting rule created by Watchkeeper covers it/);

    expect(await ask(s, 'vic', '/coverage fix shop-prod/checkout')).toMatch(/Only approvers and admins/);
    const reply = await ask(s, 'alice', '/coverage fix shop-prod/checkout');
    expect(reply).toMatch(/📝 Proposed PrometheusRule <code>shop-prod\/rule-checkout<\/code> for <code>shop-prod\/Deployment\/checkout<\/code>: WorkloadDown, WorkloadCrashLooping, WorkloadOOMKilled, WorkloadMemoryNearLimit/);
    expect(reply).toMatch(/left out http_5xx/);

    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toMatch(/Alerting rules for shop-prod\/Deployment\/checkout/);
    expect(card.buttons.every((b) => Buffer.byteLength(String((b as { callback_data?: string }).callback_data ?? '')) <= 64)).toBe(true);
    // Asking again while the card is open does not make a second one.
    expect(await ask(s, 'bob', '/coverage fix shop-prod/Deployment/checkout')).toMatch(/already open/);

    // Approved like any action (two admins when the blast radius asks for it).
    const answer = await s.press('bob', card.message_id, '✅ Approve');
    if (/Approval 1 of 2/.test(answer)) await s.press('carol', card.message_id, '✅ Approve');
    await s.until(card.message_id, (m) => s.stateOf(m.text) === '✅ succeeded', 15_000);

    const rule = fake.get<any>('PrometheusRule', 'shop-prod', 'rule-checkout');
    expect(rule?.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('watchkeeper');
    expect(rule?.spec?.groups?.[0]?.rules?.map((r: { alert: string }) => r.alert)).toContain('WorkloadDown');
    const applies = fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith('/prometheusrules/rule-checkout') && r.contentType?.includes('apply-patch'));
    expect(applies.some((r) => r.query.dryRun === 'All')).toBe(true);
    expect(applies.some((r) => !r.query.dryRun)).toBe(true);

    await coverage.evaluate();
    const [recorded] = await s.db.query<{ status: string; created_by: string; applied_at: Date | null }>(`select status, created_by, applied_at from coverage_rule`);
    expect(recorded).toMatchObject({ status: 'applied', created_by: 'watchkeeper' });
    expect(recorded.applied_at).toBeInstanceOf(Date);
    const after = await ask(s, 'vic', '/coverage shop-prod/checkout');
    expect(after).toMatch(/🟢 <b>rule creation<\/b> — Watchkeeper created PrometheusRule shop-prod\/rule-checkout \(remediation #\d+, applied .*\); Prometheus serves 4 of its alerts/);
    expect(after).toMatch(/🟢 <b>alerting<\/b> — \d+ alerting rules select it: WorkloadDown/);
    expect(after).not.toMatch(/\/coverage fix/);
    expect(await ask(s, 'alice', '/coverage fix shop-prod/checkout')).toMatch(/already covered/);
    // other assets are untouched
    const cart = await coverage.lookup(REFS.cart);
    expect(cart.kind === 'found' && cart.asset.cells.find((c) => c.dimension === 'rule_creation')?.status).toBe('red');
  });

  it('posts the daily digest: the text arrives although the emulator cannot sendPhoto', async () => {
    const { s, coverage, warnings } = await start();
    await coverage.run();
    const out = await coverage.postDigest();
    expect(out).toMatchObject({ kind: 'posted', photo: 'failed' });
    const digest = await s.emu.chat(s.chatId).waitForMessage((m) => /Daily coverage digest/.test(m.text), 8000);
    expect(digest.text).toMatch(/green overall · 10 assets/);
    expect(digest.text).toMatch(/Red assets that matter most/);
    expect(digest.text).toMatch(/No evaluation from 24 h ago to compare with yet/);
    const photoCalls = s.emu.apiCalls('sendPhoto');
    expect(photoCalls.length).toBeGreaterThanOrEqual(1);
    expect(photoCalls[0].status).toBe(500);
    expect(warnings.some((w) => /coverage digest picture not sent|sendPhoto of the coverage heatmap failed/.test(w))).toBe(true);
    const [row] = await s.db.query<{ text_message_id: number; photo_error: string }>(`select text_message_id, photo_error from coverage_digest`);
    expect(row.text_message_id).toBe(digest.message_id);
    expect(row.photo_error).toBeTruthy();
    // The picture it would have sent.
    const built = await coverage.digest();
    const png = decodePng(built!.picture!.png);
    expect(png.height).toBeGreaterThan(10 * 24);
    // Once a day.
    expect(await coverage.postDigest()).toMatchObject({ kind: 'already_posted' });
  });
});
