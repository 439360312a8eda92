/**
 * The drift service on real PostgreSQL and a real Git remote, with an in-memory cluster and a
 * recording chat: repeated scans do not re-post, a malformed manifest is reported with its file
 * and line while the rest is scanned, changed drift supersedes, in-sync resolves, decisions are
 * checked against roles and audited, and Rollback follows its approval proposals.
 */
import type { DiagnosisRecord } from '../../agent/diagnose.ts';
import type { RemediationPlan } from '../../agent/plan.ts';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DriftRepository } from '../../agent/drift/repository.ts';
import { DriftService, type DriftServiceSettings } from '../../agent/drift/service.ts';
import type { DriftCardView, DriftChatPort, DriftProposer } from '../../agent/drift/index.ts';
import { MemoryCluster } from '../../agent/memory-cluster.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createRemote, type TestRemote } from './support/git-repo.ts';

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: web:1.4.2
`;
const API = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:3.0.0
`;
const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
data:
  flags: "a,b"
`;
// Line 6 is indented with a tab: a YAML syntax error.
const BROKEN = `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
  namespace: shop
data:
\tkey: value
`;

function live(image = 'web:1.4.3-hotfix', flags = 'a,b', apiImage = 'api:3.0.0'): KObject[] {
  const meta = { uid: 'u', resourceVersion: '7', creationTimestamp: '2026-11-21T00:00:00Z' };
  return [
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', ...meta }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image, imagePullPolicy: 'IfNotPresent' }] } } }, status: { replicas: 2 } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'payments', ...meta }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'api', image: apiImage }] } } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'shop', ...meta }, data: { flags } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'broken', namespace: 'shop', ...meta }, data: { key: 'value' } },
  ];
}

/** A chat that records posts and edits. */
function recordingChat(): DriftChatPort & { posts: DriftCardView[]; edits: Array<{ messageId: number; view: DriftCardView }> } {
  const posts: DriftCardView[] = [];
  const edits: Array<{ messageId: number; view: DriftCardView }> = [];
  return {
    posts,
    edits,
    async postDriftCard(chatId, view) {
      posts.push(view);
      return { chatId, messageId: 100 + posts.length };
    },
    async editDriftCard(ref, view) {
      edits.push({ messageId: ref.messageId, view });
    },
  };
}

const ROLES: Record<number, 'viewer' | 'approver' | 'admin'> = { 1: 'approver', 2: 'viewer', 3: 'admin' };
const alice = { id: 1, name: 'Alice (@alice)' };
const vic = { id: 2, name: 'Vic (@vic)' };

describe('DriftService', () => {
  let db: TestDatabase;
  let remote: TestRemote;
  let cluster: { current: MemoryCluster };
  let chat: ReturnType<typeof recordingChat>;
  let proposals: Array<Parameters<DriftProposer['proposeAction']>[0]>;
  let service: DriftService;

  beforeEach(async () => {
    db = await createTestDatabase();
    remote = createRemote({ 'apps/web.yaml': WEB, 'apps/api.yaml': API, 'apps/config.yaml': CONFIG, 'apps/broken.yaml': BROKEN });
    cluster = { current: new MemoryCluster(live()) };
    chat = recordingChat();
    proposals = [];
    const proposer: DriftProposer = {
      // What the agent's outcome port answers: the remediations as they stand.
      outcomes: {
        subscribe: () => () => {},
        current: async (ids) => (await db.store.remediations.byIds(ids)).map((r) => ({ remediationId: r.id, origin: r.origin, state: r.state })),
      },
      async proposeAction(input) {
        proposals.push(input);
        const now = new Date();
        const incidentId = await db.store.incidents.openForProposal({ groupKey: input.key, alertname: input.title, summary: input.summary, target: input.target, diagnosis: {} as DiagnosisRecord, now });
        const plan = { action: input.action, target: input.target, params: input.params, approvalsRequired: 1 } as unknown as RemediationPlan;
        const rem = await db.store.remediations.create({ incidentId, token: `tok${proposals.length}xxxx`, plan, state: 'pending', now, origin: 'drift' });
        return { incidentId, remediationId: rem.id };
      },
    };
    const settings: DriftServiceSettings = {
      sources: [{ name: 'apps', url: remote.bare, folders: ['apps'], namespaces: [], defaultNamespace: 'default' }],
      pushMode: 'new-branch',
      branchPrefix: 'watchkeeper/drift-',
      ownershipLabel: null,
      ignoreFields: [],
      cacheDir: remote.cacheDir,
      author: { name: 'Watchkeeper', email: 'wk@example.com' },
      chatId: -100,
      kubectl: null,
    };
    service = new DriftService(
      {
        repository: new DriftRepository(db.orm),
        // The cluster can be replaced between scans (a new dump of live state).
        cluster: new Proxy({} as MemoryCluster, { get: (_t, p) => (cluster.current as any)[p].bind(cluster.current) }),
        chat,
        proposer,
        audit: (e) => db.store.audit(e, new Date()),
        roleOf: (id) => ROLES[id],
        clock: { now: () => new Date() },
        log: pino({ level: 'silent' }),
      },
      settings,
    );
  });

  afterEach(async () => {
    service.stop();
    await db.drop();
    remote.cleanup();
  });

  it('posts one report for a drift, and nothing more while the drift stays the same', async () => {
    const [first] = await service.scan();
    expect(first).toMatchObject({ kind: 'new_report', source: 'apps', items: 1, superseded: [] });
    const [second] = await service.scan();
    expect(second).toEqual({ kind: 'unchanged', source: 'apps', reportId: first!.kind === 'new_report' ? first!.reportId : -1 });
    expect(chat.posts).toHaveLength(1);
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from drift_report');
    expect(n).toBe(1);
    const card = chat.posts[0]!;
    expect(card.objects).toEqual([
      {
        ref: 'shop/Deployment.apps/web',
        file: 'apps/web.yaml:1',
        items: [{ level: 'high', change: 'modified', path: 'spec.template.spec.containers[web].image', git: 'web:1.4.2', live: 'web:1.4.3-hotfix' }],
      },
    ]);
    expect(card.interpretation).toMatchObject({ intent: 'emergency_hotfix', source: 'rules' });
    expect(card.git).toEqual({ sha: remote.git('rev-parse', 'main').trim(), branch: 'main' });
    expect(card.buttons.map((b) => [b.label, b.data])).toEqual([
      ['⏪ Rollback', `wd:r:${card.reportId}`],
      ['📥 Adopt', `wd:a:${card.reportId}`],
      ['👀 Acknowledge', `wd:k:${card.reportId}`],
      ['🙈 Ignore', `wd:i:${card.reportId}`],
    ]);
    const scans = await db.query<{ action: string }>(`select action from audit_log where action = 'drift.scan'`);
    expect(scans).toHaveLength(2);
  });

  it('reports a malformed manifest with its file and line, and still scans the others', async () => {
    await service.scan();
    const view = chat.posts[0]!;
    expect(view.problems.errors).toEqual([{ file: 'apps/broken.yaml', line: 7, column: 1, message: 'Tabs are not allowed as indentation' }]);
    expect(view.objects.map((o) => o.ref)).toEqual(['shop/Deployment.apps/web']);
  });

  it('supersedes a report when the drift changes, and resolves it when Git and the cluster agree again', async () => {
    const [first] = await service.scan();
    cluster.current = new MemoryCluster(live('web:1.4.3-hotfix', 'a,b,c'));
    const [second] = await service.scan();
    expect(second).toMatchObject({ kind: 'new_report', items: 2, superseded: [first!.kind === 'new_report' ? first!.reportId : -1] });
    expect(chat.posts).toHaveLength(2);
    expect(chat.edits.at(-1)).toMatchObject({ messageId: 101, view: { supersededBy: (second as any).reportId, buttons: [] } });
    expect((await service.openReports()).map((r) => r.reportId)).toEqual([(second as any).reportId]);

    cluster.current = new MemoryCluster(live('web:1.4.2', 'a,b'));
    const [third] = await service.scan();
    expect(third).toEqual({ kind: 'in_sync', source: 'apps', resolved: [(second as any).reportId] });
    expect(chat.edits.at(-1)!.view.resolvedAt).toBeInstanceOf(Date);
    expect(await service.openReports()).toEqual([]);
    // The same drift coming back is new again.
    cluster.current = new MemoryCluster(live());
    expect((await service.scan())[0]!.kind).toBe('new_report');
  });

  it('lets viewers read but only approvers decide; every decision and refusal is audited', async () => {
    const [scan] = await service.scan();
    const id = (scan as { reportId: number }).reportId;
    expect(await service.decide(id, 'acknowledge', vic)).toMatchObject({ kind: 'forbidden' });
    expect(await service.rollback(id, vic)).toMatchObject({ kind: 'forbidden' });
    expect(await service.adoptQuestion(id, vic)).toMatchObject({ kind: 'forbidden' });
    expect(await service.decide(id, 'acknowledge', alice)).toEqual({ kind: 'done', text: `👀 Report #${id} acknowledged.` });
    expect(chat.edits.at(-1)!.view).toMatchObject({ status: 'acknowledged', statusBy: 'Alice (@alice)' });
    expect(await service.decide(id, 'acknowledge', alice)).toMatchObject({ kind: 'stale' });
    expect(await service.decide(id, 'ignore', alice)).toMatchObject({ kind: 'done' });
    expect(await service.rollback(id, alice)).toMatchObject({ kind: 'stale', text: expect.stringMatching(/closed: ignored by Alice/) });
    const audit = await db.query<{ action: string; actor: string }>(`select action, actor from audit_log where subject = $1 order by id`, [`drift:${id}`]);
    expect(audit.map((a) => `${a.actor} ${a.action}`)).toEqual([
      'worker drift.interpret',
      'worker drift.card.post',
      'user:2 drift.acknowledge.denied',
      'user:2 drift.rollback.denied',
      'user:2 drift.adopt.denied',
      'user:1 drift.acknowledge',
      'user:1 drift.ignore',
    ]);
  });

  it('rolls back through one approval proposal per namespace, and marks the report rolled back once all succeeded', async () => {
    cluster.current = new MemoryCluster(live('web:1.4.3-hotfix', 'a,b,c', 'api:3.0.1'));
    const [scan] = await service.scan();
    const id = (scan as { reportId: number }).reportId;
    const reply = await service.rollback(id, alice);
    expect(reply).toMatchObject({ kind: 'done', text: expect.stringMatching(/^⏪ Rollback proposed \(approval cards #\d+, #\d+\)/) });
    expect(proposals.map((p) => [p.key, p.target, p.action])).toEqual([
      [`drift:${id}:payments`, { kind: 'Manifest', namespace: 'payments', name: `drift-${id}` }, 'apply_manifest'],
      [`drift:${id}:shop`, { kind: 'Manifest', namespace: 'shop', name: `drift-${id}` }, 'apply_manifest'],
    ]);
    const shopObjects = JSON.parse(String(proposals[1]!.params.manifest)) as KObject[];
    expect(shopObjects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).toEqual(['ConfigMap/web-config', 'Deployment/web']);
    expect((shopObjects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0].image).toBe('web:1.4.2');
    expect(await service.rollback(id, alice)).toMatchObject({ kind: 'refused' });
    expect(chat.edits.at(-1)!.view).toMatchObject({ buttons: [], rollback: { outcome: 'proposed', proposedBy: 'Alice (@alice)' } });

    await db.query(`update remediation set state = 'succeeded' where id = (select min(id) from remediation)`);
    expect(await service.syncRollbacks()).toBe(1);
    expect((await service.report(id))!.status).toBe('pending');
    await db.query(`update remediation set state = 'succeeded'`);
    expect(await service.syncRollbacks()).toBe(1);
    const view = (await service.report(id))!;
    expect(view).toMatchObject({ status: 'rolled_back', statusBy: 'Alice (@alice)', rollback: { outcome: 'succeeded' }, buttons: [] });
    const audit = await db.query<{ action: string }>(`select action from audit_log where subject = $1 and action like 'drift.roll%' order by id`, [`drift:${id}`]);
    expect(audit.map((a) => a.action)).toEqual(['drift.rollback', 'drift.rolled_back']);
  });

  it('brings the buttons back when a rollback proposal is rejected', async () => {
    const [scan] = await service.scan();
    const id = (scan as { reportId: number }).reportId;
    await service.rollback(id, alice);
    await db.query(`update remediation set state = 'rejected'`);
    await service.syncRollbacks();
    const view = (await service.report(id))!;
    expect(view.status).toBe('pending');
    expect(view.rollback?.outcome).toBe('failed');
    expect(view.buttons.map((b) => b.label)).toContain('⏪ Rollback');
  });
});
