/**
 * One action of each kind end to end (emulator + Kubernetes API fake + PostgreSQL), each from a
 * real Alertmanager payload about a workload whose live state leads the rule analyzers and the
 * planner to that action: raise_memory (OOMKilled, with Undo), scale (pods the scheduler cannot
 * place while other replicas run), delete_pod (an Evicted pod of a ReplicaSet) and escalate
 * (nothing the catalog can do). restart and rollback are covered in incident-loop.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment, KObject, Pod } from '../../domain/k8s-objects.ts';
import type { RecordedRequest } from '../support/k8s-fake/index.ts';
import type { BotMessageView } from '../support/telegram-emulator.ts';
import { fixture02, firing, startStack, USERS, type Stack } from '../support/stack.ts';
import { seedDeployment } from '../support/workloads.ts';

/**
 * Fixture 02 (a real kube-state-metrics "replicas mismatch" alert) while firing, about another
 * deployment: labels, common labels and the group (key and labels) all name it.
 */
function alertAbout(namespace: string, deployment: string, fingerprint: string): Record<string, any> {
  const groupKey = `{}:{alertname="Deployment", deployment="${deployment}", namespace="${namespace}"}`;
  const p = firing(fixture02(), { namespace, deployment, fingerprint, groupKey, startsAt: new Date(Date.now() - 5 * 60_000).toISOString() });
  for (const a of p.alerts) a.labels.kubernetes_namespace = namespace;
  Object.assign(p.commonLabels, { deployment, kubernetes_namespace: namespace });
  p.groupLabels = { alertname: 'Deployment', deployment, namespace };
  return p;
}

/** Requests that changed something in the cluster (anything but reads and server-side dry-runs). */
function writes(s: Stack): RecordedRequest[] {
  return s.fake.requests.filter((r) => r.method !== 'GET' && r.query.dryRun !== 'All');
}

const finished = (s: Stack) => (m: BotMessageView) => /succeeded|failed/.test(s.stateOf(m.text));

