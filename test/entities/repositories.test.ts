/**
 * The repositories against a real PostgreSQL (a fresh, migrated database per describe block):
 * idempotent alert intake and grouping into incidents, the durable job queue, and the atomic
 * approval decisions (ruled by domain/remediation/quorum.ts) and state transitions that make
 * double taps and racing approvers safe; every state write checked against the lifecycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertGroup, NormalizedAlert } from '../../domain/alerts.ts';
import type { RemediationPlan } from '../../agent/plan.ts';
import { applyDecision, IllegalTransition, IN_FLIGHT, UNDECIDED, type RemediationState } from '../../domain/remediation/index.ts';
import type { Store } from '../../entities/repositories/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

const T0 = new Date('2026-11-21T06:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const DEDUP_S = 1800;

let seq = 0;
/** A group key no other test uses. */
const uniqueGroup = (name: string) => `{}:{alertname="${name}",test="${++seq}"}`;

function alert(fingerprint: string, status: 'firing' | 'resolved', startsAt = T0, extra: Partial<NormalizedAlert> = {}): NormalizedAlert {
  return {
    fingerprint,
    status,
    alertname: 'KubePodCrashLooping',
    severity: 'warning',
    labels: { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: `web-${fingerprint}` },
    annotations: { summary: 'Pod is crash looping' },
    startsAt: startsAt.toISOString(),
    ...extra,
  };
}

