/**
 * The coverage service against real PostgreSQL, the Kubernetes API fake and the Prometheus stub
 * (recorded targets and rules): discovery runs and stable identities, each dimension from its real
 * source, a failing source leaving only its dimension unknown, set-based reads, lookups and rule
 * proposals, the digest (text and PNG decoded: size and colours), the daily-once rule, and the
 * degraded digest when sendPhoto fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HEATMAP_COLORS } from '../../domain/coverage/heatmap.ts';
import type { CoverageDigestView, CoverageNotifier, DigestPicture } from '../../agent/coverage/index.ts';
import { renderAssetCoverage, renderCoverageDigest, renderCoverageSummary, renderRuleProposal } from '../../bot/render/coverage.ts';
import { decodePng } from './png-decode.ts';
import { REFS, startCoverageHarness, type CoverageHarness } from './support.ts';

describe('coverage service (PostgreSQL + Kubernetes fake + Prometheus stub)', () => {
  let h: CoverageHarness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('discovers the inventory, stores each run with status and counts, and keeps identities across runs', async () => {
    h = await startCoverageHarness();
    const first = await h.service.discover();
    expect(first).toMatchObject({ status: 'succeeded', total: 10, added: 10, gone: 0, counts: { Deployment: 4, StatefulSet: 2, DaemonSet: 1, CronJob: 1, Node: 2 } });
    const ids1 = await h.db.query<{ id: number; ref: string }>(`select id, kind || '/' || namespace || '/' || name as ref from coverage_asset order by id`);
    const [node] = await h.db.query<{ internal_ip: string; owner: string; namespace: string }>(`select internal_ip, owner, namespace from coverage_asset where name = 'worker-1'`);
    expect(node).toEqual({ internal_ip: '10.0.0.11', owner: 'nodepool:general', namespace: '' });

    // cart is deleted and recreated with a new uid; shop-dev/checkout goes away
    h.fake.seed([{ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cart', namespace: 'shop-prod', uid: 'uid-new-cart', labels: { app: 'cart' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'app' }] } } } }]);
    await fetch(`${h.fake.url}/apis/apps/v1/namespaces/shop-dev/deployments/checkout`, { method: 'DELETE', headers: { authorization: 'Bearer t' } });
    h.clock.set(new Date('2026-11-21T09:07:00Z'));
    const second = await h.service.discover();
    expect(second).toMatchObject({ status: 'succeeded', total: 9, added: 0, gone: 1 });
    const ids2 = await h.db.query<{ id: number; ref: string; uid: string; gone_at: Date | null }>(`select id, kind || '/' || namespace || '/' || name as ref, uid, gone_at from coverage_asset order by id`);
    expect(ids2.map((r) => [r.id, r.ref])).toEqual(ids1.map((r) => [r.id, r.ref]));
    expect(ids2.find((r) => r.ref === 'Deployment/shop-prod/cart')?.uid).toBe('uid-new-cart');
    expect(ids2.find((r) => r.ref === 'Deployment/shop-dev/checkout')?.gone_at).toBeInstanceOf(Date);

    // CronJobs cannot be listed: the run is partial and the CronJob is kept as it was
    h.fake.injectFault({ path: /\/cronjobs$/, status: 500, times: 1 });
    const third = await h.service.discover();
    expect(third.status).toBe('partial');
    expect(third.errors.CronJob).toMatch(/HTTP 500/);
    const runs = await h.db.query<{ status: string; counts: Record<string, number>; assets_total: number; assets_gone: number }>(`select status, counts, assets_total, assets_gone from coverage_discovery_run order by id`);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'partial']);
    expect(runs[2].counts).not.toHaveProperty('CronJob');
    const [cj] = await h.db.query<{ gone_at: Date | null }>(`select gone_at from coverage_asset where kind = 'CronJob'`);
    expect(cj.gone_at).toBeNull();
  });

  it('evaluates the seven dimensions from their sources, with evidence {source, why}', async () => {
    h = await startCoverageHarness();
    await h.service.discover();
    const ids = Object.fromEntries(
      (await h.db.query<{ id: number; ref: string }>(`select id, case when namespace = '' then kind || '/' || name else namespace || '/' || kind || '/' || name end as ref from coverage_asset`)).map((r) => [r.ref, r.id]),
    );
    const now = h.clock.now();
    // history: a published runbook for checkout, a published playbook for cart, a succeeded restart of
    // orders-db (by pod), an incident on the CronJob's job, and an old one (outside 30 days) on cart
    await h.db.query(
      `insert into knowledge_entry (kind, status, symptoms_hash, action, target, title, body, created_at) values
       ('runbook', 'published', 'aaaaaaaaaaaaaaaa', 'restart', $1, 'crash_loop on checkout: restart', 'b', $2),
       ('anti_pattern', 'discarded', 'bbbbbbbbbbbbbbbb', 'restart', $3, 'discarded one', 'b', $2)`,
      [REFS.checkout, now, REFS.cart],
    );
    await h.db.query(
      `insert into playbook (symptoms_hash, action, target, category, trust_score, successes, failures, last_outcome_at, published) values
       ('cccccccccccccccc', 'restart', $1, 'crash_loop', 0.65, 1, 0, $2, true), ('dddddddddddddddd', 'scale', $3, 'hpa_maxed', 0.3, 1, 0, $2, false)`,
      [REFS.cart, now, REFS.checkout],
    );
    const [inc] = await h.db.query<{ id: number }>(
      `insert into incident (group_key, status, alertname, severity, summary, target, group_labels, opened_at, last_alert_at) values
       ('g1', 'resolved', 'KubeJobFailed', 'warning', 's', '{"kind":"Job","namespace":"batch","name":"nightly-report-28973160"}', '{}', $1, $1),
       ('g2', 'resolved', 'KubeDeploymentReplicasMismatch', 'warning', 's', '{"kind":"Deployment","namespace":"shop-prod","name":"cart"}', '{}', $2, $2)
       returning id`,
      [new Date(now.getTime() - 2 * 86_400_000), new Date(now.getTime() - 40 * 86_400_000)],
    );
    await h.db.query(
      `insert into remediation (incident_id, token, action, target, params, plan, state, approvals_required, created_at, updated_at) values
       ($1, 'tok-a', 'delete_pod', '{"kind":"Pod","namespace":"shop-prod","name":"orders-db-0"}', '{}', '{}', 'succeeded', 1, $2, $2),
       ($1, 'tok-b', 'restart', '{"kind":"Deployment","namespace":"shop-prod","name":"cart"}', '{}', '{}', 'rejected', 1, $2, $2)`,
      [inc.id, new Date(now.getTime() - 3 * 86_400_000)],
    );
    const outcome = await h.service.evaluate();
    expect(outcome).toMatchObject({ status: 'succeeded', assets: 10, changedCells: 70 });
    const c = await h.cells();
    const expected: Record<string, string> = {
      [REFS.checkout]: 'monitoring:green alerting:yellow knowledge:green playbook:yellow remediation:red rule_matching:yellow rule_creation:red',
      [REFS.cart]: 'monitoring:red alerting:green knowledge:yellow playbook:green remediation:red rule_matching:yellow rule_creation:red',
      [REFS.ordersDb]: 'monitoring:red alerting:green knowledge:yellow playbook:yellow remediation:green rule_matching:yellow rule_creation:red',
      [REFS.nightly]: 'monitoring:red alerting:yellow knowledge:yellow playbook:yellow remediation:red rule_matching:green rule_creation:red',
      [REFS.alertmanager]: 'monitoring:green alerting:green knowledge:yellow playbook:yellow remediation:red rule_matching:yellow rule_creation:red',
      [REFS.worker1]: 'monitoring:green alerting:yellow knowledge:yellow playbook:yellow remediation:yellow rule_matching:yellow rule_creation:red',
      [REFS.worker2]: 'monitoring:red alerting:yellow knowledge:yellow playbook:yellow remediation:yellow rule_matching:yellow rule_creation:red',
    };
    for (const [ref, line] of Object.entries(expected)) {
      const got = ['monitoring', 'alerting', 'knowledge', 'playbook', 'remediation', 'rule_matching', 'rule_creation'].map((d) => `${d}:${c[ref][d].status}`).join(' ');
      expect(`${ref} ${got}`).toBe(`${ref} ${line}`);
    }
    expect(c[REFS.ordersDb].remediation).toMatchObject({ source: 'postgres remediation', why: expect.stringMatching(/1 action ran .* delete_pod \(succeeded\)/) });
    expect(c[REFS.nightly].rule_matching.why).toMatch(/KubeJobFailed/);
    expect(c[REFS.checkout].monitoring.why).toMatch(/2 active targets \(job checkout\), 1 up; 1 down/);

    // history per evaluation: the 7-letter codes, and the summary
    const [ev] = await h.db.query<{ codes: Record<string, string>; summary: { assets: number }; status: string }>(`select codes, summary, status from coverage_evaluation`);
    expect(ev.codes[String(ids[REFS.cart])]).toBe('rgygryr');
    expect(ev.summary.assets).toBe(10);

    // a second evaluation with nothing new writes no cell
    const again = await h.service.evaluate();
    expect(again.changedCells).toBe(0);
  });

  it('reads Prometheus once per source and PostgreSQL in a few statements, whatever the number of assets', async () => {
    h = await startCoverageHarness();
    await h.service.discover();
    h.prom.requests.length = 0;
    await h.service.evaluate();
    expect(h.prom.requests.sort()).toEqual(['/api/v1/rules?type=alert', '/api/v1/targets?state=active']);
  });

  it.each([
    ['/api/v1/targets', 'monitoring', /data source failed: Prometheus \/api\/v1\/targets\?state=active failed \(HTTP 503\)/],
    ['/api/v1/rules', 'alerting', /data source failed: Prometheus \/api\/v1\/rules\?type=alert failed \(HTTP 422\): bad_data: parse error/],
  ])('a failing %s leaves only %s unknown, and the run goes on', async (path, dimension, why) => {
    h = await startCoverageHarness();
    await h.service.discover();
    h.prom.fail(path === '/api/v1/rules' ? { path, status: 422, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } } : { path, status: 503 });
    const outcome = await h.service.evaluate();
    expect(outcome.status).toBe('partial');
    const c = await h.cells();
    for (const ref of Object.values(REFS)) {
      expect(c[ref][dimension]).toMatchObject({ status: 'unknown', why: expect.stringMatching(why) });
      for (const d of ['knowledge', 'playbook', 'remediation', 'rule_matching', 'rule_creation']) expect(c[ref][d].status).not.toBe('unknown');
    }
    expect(c[REFS.checkout][dimension === 'monitoring' ? 'alerting' : 'monitoring'].status).not.toBe('unknown');
  });

  it('a failing PostgreSQL source leaves only its dimension unknown', async () => {
    h = await startCoverageHarness();
    await h.service.discover();
    await h.db.query(`alter table knowledge_entry rename to knowledge_entry_moved`);
    try {
      await h.service.evaluate();
    } finally {
      await h.db.query(`alter table knowledge_entry_moved rename to knowledge_entry`);
    }
    const c = await h.cells();
    expect(c[REFS.checkout].knowledge).toMatchObject({ status: 'unknown', source: 'postgres knowledge_entry', why: expect.stringMatching(/relation "knowledge_entry" does not exist/) });
    expect(c[REFS.checkout].monitoring.status).toBe('green');
    expect(c[REFS.checkout].playbook.status).toBe('yellow');
  });

  it('without PROMETHEUS_URL monitoring and alerting are unknown and the rest is evaluated', async () => {
    h = await startCoverageHarness({ prometheus: false });
    await h.service.run();
    const c = await h.cells();
    expect(c[REFS.cart].monitoring).toMatchObject({ status: 'unknown', why: 'data source failed: PROMETHEUS_URL is not set' });
    expect(c[REFS.cart].alerting.status).toBe('unknown');
    expect(c[REFS.cart].remediation.status).toBe('red');
    const summary = await h.service.summary();
    expect(renderCoverageSummary(summary!)).toMatch(/⚪ <b>monitoring<\/b>: unknown — PROMETHEUS_URL is not set/);
  });

  it('looks assets up with their evidence and proposes a PrometheusRule for a red cell', async () => {
    h = await startCoverageHarness({ settings: { ruleLabels: { release: 'kube-prometheus-stack' } } });
    h.prom.setSeries([
      { __name__: 'http_requests_total', namespace: 'shop-prod', pod: 'checkout-7d9f8c6b5-x2x4z', code: '200' },
      { __name__: 'process_cpu_seconds_total', namespace: 'shop-prod', pod: 'checkout-7d9f8c6b5-x2x4z' },
      { __name__: 'http_requests_total', namespace: 'shop-prod', pod: 'cart-5c6d7e8f9-mn3kp', code: '200' },
    ]);
    await h.service.run();

    const found = await h.service.lookup('shop-prod/checkout');
    expect(found.kind).toBe('found');
    if (found.kind !== 'found') return;
    expect(found.asset).toMatchObject({ ref: REFS.checkout, owner: 'helm:shop', critical: true, members: 2, fixable: true });
    expect(found.asset.cells.map((x) => x.dimension)).toEqual(['monitoring', 'alerting', 'knowledge', 'playbook', 'remediation', 'rule_matching', 'rule_creation']);
    const text = renderAssetCoverage(found.asset);
    expect(text).toMatch(/🔎 <b>shop-prod\/Deployment\/checkout<\/b> · ‼️ critical namespace/);
    expect(text).toMatch(/🟢 <b>monitoring<\/b> — 2 active targets/);
    expect(text).toMatch(/source: prometheus \/api\/v1\/targets/);
    expect(text).toMatch(/\/coverage fix shop-prod\/Deployment\/checkout/);
    expect((await h.service.lookup('checkout')).kind).toBe('ambiguous');
    expect(await h.service.lookup('node/worker-2')).toMatchObject({ kind: 'found', asset: { ref: REFS.worker2, internalIp: '10.0.0.12', fixable: false } });
    expect(await h.service.lookup('shop-prod/chekout')).toMatchObject({ kind: 'not_found', suggestions: [] });
    expect(await h.service.lookup('shop-prod/check')).toMatchObject({ kind: 'not_found', suggestions: [REFS.checkout] });

    const proposed = await h.service.proposeRule('shop-prod/checkout', { id: 1001, name: 'alice' });
    expect(proposed).toMatchObject({ kind: 'proposed', ruleName: 'rule-checkout', namespace: 'shop-prod', alreadyOpen: false, skipped: [] });
    expect(h.proposer.calls).toHaveLength(1);
    const call = h.proposer.calls[0];
    expect(call).toMatchObject({ key: `coverage-rule:${REFS.checkout}`, action: 'apply_manifest', target: { kind: 'Manifest', namespace: 'shop-prod', name: 'rule-checkout' }, actor: { id: 1001 } });
    const [manifest] = JSON.parse(String(call.params.manifest));
    expect(manifest.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'watchkeeper', release: 'kube-prometheus-stack' });
    expect(manifest.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual(['WorkloadDown', 'WorkloadCrashLooping', 'WorkloadOOMKilled', 'WorkloadMemoryNearLimit', 'WorkloadHigh5xxRate']);
    expect(h.prom.requests.some((r) => r.startsWith('/api/v1/label/__name__/values?match[]='))).toBe(true);
    const [row] = await h.db.query<{ status: string; created_by: string; proposed_by: string; templates: string[] }>(`select status, created_by, proposed_by, templates from coverage_rule`);
    expect(row).toMatchObject({ status: 'proposed', created_by: 'watchkeeper', proposed_by: 'user:1001 alice' });
    expect(renderRuleProposal(proposed)).toMatch(/Proposed PrometheusRule <code>shop-prod\/rule-checkout<\/code>.*WorkloadHigh5xxRate/);
    // The approval flow tells what became of it; the rule records it without reading the flow's tables.
    await h.proposer.outcomes.notify({ remediationId: proposed.kind === 'proposed' ? proposed.remediationId : -1, origin: 'coverage', state: 'succeeded' });
    const [applied] = await h.db.query<{ status: string; applied_at: Date | null }>(`select status, applied_at from coverage_rule`);
    expect(applied).toMatchObject({ status: 'applied', applied_at: h.clock.now() });

    expect(await h.service.proposeRule('node/worker-1', { id: 1, name: 'a' })).toMatchObject({ kind: 'unsupported' });
    expect(await h.service.proposeRule('shop-prod/nope', { id: 1, name: 'a' })).toMatchObject({ kind: 'not_found' });
  });

  it('builds the digest: ratios, change since yesterday, red assets (critical first) and a PNG heatmap', async () => {
    h = await startCoverageHarness({ settings: { heatmapRows: 8, topRed: 3 } });
    // yesterday
    h.clock.set(new Date('2026-11-20T09:00:00Z'));
    h.prom.setTargets([]);
    await h.service.run();
    // today: the targets are back
    const { recordedTargets } = await import('./support.ts');
    h.prom.setTargets(recordedTargets());
    h.clock.set(new Date('2026-11-21T09:00:00Z'));
    await h.service.run();
    const built = await h.service.digest();
    expect(built).toBeDefined();
    const { view, picture } = built!;
    expect(view.previous?.evaluatedAt.toISOString()).toBe('2026-11-20T09:00:00.000Z');
    const mon = view.dimensions.find((d) => d.dimension === 'monitoring')!;
    expect(mon).toMatchObject({ green: 5, red: 5, ratio: 0.5, deltaPp: 50 });
    expect(view.changes).toMatchObject({ turnedRed: 0, turnedGreen: 5, added: 0, removed: 0 });
    expect(view.topRed.map((r) => r.critical)).toEqual([true, true, true]);
    expect(view.topRed[0]).toMatchObject({ ref: REFS.devCheckout.replace('shop-dev', 'shop-prod').replace('checkout', 'cart'), red: ['monitoring', 'remediation', 'rule_creation'] });

    const text = renderCoverageDigest(view);
    expect(text).toMatch(/📊 <b>Daily coverage digest<\/b> · 2026-11-21 09:00 UTC/);
    expect(text).toMatch(/<b>\d+%<\/b> green overall \(▲ \d+\.\d pp\) since yesterday · 10 assets \(4 Deployments, 2 StatefulSets, 1 DaemonSet, 1 CronJob, 2 nodes\)/);
    expect(text).toMatch(/🟡 <b>monitoring<\/b>: 50% \(▲ 50\.0 pp\) · 5 green, 5 red/);
    expect(text).toMatch(/<b>Since yesterday<\/b>: 0 assets turned red, 5 turned green, 0 new, 0 gone\./);
    expect(text).toMatch(/1\. ‼️ <code>shop-prod\/Deployment\/cart<\/code> — monitoring, remediation, rule creation/);
    expect(text).toMatch(/Heatmap: top 8 of 10 assets/);
    expect(text.length).toBeLessThan(4096);

    expect(picture).toBeDefined();
    const png = decodePng(picture!.png);
    expect(png.width).toBeGreaterThanOrEqual(400);
    expect(png.width).toBeLessThanOrEqual(1200);
    // title, subtitle, header, 8 rows of 24 px, key and legend
    expect(png.height).toBeGreaterThan(8 * 24);
    expect(png.height).toBeLessThan(8 * 24 + 300);
    const colours = png.colours();
    for (const c of [HEATMAP_COLORS.green, HEATMAP_COLORS.yellow, HEATMAP_COLORS.red, HEATMAP_COLORS.background, HEATMAP_COLORS.text]) expect(colours.has(c.join(','))).toBe(true);
    expect(colours.has(HEATMAP_COLORS.unknown.join(','))).toBe(true); // the key shows it even when no cell is unknown
    expect(picture!.caption).toMatch(/top 8 of 10 assets/);
  });

  it('posts the digest once per local day; a failing sendPhoto leaves the text and is recorded', async () => {
    const posted: Array<{ chatId: number; view: CoverageDigestView; picture?: DigestPicture }> = [];
    const notifier: CoverageNotifier = {
      async postDigest(chatId, view, picture) {
        posted.push({ chatId, view, picture });
        return { textMessageId: 77, photo: { kind: 'failed', error: '500 API method sendPhoto is not supported' } };
      },
    };
    h = await startCoverageHarness({ notifier, settings: { timezone: 'Europe/Berlin' } });
    h.clock.set(new Date('2026-11-21T08:00:00Z'));
    // no evaluation yet: the digest evaluates first
    const out = await h.service.postDigest();
    expect(out).toMatchObject({ kind: 'posted', textMessageId: 77, photo: 'failed', photoError: /sendPhoto/ });
    expect(posted).toHaveLength(1);
    expect(posted[0].chatId).toBe(-100123);
    expect(posted[0].picture?.png.length).toBeGreaterThan(500);
    expect(await h.service.postDigest()).toEqual({ kind: 'already_posted', day: '2026-11-21' });
    const [d] = await h.db.query<{ day: string; text_message_id: number; photo_message_id: number | null; photo_error: string }>(`select day, text_message_id, photo_message_id, photo_error from coverage_digest`);
    expect(d).toEqual({ day: '2026-11-21', text_message_id: 77, photo_message_id: null, photo_error: '500 API method sendPhoto is not supported' });
    // 23:30 UTC is already the next day in Berlin
    h.clock.set(new Date('2026-11-21T23:30:00Z'));
    expect(await h.service.postDigest()).toMatchObject({ kind: 'posted' });
  });
});