function container(dep: Deployment | undefined, name = 'app') {
  return dep?.spec?.template?.spec?.containers.find((c) => c.name === name);
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

describe('each catalog action end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  const stack = async (env: Record<string, string> = {}) => {
    const s = await startStack(env);
    cleanups.push(() => s.stop());
    return s;
  };

  it('raise_memory: an OOMKilled crash loop gets ×1.5 memory (request kept ≤ limit), verified; Undo restores 256Mi', async () => {
    const NS = 'analytics';
    const NAME = 'metrics-exporter';
    const s = await stack();
    s.fake.seed(
      seedDeployment({
        namespace: NS,
        name: NAME,
        revisions: [{ image: 'registry.example.com/analytics/metrics-exporter:3.4.1', hash: '6f7c9d8b4' }],
        state: { kind: 'crashloop', exitCode: 137, reason: 'OOMKilled', restarts: 9 },
      }),
    );
    expect((await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60001'))).status).toBe(202);

    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toContain(`${NS}/Deployment/${NAME}`);
    expect(card.text).toContain('oom_killed');
    expect(card.text).toMatch(/OOMKilled/);
    expect(card.text).toContain(`raise memory limit of app in deployment/${NAME} from 256Mi to 384Mi`);
    expect(card.text).toMatch(/→ <b>human<\/b>/);
    expect(s.stateOf(card.text)).toBe('⏳ awaiting approval');
    expect(card.buttons.map((b) => b.text)).toEqual(['✅ Approve', '❌ Reject', '⏰ Later', '🔕 Silence']);
    expect(writes(s)).toHaveLength(0);

    expect(await s.press('alice', card.message_id, '✅ Approve')).toMatch(/Approved/);
    const done = await s.until(card.message_id, finished(s));
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(done.text).toMatch(/rollout complete/);
    expect(done.buttons.map((b) => b.text)).toEqual(['↩️ Undo']);

    // The cluster: the template carries the new limit, the request is kept (128Mi ≤ 384Mi), and
    // the rollout replaced the pods with ones running the new template.
    const dep = s.fake.get<Deployment>('Deployment', NS, NAME)!;
    expect(container(dep)?.resources?.limits).toEqual({ memory: '384Mi', cpu: '500m' });
    expect(container(dep)?.resources?.requests).toEqual({ memory: '128Mi', cpu: '100m' });
    expect(dep.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    const pods = s.fake.list<Pod>('Pod', NS).filter((p) => p.metadata?.labels?.app === NAME);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(isReady(p)).toBe(true);
      expect(p.spec?.containers[0].resources?.limits?.memory).toBe('384Mi');
    }
    const applied = writes(s);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}` });
    expect(applied[0].contentType).toBe('application/strategic-merge-patch+json');
    const [rem] = await s.db.query<{ state: string; action: string; result: any }>(`select state, action, result from remediation`);
    expect(rem).toMatchObject({ state: 'succeeded', action: 'raise_memory' });
    expect(rem.result.inverse).toEqual({ action: 'raise_memory', params: { container: 'app', limit: '256Mi', fromLimit: '384Mi' } });

    // Undo proposes the inverse as a new card, decided like any action.
    expect(await s.press('bob', card.message_id, '↩️ Undo')).toMatch(/Undo proposed/);
    const undoCard = await s.cardOffering('✅ Approve', [card.message_id]);
    expect(undoCard.text).toMatch(/Undo of an earlier action/);
    expect(undoCard.text).toMatch(/memory limit of app in deployment\/metrics-exporter/);
    await s.until(card.message_id, (m) => m.buttons.length === 0);
    expect(await s.press('alice', undoCard.message_id, '✅ Approve')).toMatch(/Approved/);
    const undone = await s.until(undoCard.message_id, finished(s));
    expect(s.stateOf(undone.text)).toBe('✅ succeeded');
    const back = s.fake.get<Deployment>('Deployment', NS, NAME)!;
    expect(container(back)?.resources?.limits).toEqual({ memory: '256Mi', cpu: '500m' });
    expect(container(back)?.resources?.requests).toEqual({ memory: '128Mi', cpu: '100m' });
    expect(writes(s)).toHaveLength(2);
    const rows = await s.db.query<{ state: string; undo_of: number | null }>(`select state, undo_of from remediation order by id`);
    expect(rows.map((r) => r.state)).toEqual(['succeeded', 'succeeded']);
    expect(rows[1].undo_of).not.toBeNull();
  });

  it('scale: pods that cannot be scheduled for lack of cpu while the others run → scale to the running count', async () => {
    const NS = 'shop';
    const NAME = 'web-frontend';
    const s = await stack();
    s.fake.seed(unschedulableReplica(NS, NAME));
    expect((await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60002'))).status).toBe(202);

    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toContain('unschedulable');
    expect(card.text).toMatch(/Insufficient cpu/);
    expect(card.text).toContain(`scale deployment/${NAME} from 3 to 2 replicas`);
    expect(card.text).toMatch(/→ <b>human<\/b>/);
    expect(writes(s)).toHaveLength(0);

    expect(await s.press('alice', card.message_id, '✅ Approve')).toMatch(/Approved/);
    const done = await s.until(card.message_id, finished(s));
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(done.text).toContain(`deployment/${NAME} has 2/2 replicas ready`);
    expect(done.buttons.map((b) => b.text)).toEqual(['↩️ Undo']);

    const dep = s.fake.get<Deployment>('Deployment', NS, NAME)!;
    expect(dep.spec?.replicas).toBe(2);
    expect(dep.status).toMatchObject({ replicas: 2, readyReplicas: 2, availableReplicas: 2 });
    // The replica set dropped the pod that could not be placed, not a serving one.
    const pods = s.fake.list<Pod>('Pod', NS).filter((p) => p.metadata?.labels?.app === NAME);
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual([`${NAME}-5d8f7b6c9-p0x0`, `${NAME}-5d8f7b6c9-p1x1`]);
    const applied = writes(s);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${NS}/deployments/${NAME}` });
    expect(applied[0].contentType).toBe('application/merge-patch+json');
    expect((applied[0].body as any).spec.replicas).toBe(2);
    const [rem] = await s.db.query<{ state: string; action: string; result: any }>(`select state, action, result from remediation`);
    expect(rem).toMatchObject({ state: 'succeeded', action: 'scale' });
    expect(rem.result.inverse).toEqual({ action: 'scale', params: { replicas: 3 } });
  });

  it('scale is not proposed while an HPA manages the replicas', async () => {
    const NS = 'shop';
    const NAME = 'web-frontend';
    const s = await stack();
    s.fake.seed([
      ...unschedulableReplica(NS, NAME),
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: NAME, namespace: NS },
        spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: NAME }, minReplicas: 3, maxReplicas: 6 },
        status: { currentReplicas: 3, desiredReplicas: 3 },
      },
    ]);
    await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60003'));
    const card = await s.cardOffering('🆗 Dismiss');
    expect(card.text).toContain('unschedulable');
    expect(card.text).toContain('escalate to a human');
    expect(card.buttons.map((b) => b.text)).not.toContain('✅ Approve');
    expect(writes(s)).toHaveLength(0);
  });

  it('delete_pod: an Evicted pod of a ReplicaSet is deleted; the replicas stay served; verified', async () => {
    const NS = 'reports';
    const NAME = 'report-renderer';
    const s = await stack();
    s.fake.seed(evictedPod(NS, NAME));
    const evicted = `${NAME}-7b9c6d5f4-e1v7c`;
    expect((await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60004'))).status).toBe(202);

    const card = await s.cardOffering('✅ Approve');
    expect(card.text).toContain('evicted');
    expect(card.text).toContain(`delete pod ${evicted} (its ReplicaSet ${NAME}-7b9c6d5f4 recreates it)`);
    expect(writes(s)).toHaveLength(0);

    expect(await s.press('alice', card.message_id, '✅ Approve')).toMatch(/Approved/);
    const done = await s.until(card.message_id, finished(s));
    const [rem] = await s.db.query<{ state: string; action: string; result: any }>(`select state, action, result from remediation`);
    expect(rem.action).toBe('delete_pod');
    // The Evicted pod is gone; the pods its ReplicaSet already runs in its place serve on.
    expect(s.fake.get('Pod', NS, evicted)).toBeUndefined();
    const pods = s.fake.list<Pod>('Pod', NS).filter((p) => p.metadata?.labels?.app === NAME);
    expect(pods).toHaveLength(2);
    expect(pods.every(isReady)).toBe(true);
    const applied = writes(s);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ method: 'DELETE', path: `/api/v1/namespaces/${NS}/pods/${evicted}` });
    // Deleting a Failed pod object takes nothing down: the outcome is a success, not a wait for a
    // "replacement" the ReplicaSet created long ago.
    expect(rem.state, rem.result?.message).toBe('succeeded');
    expect(s.stateOf(done.text)).toBe('✅ succeeded');
    expect(done.buttons).toHaveLength(0); // not reversible: no Undo
  });

  it('escalate: evidence no catalog action fits gets a card without Approve; Dismiss closes it and nothing is touched', async () => {
    const NS = 'payments';
    const NAME = 'ledger-api';
    const s = await stack();
    // The only revision's image cannot be pulled: nothing to roll back to, a restart cannot help.
    s.fake.seed(
      seedDeployment({
        namespace: NS,
        name: NAME,
        revisions: [{ image: 'registry.example.com/payments/ledger-api:4.0.0-rc1', hash: '8c6d5e4f3' }],
        state: { kind: 'imagepull' },
      }),
    );
    expect((await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60005'))).status).toBe(202);

    const card = await s.cardOffering('🆗 Dismiss');
    expect(card.text).toContain('image_pull');
    expect(card.text).toContain('escalate to a human (no automatic action)');
    expect(s.stateOf(card.text)).toBe('⏳ awaiting approval');
    expect(card.buttons.map((b) => b.text)).toEqual(['🆗 Dismiss', '⏰ Later', '🔕 Silence']);
    const [pending] = await s.db.query<{ action: string; approvals_required: number }>(`select action, approvals_required from remediation`);
    expect(pending).toEqual({ action: 'escalate', approvals_required: 0 });

    expect(await s.press('vic', card.message_id, '🆗 Dismiss')).toMatch(/not on the approver list/);
    await s.press('bob', card.message_id, '🆗 Dismiss');
    const closed = await s.until(card.message_id, (m) => m.buttons.length === 0);
    expect(closed.text).toMatch(/by bob/);
    const [rem] = await s.db.query<{ state: string }>(`select state from remediation`);
    expect(rem.state).toBe('rejected');
    expect(writes(s)).toHaveLength(0);
    expect(s.fake.requests.filter((r) => r.query.dryRun === 'All')).toHaveLength(0);
    const [{ n }] = await s.db.query<{ n: number }>(`select count(*)::int as n from job where kind = 'execute'`);
    expect(n).toBe(0);
    const audit = await s.db.query<{ action: string }>(`select action from audit_log`);
    expect(audit.map((a) => a.action)).not.toContain('k8s.apply');
  });

  it('escalate: a forged Approve callback on an escalation card (no Approve button) is refused', async () => {
    const NS = 'payments';
    const NAME = 'ledger-api';
    const s = await stack();
    s.fake.seed(
      seedDeployment({
        namespace: NS,
        name: NAME,
        revisions: [{ image: 'registry.example.com/payments/ledger-api:4.0.0-rc1', hash: '8c6d5e4f3' }],
        state: { kind: 'imagepull' },
      }),
    );
    await s.post(alertAbout(NS, NAME, 'a1b2c3d4e5f60006'));
    const card = await s.cardOffering('🆗 Dismiss');
    // Callback data is not signed: any client can send `wk:a:<token>` for a card in the chat.
    const token = /^wk:r:(.+)$/.exec((card.buttons[0] as { callback_data: string }).callback_data)![1];
    const forged = await (await s.emu.user(USERS.bob, s.chatId, 'bob').pressButton(card, `wk:a:${token}`, { force: true })).answer();
    expect(forged.text ?? '').not.toMatch(/Approved/);
    const [rem] = await s.db.query<{ state: string }>(`select state from remediation`);
    expect(rem.state).toBe('pending');
    expect(await s.db.query(`select * from approval_decision`)).toHaveLength(0);
    const [{ n }] = await s.db.query<{ n: number }>(`select count(*)::int as n from job where kind = 'execute'`);
    expect(n).toBe(0);
  });
});