function group(groupKey: string, alerts: NormalizedAlert[]): AlertGroup {
  return {
    groupKey,
    receiver: 'watchkeeper',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    groupLabels: { alertname: 'KubePodCrashLooping' },
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}

const opts = { dedupWindowS: DEDUP_S, summary: 'Pod is crash looping', target: { kind: 'Pod' as const, namespace: 'shop', name: 'web-1' } };

/** Fingerprints that never collide across tests (the alert unique key is global). */
const fp = (name: string) => `${name}-${String(++seq).padStart(6, '0')}`;

describe('IncidentRepository.ingest (alerts → incidents)', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = db.store;
  });
  afterAll(async () => {
    await db?.drop();
  });

  const incidentsOf = (groupKey: string) =>
    db.query<{ id: number; status: string; severity: string; resolved_at: Date | null }>(
      'select id, status, severity, resolved_at from incident where group_key = $1 order by id',
      [groupKey],
    );
  const jobsFor = (incidentId: number) =>
    db.query<{ kind: string; state: string }>(`select kind, state from job where (payload->>'incidentId')::int = $1 order by id`, [incidentId]);

  it('stores a payload once: a redelivery stores 0 and changes nothing', async () => {
    const key = uniqueGroup('idem');
    const a = fp('a');
    const first = await store.incidents.ingest(group(key, [alert(a, 'firing')]), at(0), opts);
    const second = await store.incidents.ingest(group(key, [alert(a, 'firing')]), at(5), opts);
    expect(first).toMatchObject({ received: 1, stored: 1, incidentChange: 'created' });
    expect(first.incidentId).toBeTypeOf('number');
    expect(second).toEqual({ received: 1, stored: 0, incidentChange: 'none' });
    expect(await incidentsOf(key)).toHaveLength(1);
    expect(await db.query('select id from alert where fingerprint = $1', [a])).toHaveLength(1);
  });

  it('opens the incident with its summary, target, labels and worst severity, and queues one diagnose job', async () => {
    const key = uniqueGroup('create');
    const r = await store.incidents.ingest(
      group(key, [alert(fp('a'), 'firing'), alert(fp('b'), 'firing', T0, { severity: 'critical' })]),
      at(0),
      opts,
    );
    expect(r).toMatchObject({ received: 2, stored: 2, incidentChange: 'created' });
    const incident = await store.incidents.get(r.incidentId!);
    expect(incident).toMatchObject({
      groupKey: key,
      status: 'open',
      alertname: 'KubePodCrashLooping',
      severity: 'critical',
      summary: 'Pod is crash looping',
      target: opts.target,
      groupLabels: { alertname: 'KubePodCrashLooping' },
      resolvedAt: null,
    });
    expect(incident!.openedAt.toISOString()).toBe(at(0).toISOString());
    expect(await jobsFor(r.incidentId!)).toEqual([{ kind: 'diagnose', state: 'queued' }]);
    const attached = await db.query('select id from alert where incident_id = $1', [r.incidentId]);
    expect(attached).toHaveLength(2);
  });

  it('groups payloads of one groupKey into one incident (updated), with one diagnose job', async () => {
    const key = uniqueGroup('grouping');
    const a = fp('a');
    const b = fp('b');
    const first = await store.incidents.ingest(group(key, [alert(a, 'firing')]), at(0), opts);
    // Alertmanager resends the whole group: A again (duplicate) plus the new B, now critical.
    const second = await store.incidents.ingest(group(key, [alert(a, 'firing'), alert(b, 'firing', at(60), { severity: 'critical' })]), at(60), opts);
    expect(second).toMatchObject({ received: 2, stored: 1, incidentChange: 'updated', incidentId: first.incidentId });
    const [incident] = await incidentsOf(key);
    expect(incident.severity).toBe('critical');
    expect((await store.incidents.get(first.incidentId!))!.lastAlertAt.toISOString()).toBe(at(60).toISOString());
    expect((await jobsFor(first.incidentId!)).filter((j) => j.kind === 'diagnose')).toHaveLength(1);
  });

  it('keeps different groups in different incidents', async () => {
    const r1 = await store.incidents.ingest(group(uniqueGroup('g1'), [alert(fp('a'), 'firing')]), at(0), opts);
    const r2 = await store.incidents.ingest(group(uniqueGroup('g2'), [alert(fp('b'), 'firing')]), at(0), opts);
    expect(r1.incidentChange).toBe('created');
    expect(r2.incidentChange).toBe('created');
    expect(r1.incidentId).not.toBe(r2.incidentId);
  });

  it('resolves only when every fingerprint of the incident is resolved, then queues incident-resolved', async () => {
    const key = uniqueGroup('resolve');
    const a = fp('a');
    const b = fp('b');
    const opened = await store.incidents.ingest(group(key, [alert(a, 'firing'), alert(b, 'firing')]), at(0), opts);
    const id = opened.incidentId!;

    const one = await store.incidents.ingest(group(key, [alert(a, 'resolved'), alert(b, 'firing')]), at(60), opts);
    expect(one).toMatchObject({ stored: 1, incidentId: id });
    expect(one.incidentChange).not.toBe('resolved');
    expect((await store.incidents.get(id))!.status).toBe('open');
    expect((await jobsFor(id)).map((j) => j.kind)).toEqual(['diagnose']);

    const both = await store.incidents.ingest(group(key, [alert(a, 'resolved'), alert(b, 'resolved')]), at(120), opts);
    expect(both).toMatchObject({ stored: 1, incidentId: id, incidentChange: 'resolved' });
    const incident = await store.incidents.get(id);
    expect(incident!.status).toBe('resolved');
    expect(incident!.resolvedAt!.toISOString()).toBe(at(120).toISOString());
    expect((await jobsFor(id)).map((j) => j.kind)).toEqual(['diagnose', 'incident-resolved']);

    // A redelivery of the resolved payload changes nothing and queues nothing more.
    const again = await store.incidents.ingest(group(key, [alert(a, 'resolved'), alert(b, 'resolved')]), at(130), opts);
    expect(again).toEqual({ received: 2, stored: 0, incidentChange: 'none' });
    expect(await jobsFor(id)).toHaveLength(2);
  });

  it('a resolved alert of a group without an open incident is stored but opens nothing', async () => {
    const key = uniqueGroup('orphan-resolved');
    const r = await store.incidents.ingest(group(key, [alert(fp('a'), 'resolved')]), at(0), opts);
    expect(r).toEqual({ received: 1, stored: 1, incidentChange: 'none' });
    expect(await incidentsOf(key)).toEqual([]);
  });

  it('a late firing delivery of an alert already resolved (HA redelivery out of order) opens no incident', async () => {
    const key = uniqueGroup('late-firing');
    const a = fp('a');
    await store.incidents.ingest(group(key, [alert(a, 'resolved', T0)]), at(100), opts);
    await store.incidents.ingest(group(key, [alert(a, 'firing', T0)]), at(101), opts);
    expect((await incidentsOf(key)).filter((i) => i.status === 'open')).toEqual([]);
  });

  it.each([
    ['within the dedup window → reopens the same incident', DEDUP_S - 1, 'reopened', true],
    ['at the edge of the window → reopens', DEDUP_S, 'reopened', true],
    ['outside the window → a new incident', DEDUP_S + 1, 'created', false],
  ] as const)('re-fire %s', async (_name, afterS, change, same) => {
    const key = uniqueGroup('refire');
    const a = fp('a');
    const opened = await store.incidents.ingest(group(key, [alert(a, 'firing', at(0))]), at(0), opts);
    await store.incidents.ingest(group(key, [alert(a, 'resolved', at(0))]), at(100), opts);
    expect((await store.incidents.get(opened.incidentId!))!.status).toBe('resolved');

    // A re-fire is a new episode of the same alert: same fingerprint, a new startsAt.
    const refire = await store.incidents.ingest(group(key, [alert(a, 'firing', at(100 + afterS))]), at(100 + afterS), opts);
    expect(refire.incidentChange).toBe(change);
    expect(refire.incidentId === opened.incidentId).toBe(same);
    const open = (await incidentsOf(key)).filter((i) => i.status === 'open');
    expect(open).toHaveLength(1);
    expect(open[0].id).toBe(refire.incidentId);
    expect(open[0].resolved_at).toBeNull();
    // created or reopened: a (new) diagnosis is queued
    expect((await jobsFor(refire.incidentId!)).filter((j) => j.kind === 'diagnose').length).toBe(same ? 2 : 1);
  });

  it('10 concurrent deliveries of a new group open exactly one incident', async () => {
    const key = uniqueGroup('race');
    const fps = Array.from({ length: 10 }, (_, i) => fp(`r${i}`));
    const results = await Promise.all(fps.map((f) => store.incidents.ingest(group(key, [alert(f, 'firing')]), at(0), opts)));
    const open = (await incidentsOf(key)).filter((i) => i.status === 'open');
    expect(open).toHaveLength(1);
    expect(results.filter((r) => r.incidentChange === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.incidentChange === 'updated')).toHaveLength(9);
    expect(new Set(results.map((r) => r.incidentId))).toEqual(new Set([open[0].id]));
    expect(results.every((r) => r.stored === 1)).toBe(true);
    const attached = await db.query('select fingerprint from alert where incident_id = $1', [open[0].id]);
    expect(attached).toHaveLength(10);
    expect((await jobsFor(open[0].id)).filter((j) => j.kind === 'diagnose')).toHaveLength(1);
  });

  it('the same payload delivered 5 times concurrently is stored once', async () => {
    const key = uniqueGroup('race-dup');
    const a = fp('a');
    const results = await Promise.all(Array.from({ length: 5 }, () => store.incidents.ingest(group(key, [alert(a, 'firing')]), at(0), opts)));
    expect(results.map((r) => r.stored).reduce((s, n) => s + n, 0)).toBe(1);
    expect(await incidentsOf(key)).toHaveLength(1);
    expect(await db.query('select id from alert where fingerprint = $1', [a])).toHaveLength(1);
  });

  // The severity rule of domain/incidents.ts, as the intake applies it (severity order and
  // default passed in as parameters): the incident takes the worst severity of its firing alerts.
  it.each([
    [['warning', 'critical', 'info'], 'critical'],
    [['info', 'none'], 'info'],
    [['Warning', 'ERROR'], 'error'],
    [['slack', 'info'], 'warning'],
    [['none'], 'none'],
  ])('an incident of alerts with severities %j is %s', async (severities, expected) => {
    const key = uniqueGroup('severity');
    const r = await store.incidents.ingest(group(key, severities.map((severity) => alert(fp('s'), 'firing', T0, { severity }))), at(0), opts);
    expect((await store.incidents.get(r.incidentId!))!.severity).toBe(expected);
  });

  it('a later, more severe alert raises the open incident’s severity; a milder one does not lower it', async () => {
    const key = uniqueGroup('severity-update');
    const r = await store.incidents.ingest(group(key, [alert(fp('a'), 'firing', T0, { severity: 'warning' })]), at(0), opts);
    await store.incidents.ingest(group(key, [alert(fp('b'), 'firing', at(10), { severity: 'critical' })]), at(10), opts);
    await store.incidents.ingest(group(key, [alert(fp('c'), 'firing', at(20), { severity: 'info' })]), at(20), opts);
    expect((await store.incidents.get(r.incidentId!))!.severity).toBe('critical');
  });

  it('the intake ranks severities in the order it is given (the domain’s), not one of its own', async () => {
    const key = uniqueGroup('severity-order');
    const alerts = [alert(fp('a'), 'firing', T0, { severity: 'critical' }), alert(fp('b'), 'firing', T0, { severity: 'info' })];
    const [{ r }] = await db.query<{ r: { incidentId: number } }>(
      'select watchkeeper_ingest($1, $2, $3::jsonb, $4::timestamptz, $5, $6, null, $7::jsonb, $8::text[], $9) as r',
      [key, 'watchkeeper', JSON.stringify(alerts), T0.toISOString(), DEDUP_S, 's', '{}', ['none', 'info', 'warning', 'error', 'critical'], 'warning'],
    );
    expect((await store.incidents.get(r.incidentId))!.severity).toBe('info');
  });

  it('lists open incidents newest first', async () => {
    const r1 = await store.incidents.ingest(group(uniqueGroup('list1'), [alert(fp('a'), 'firing')]), at(0), opts);
    const r2 = await store.incidents.ingest(group(uniqueGroup('list2'), [alert(fp('b'), 'firing')]), at(0), opts);
    const ids = (await store.incidents.listOpen(500)).map((i) => i.incident.id);
    expect(ids.indexOf(r2.incidentId!)).toBeLessThan(ids.indexOf(r1.incidentId!));
    expect(ids.indexOf(r1.incidentId!)).toBeGreaterThanOrEqual(0);
  });
});