/**
 * A 3-replica Deployment whose third pod the scheduler cannot place (`0/3 nodes are available:
 * 3 Insufficient cpu.`) while the other two run and serve. No HPA.
 */
function unschedulableReplica(namespace: string, name: string): KObject[] {
  const hash = '5d8f7b6c9';
  const at = '2026-11-21T06:00:00Z';
  const objects = seedDeployment({
    namespace,
    name,
    replicas: 2,
    revisions: [{ image: 'registry.example.com/shop/web-frontend:5.2.0', hash }],
    state: { kind: 'ready' },
    at,
  });
  const dep = objects.find((o) => o.kind === 'Deployment') as Deployment;
  const rs = objects.find((o) => o.kind === 'ReplicaSet') as KObject & { spec: { replicas: number }; status: Record<string, unknown> };
  const cpu = (c: any) => (c.resources = { limits: { memory: '256Mi', cpu: '2' }, requests: { memory: '128Mi', cpu: '1500m' } });
  cpu(dep.spec!.template!.spec!.containers[0]);
  cpu((rs.spec as any).template.spec.containers[0]);
  for (const p of objects.filter((o) => o.kind === 'Pod') as Pod[]) cpu(p.spec!.containers[0]);
  dep.spec!.replicas = 3;
  dep.status = {
    observedGeneration: 1,
    replicas: 3,
    updatedReplicas: 3,
    readyReplicas: 2,
    availableReplicas: 2,
    unavailableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastTransitionTime: at, lastUpdateTime: at },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}-${hash}" has successfully progressed.`, lastTransitionTime: at, lastUpdateTime: at },
    ],
  } as Deployment['status'];
  rs.spec.replicas = 3;
  rs.status = { observedGeneration: 1, replicas: 3, readyReplicas: 2, availableReplicas: 2 };
  const podName = `${name}-${hash}-w7k2q`;
  const message = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  objects.push(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace,
        uid: `uid-pod-${podName}`,
        labels: { app: name, 'pod-template-hash': hash },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}`, uid: `uid-rs-${name}-${hash}`, controller: true }],
      },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'registry.example.com/shop/web-frontend:5.2.0',
            resources: { limits: { memory: '256Mi', cpu: '2' }, requests: { memory: '128Mi', cpu: '1500m' } },
          },
        ],
      },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: at }],
        qosClass: 'Burstable',
      },
    } as KObject,
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${podName}.17e8c2d4a9b1f5e3`, namespace },
      type: 'Warning',
      reason: 'FailedScheduling',
      message,
      count: 14,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: 'default-scheduler' },
      involvedObject: { kind: 'Pod', name: podName, namespace },
    } as KObject,
  );
  return objects;
}