describe('JobQueue', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = db.store;
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** The lease the tests claim with (one worker, 60 s). */
  const W = { holder: 'worker-a', durationMs: 60_000 };
  const jobRow = (id: number) =>
    db.query<{ state: string; attempts: number; last_error: string | null; run_at: Date; locked_at: Date | null; locked_by: string | null; locked_until: Date | null }>(
      'select state, attempts, last_error, run_at, locked_at, locked_by, locked_until from job where id = $1',
      [id],
    ).then((r) => r[0]);

  it('claims due jobs oldest first, once each; nothing when none is due', async () => {
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 2 }, new Date('2001-01-01T00:00:02Z'));
    await store.jobs.enqueue({ kind: 'execute', remediationId: 1 }, new Date('2001-01-01T00:00:01Z'));
    await store.jobs.enqueue({ kind: 'incident-resolved', incidentId: 3 }, new Date('2001-01-01T01:00:00Z'));
    const now = new Date('2001-01-01T00:10:00Z');
    const a = await store.jobs.claim(now, W);
    const b = await store.jobs.claim(now, W);
    const c = await store.jobs.claim(now, W);
    expect(a).toEqual({ id: expect.any(Number), kind: 'execute', job: { kind: 'execute', remediationId: 1 }, attempts: 1 });
    expect(b).toMatchObject({ job: { kind: 'diagnose', incidentId: 2 }, attempts: 1 });
    expect(c).toBeUndefined(); // n:3 is not due yet
    expect(await jobRow(a!.id)).toMatchObject({ state: 'running' });
    await store.jobs.complete(a!.id, W.holder);
    expect(await jobRow(a!.id)).toMatchObject({ state: 'done', locked_at: null });
    await store.jobs.complete(b!.id, W.holder);
    const late = await store.jobs.claim(new Date('2001-01-01T02:00:00Z'), W);
    expect(late).toMatchObject({ job: { kind: 'incident-resolved', incidentId: 3 } });
    await store.jobs.complete(late!.id, W.holder);
  });

  it('20 concurrent claimers over 5 jobs get 5 distinct jobs', async () => {
    const runAt = new Date('2002-01-01T00:00:00Z');
    for (let i = 0; i < 5; i++) await store.jobs.enqueue({ kind: 'diagnose', incidentId: i }, runAt);
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.jobs.claim(new Date('2002-01-01T00:00:01Z'), W)));
    const got = claims.filter((c) => c !== undefined);
    expect(got).toHaveLength(5);
    expect(new Set(got.map((c) => c!.id)).size).toBe(5);
    expect(new Set(got.map((c) => (c!.job as { incidentId: number }).incidentId))).toEqual(new Set([0, 1, 2, 3, 4]));
    for (const c of got) await store.jobs.complete(c!.id, W.holder);
  });

  it('failJob with retryAt requeues for later; without it fails for good', async () => {
    const t = new Date('2003-01-01T00:00:00Z');
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 1 }, t);
    const first = await store.jobs.claim(t, W);
    const retryAt = new Date('2003-01-01T00:05:00Z');
    await store.jobs.fail(first!.id, W.holder, 'boom: cluster unreachable', retryAt);
    expect(await jobRow(first!.id)).toMatchObject({ state: 'queued', last_error: 'boom: cluster unreachable', locked_at: null });
    expect((await jobRow(first!.id)).run_at.toISOString()).toBe(retryAt.toISOString());
    expect(await store.jobs.claim(new Date('2003-01-01T00:04:59Z'), W)).toBeUndefined();
    const second = await store.jobs.claim(retryAt, W);
    expect(second).toMatchObject({ id: first!.id, attempts: 2 });
    await store.jobs.fail(second!.id, W.holder, 'still broken');
    expect(await jobRow(first!.id)).toMatchObject({ state: 'failed', last_error: 'still broken', attempts: 2 });
    expect(await store.jobs.claim(new Date('2100-01-01T00:00:00Z'), W)).toBeUndefined();
  });

  it('failJob keeps at most 4000 characters of the error', async () => {
    const t = new Date('2004-01-01T00:00:00Z');
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 1 }, t);
    const j = await store.jobs.claim(t, W);
    await store.jobs.fail(j!.id, W.holder, 'x'.repeat(10_000));
    expect((await jobRow(j!.id)).last_error).toHaveLength(4000);
  });

  it('a running job is taken over only once its lease expires; the holder renews it and cannot record the end after losing it', async () => {
    const t = new Date('2005-01-01T00:00:00Z');
    const at = (s: number) => new Date(t.getTime() + s * 1000);
    const B = { holder: 'worker-b', durationMs: 60_000 };
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 1 }, t);
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 2 }, t);
    const a = await store.jobs.claim(at(10), W); // held until at(70)
    const b = await store.jobs.claim(at(20), B);
    expect(await jobRow(a!.id)).toMatchObject({ state: 'running', locked_by: 'worker-a' });
    expect((await jobRow(a!.id)).locked_until!.toISOString()).toBe(at(70).toISOString());
    expect(await store.jobs.claim(at(60), B)).toBeUndefined(); // a's lease still runs
    expect(await store.jobs.renew([a!.id], W, at(60))).toEqual([a!.id]); // held until at(120)
    expect(await store.jobs.renew([a!.id, b!.id], B, at(60))).toEqual([b!.id]); // only the holder renews
    expect(await store.jobs.claim(at(100), B)).toBeUndefined();
    // worker-a stops renewing (it died, or the database was down): the job is B's after at(120).
    const taken = await store.jobs.claim(at(121), B);
    expect(taken).toMatchObject({ id: a!.id, attempts: 2, job: { kind: 'diagnose', incidentId: 1 } });
    expect(await jobRow(a!.id)).toMatchObject({ state: 'running', locked_by: 'worker-b' });
    // The old holder can neither renew nor record an end of a job it no longer holds.
    expect(await store.jobs.renew([a!.id], W, at(122))).toEqual([]);
    expect(await store.jobs.complete(a!.id, W.holder)).toBe(false);
    expect(await store.jobs.fail(a!.id, W.holder, 'late')).toBe(false);
    expect(await jobRow(a!.id)).toMatchObject({ state: 'running', locked_by: 'worker-b', last_error: null });
    expect(await store.jobs.complete(a!.id, B.holder)).toBe(true);
    expect(await store.jobs.complete(b!.id, B.holder)).toBe(true);
    expect(await jobRow(a!.id)).toMatchObject({ state: 'done', locked_by: null, locked_until: null });
  });

  it('a job left running without a lease (an older version) is claimable at once', async () => {
    const t = new Date('2005-06-01T00:00:00Z');
    await db.query(`insert into job (kind, payload, state, attempts, run_at, created_at, locked_at) values ('diagnose', '{"incidentId":9}', 'running', 1, $1, $1, $1)`, [t]);
    const j = await store.jobs.claim(t, W);
    expect(j).toMatchObject({ attempts: 2, job: { kind: 'diagnose', incidentId: 9 } });
    expect(await store.jobs.complete(j!.id, W.holder)).toBe(true);
  });

  it('stats counts due queued jobs and the age of the oldest', async () => {
    const t = new Date('2005-09-01T00:00:00Z');
    expect(await store.jobs.stats(t)).toEqual({ queued: 0, oldestQueuedAgeSeconds: 0 });
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 1 }, t);
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 2 }, new Date(t.getTime() + 30_000));
    await store.jobs.enqueue({ kind: 'diagnose', incidentId: 3 }, new Date(t.getTime() + 3_600_000)); // not due
    expect(await store.jobs.stats(new Date(t.getTime() + 90_000))).toEqual({ queued: 2, oldestQueuedAgeSeconds: 90 });
    for (let i = 0; i < 3; i++) {
      const j = await store.jobs.claim(new Date(t.getTime() + 7_200_000), W);
      await store.jobs.complete(j!.id, W.holder);
    }
  });

  it('decodes a stored job it does not know as undefined (the worker fails it for good)', async () => {
    const t = new Date('2006-01-01T00:00:00Z');
    await db.query(`insert into job (kind, payload, state, attempts, run_at, created_at) values ('retired-kind', '{}', 'queued', 0, $1, $1)`, [t]);
    await db.query(`insert into job (kind, payload, state, attempts, run_at, created_at) values ('execute', '{"remediationId":"x"}', 'queued', 0, $1, $1)`, [t]);
    const unknown = await store.jobs.claim(t, W);
    const malformed = await store.jobs.claim(t, W);
    expect(unknown).toMatchObject({ kind: 'retired-kind', job: undefined });
    expect(malformed).toMatchObject({ kind: 'execute', job: undefined });
    await store.jobs.fail(unknown!.id, W.holder, 'unknown');
    await store.jobs.fail(malformed!.id, W.holder, 'unknown');
  });

  it('jobCounts counts per state', async () => {
    const counts = await store.jobs.counts();
    expect(counts.failed).toBeGreaterThanOrEqual(2);
    expect(counts.done).toBeGreaterThanOrEqual(5);
    expect(Object.values(counts).every((n) => typeof n === 'number')).toBe(true);
  });
});

describe('RemediationRepository: remediations, decisions and transitions', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = db.store;
  });
  afterAll(async () => {
    await db?.drop();
  });

  let tokenSeq = 0;
  async function remediation(over: { state?: RemediationState; approvalsRequired?: number; expiresAt?: Date | undefined; incidentId?: number } = {}) {
    const incidentId =
      over.incidentId ?? (await store.incidents.ingest(group(uniqueGroup('rem'), [alert(fp('x'), 'firing')]), T0, opts)).incidentId!;
    const plan = {
      action: 'restart',
      target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
      params: {},
      description: 'rollout restart deployment/web',
      tier: 'human',
      approvalsRequired: over.approvalsRequired ?? 1,
      blastRadius: { score: 15, tier: 'human', reasons: [] },
    } as unknown as RemediationPlan;
    return store.remediations.create({
      incidentId,
      token: `tok${String(++tokenSeq).padStart(5, '0')}`,
      plan,
      state: over.state ?? 'pending',
      now: T0,
      expiresAt: 'expiresAt' in over ? over.expiresAt : at(3600),
      origin: 'alert',
    });
  }
  const executeJobs = (remediationId: number) =>
    db.query(`select id from job where kind = 'execute' and (payload->>'remediationId')::int = $1`, [remediationId]);
  const decide = (token: string, userId: number, decision: 'approve' | 'reject' = 'approve', when = at(10)) =>
    store.remediations.decide({ token, userId, userName: `user${userId}`, decision, now: when }, applyDecision);

  it('creates a remediation and finds it by id and token', async () => {
    const rem = await remediation();
    expect(rem).toMatchObject({ state: 'pending', approvalsRequired: 1, action: 'restart', preState: null, result: null });
    expect(await store.remediations.get(rem.id)).toMatchObject({ id: rem.id, token: rem.token, incidentId: rem.incidentId });
    expect(await store.remediations.byToken(rem.token)).toMatchObject({ id: rem.id });
    expect(await store.remediations.byToken('nope0000')).toBeUndefined();
    expect(await store.remediations.latestOf(rem.incidentId)).toMatchObject({ id: rem.id });
  });

  it('an unknown token is not_found', async () => {
    expect(await decide('unknown0', 1)).toEqual({ kind: 'not_found' });
  });

  it('one approver approves (approvalsRequired 1) → decided, approved, one execute job', async () => {
    const rem = await remediation();
    const out = await decide(rem.token, 101);
    expect(out.kind).toBe('decided');
    if (out.kind !== 'decided') return;
    expect(out.remediation.state).toBe('approved');
    expect(out.decisions).toEqual([{ userId: 101, userName: 'user101', decision: 'approve', reason: null, decidedAt: at(10) }]);
    expect(await executeJobs(rem.id)).toHaveLength(1);
    expect((await store.remediations.get(rem.id))!.updatedAt.toISOString()).toBe(at(10).toISOString());
  });

  it('a double tap by the same approver changes nothing the second time', async () => {
    const rem = await remediation();
    expect((await decide(rem.token, 102)).kind).toBe('decided');
    const second = await decide(rem.token, 102);
    expect(['already_voted', 'not_pending']).toContain(second.kind);
    expect(await executeJobs(rem.id)).toHaveLength(1);
    expect(await store.remediations.decisions(rem.id)).toHaveLength(1);
  });

  it('10 approvers racing → exactly one decided and one execute job', async () => {
    const rem = await remediation();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => decide(rem.token, 200 + i)));
    expect(outcomes.filter((o) => o.kind === 'decided')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'not_pending')).toHaveLength(9);
    expect(await executeJobs(rem.id)).toHaveLength(1);
    expect(await store.remediations.decisions(rem.id)).toHaveLength(1);
    expect((await store.remediations.get(rem.id))!.state).toBe('approved');
  });

  it('dual approval: the same person twice does not approve; a second person does', async () => {
    const rem = await remediation({ approvalsRequired: 2 });
    const first = await decide(rem.token, 301);
    expect(first).toMatchObject({ kind: 'recorded', approvals: 1 });
    const again = await decide(rem.token, 301, 'approve', at(20));
    expect(again.kind).toBe('already_voted');
    expect((await store.remediations.get(rem.id))!.state).toBe('pending');
    expect(await executeJobs(rem.id)).toHaveLength(0);

    const second = await decide(rem.token, 302, 'approve', at(30));
    expect(second.kind).toBe('decided');
    if (second.kind !== 'decided') return;
    expect(second.remediation.state).toBe('approved');
    expect(second.decisions.map((d) => d.userId)).toEqual([301, 302]);
    expect(await executeJobs(rem.id)).toHaveLength(1);
  });

  it('dual approval with racing approvers executes once', async () => {
    const rem = await remediation({ approvalsRequired: 2 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => decide(rem.token, 400 + i)));
    expect(outcomes.filter((o) => o.kind === 'recorded')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'decided')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'not_pending')).toHaveLength(4);
    expect(await executeJobs(rem.id)).toHaveLength(1);
  });

  it('reject → decided, rejected, no execute job; a later approve is not_pending', async () => {
    const rem = await remediation();
    const rejected = await decide(rem.token, 501, 'reject');
    expect(rejected.kind).toBe('decided');
    if (rejected.kind !== 'decided') return;
    expect(rejected.remediation.state).toBe('rejected');
    const late = await decide(rem.token, 502, 'approve', at(20));
    expect(late.kind).toBe('not_pending');
    if (late.kind !== 'not_pending') return;
    expect(late.remediation.state).toBe('rejected');
    expect(late.decisions.map((d) => [d.userId, d.decision])).toEqual([[501, 'reject']]);
    expect(await executeJobs(rem.id)).toHaveLength(0);
  });

  it('a reject after one of two approvals rejects', async () => {
    const rem = await remediation({ approvalsRequired: 2 });
    expect((await decide(rem.token, 601)).kind).toBe('recorded');
    const out = await decide(rem.token, 602, 'reject', at(20));
    expect(out).toMatchObject({ kind: 'decided', remediation: { state: 'rejected' } });
    expect(await executeJobs(rem.id)).toHaveLength(0);
  });

  it.each(['blocked', 'approved', 'expired', 'cancelled'] as const)('a remediation in state %s cannot be decided', async (state) => {
    const rem = await remediation({ state });
    const out = await decide(rem.token, 701);
    expect(out.kind).toBe('not_pending');
    expect(await store.remediations.decisions(rem.id)).toEqual([]);
    expect(await executeJobs(rem.id)).toHaveLength(0);
  });

  const APPLIED = { preState: null, params: { replicas: 3 }, inverse: null, detail: 'scaled' };

  describe('transition() is one conditional update', () => {
    it('moves from an allowed state and stores fields', async () => {
      const rem = await remediation({ state: 'approved' });
      const moved = await store.remediations.transition(rem.id, ['approved'], 'executing', at(50), { preState: APPLIED });
      expect(moved).toMatchObject({ id: rem.id, state: 'executing', preState: APPLIED });
      expect(moved!.updatedAt.toISOString()).toBe(at(50).toISOString());
      const done = await store.remediations.transition(rem.id, ['executing', 'verifying'], 'failed', at(60), { result: { ok: false, message: 'x', at: at(60).toISOString() } });
      expect(done).toMatchObject({ state: 'failed', result: { ok: false, message: 'x' }, preState: APPLIED });
    });

    it('returns undefined and changes nothing when the state is not among `from`', async () => {
      const rem = await remediation({ state: 'pending' });
      expect(await store.remediations.transition(rem.id, ['approved'], 'executing', at(50))).toBeUndefined();
      const row = await store.remediations.get(rem.id);
      expect(row).toMatchObject({ state: 'pending' });
      expect(row!.updatedAt.toISOString()).toBe(T0.toISOString());
    });

    it('lets exactly one of racing callers win', async () => {
      const rem = await remediation({ state: 'approved' });
      const results = await Promise.all(Array.from({ length: 8 }, () => store.remediations.transition(rem.id, ['approved'], 'executing', at(50))));
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.remediations.transition(999_999, ['pending'], 'approved', at(1))).toBeUndefined();
    });

    it('refuses a move the state machine forbids (succeeded → pending)', async () => {
      const rem = await remediation({ state: 'succeeded' });
      await expect(store.remediations.transition(rem.id, ['succeeded'], 'pending', at(50))).rejects.toBeInstanceOf(IllegalTransition);
      expect((await store.remediations.get(rem.id))!.state).toBe('succeeded');
    });
  });

  it('expirePending expires only pending remediations past their expiry', async () => {
    const incidentId = (await store.incidents.ingest(group(uniqueGroup('expire'), [alert(fp('e'), 'firing')]), T0, opts)).incidentId!;
    const due = await remediation({ incidentId, expiresAt: at(100) });
    const later = await remediation({ incidentId, expiresAt: at(10_000) });
    const never = await remediation({ incidentId, expiresAt: undefined });
    const approved = await remediation({ incidentId, state: 'approved', expiresAt: at(100) });
    const expired = await store.remediations.expireDue(at(200));
    const ids = expired.map((r) => r.id);
    expect(ids).toContain(due.id);
    expect(ids).not.toContain(later.id);
    expect(ids).not.toContain(never.id);
    expect(ids).not.toContain(approved.id);
    expect(expired.find((r) => r.id === due.id)).toMatchObject({ state: 'expired' });
    expect((await store.remediations.get(later.id))!.state).toBe('pending');
    expect((await store.remediations.get(approved.id))!.state).toBe('approved');
    // idempotent
    expect((await store.remediations.expireDue(at(300))).map((r) => r.id)).not.toContain(due.id);
    // an expired card cannot be approved afterwards
    expect((await decide(due.token, 801, 'approve', at(400))).kind).toBe('not_pending');
  });

  it('cancelPending cancels undecided remediations of that incident only', async () => {
    const incidentId = (await store.incidents.ingest(group(uniqueGroup('cancel'), [alert(fp('c'), 'firing')]), T0, opts)).incidentId!;
    const pending = await remediation({ incidentId });
    const proposed = await remediation({ incidentId, state: 'proposed' });
    const snoozed = await remediation({ incidentId, state: 'snoozed' });
    const executing = await remediation({ incidentId, state: 'executing' });
    const elsewhere = await remediation();
    const cancelled = await store.remediations.transitionAllOf(incidentId, UNDECIDED, 'cancelled', at(500));
    expect(cancelled.sort((a, b) => a - b)).toEqual([pending.id, proposed.id, snoozed.id].sort((a, b) => a - b));
    expect((await store.remediations.get(pending.id))!.state).toBe('cancelled');
    expect((await store.remediations.get(executing.id))!.state).toBe('executing');
    expect((await store.remediations.get(elsewhere.id))!.state).toBe('pending');
    expect(await store.remediations.transitionAllOf(incidentId, UNDECIDED, 'cancelled', at(600))).toEqual([]);
  });

  it('inFlightRemediations lists executing and verifying', async () => {
    const executing = await remediation({ state: 'executing' });
    const verifying = await remediation({ state: 'verifying' });
    const pending = await remediation();
    const ids = (await store.remediations.inStates(IN_FLIGHT)).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([executing.id, verifying.id]));
    expect(ids).not.toContain(pending.id);
  });

  it('writes and reads the audit trail of a subject in order', async () => {
    await store.audit({ actor: 'user:1', action: 'remediation.approve', subject: 'remediation:audit-1', input: { a: 1 } }, at(1));
    await store.audit(
      { actor: 'worker', action: 'k8s.patch', subject: 'remediation:audit-1', output: { ok: true }, durationMs: 12.7, error: 'none' },
      at(2),
    );
    await store.audit({ actor: 'worker', action: 'other', subject: 'remediation:audit-2' }, at(3));
    expect(await store.auditLog.trail('remediation:audit-1')).toEqual([
      { actor: 'user:1', action: 'remediation.approve', subject: 'remediation:audit-1', input: { a: 1 }, output: null, durationMs: undefined, error: undefined },
      { actor: 'worker', action: 'k8s.patch', subject: 'remediation:audit-1', input: null, output: { ok: true }, durationMs: 13, error: 'none' },
    ]);
  });

  it('remembers card messages (chat ids beyond 32 bits)', async () => {
    const rem = await remediation();
    await store.cards.save({ ref: { chatId: -1001234567890, messageId: 42 }, kind: 'incident', incidentId: rem.incidentId, remediationId: rem.id, now: T0 });
    expect(await store.cards.ofIncident(rem.incidentId)).toEqual([{ chatId: -1001234567890, messageId: 42, remediationId: rem.id }]);
  });

  it('ping is true while the database answers', async () => {
    expect(await store.incidents.ping()).toBe(true);
  });
});