/**
 * A 2-replica Deployment one of whose pods the kubelet evicted under memory pressure: the Failed
 * pod object stays (phase Failed, reason Evicted) while its ReplicaSet already runs two ready pods.
 */
function evictedPod(namespace: string, name: string): KObject[] {
  const hash = '7b9c6d5f4';
  const objects = seedDeployment({
    namespace,
    name,
    replicas: 2,
    revisions: [{ image: 'registry.example.com/reports/renderer:1.2.0', hash }],
    state: { kind: 'ready' },
  });
  const podName = `${name}-${hash}-e1v7c`;
  objects.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      uid: `uid-pod-${podName}`,
      labels: { app: name, 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-${hash}`, uid: `uid-rs-${name}-${hash}`, controller: true }],
    },
    spec: {
      nodeName: 'node-b',
      containers: [{ name: 'app', image: 'registry.example.com/reports/renderer:1.2.0', resources: { limits: { memory: '256Mi', cpu: '500m' } } }],
    },
    status: {
      phase: 'Failed',
      reason: 'Evicted',
      message:
        'The node was low on resource: memory. Threshold quantity: 100Mi, available: 94212Ki. Container app was using 1843200Ki, request is 128Mi, has larger consumption of memory. ',
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.example.com/reports/renderer:1.2.0',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } },
        },
      ],
      startTime: '2026-11-21T05:00:00Z',
    },
  } as KObject);
  objects.push({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.17e8c2d4a9b1f5e4`, namespace },
    type: 'Warning',
    reason: 'Evicted',
    message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 94212Ki.',
    count: 1,
    firstTimestamp: '2026-11-21T05:58:00Z',
    lastTimestamp: '2026-11-21T05:58:00Z',
    source: { component: 'kubelet', host: 'node-b' },
    involvedObject: { kind: 'Pod', name: podName, namespace },
  } as KObject);
  return objects;
}
