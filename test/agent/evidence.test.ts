/**
 * Evidence gathering through the real Kubernetes adapter (`KubernetesCluster` over
 * @kubernetes/client-node) against the in-process API fake, seeded with realistic objects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatherEvidence } from '../../agent/evidence.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { seedDeployment } from '../support/workloads.ts';

const NS = 'shop';
const NOW = new Date('2026-11-21T06:30:00Z');
const REVISIONS = [
  { image: 'registry.example/web:1.0', hash: '5d8f7c6b9a' },
  { image: 'registry.example/web:1.1', hash: '7c9d8e6f5b' },
];
const CURRENT_POD = `web-${REVISIONS[1].hash}-p0x0`;

const CRASH_LOG = [
  '2026-11-21T06:00:00Z starting web 1.1',
  '2026-11-21T06:00:01Z connecting to postgres:5432',
  '2026-11-21T06:00:02Z connecting to postgres:5432',
  '2026-11-21T06:00:03Z connecting to postgres:5432',
  '2026-11-21T06:00:04Z FATAL: password authentication failed for user "web"',
  '',
].join('\n');

describe('gatherEvidence with the Kubernetes adapter', () => {
  let fake: K8sFake;
  let cluster: KubernetesCluster;

  beforeEach(async () => {
    fake = await startK8sFake({ autoTick: false });
    cluster = new KubernetesCluster(fake.kubeConfig());
  });
  afterEach(async () => {
    await fake?.close();
  });

  const seedCrashLoop = () => {
    fake.seed(seedDeployment({ namespace: NS, name: 'web', replicas: 2, revisions: REVISIONS, state: { kind: 'crashloop', exitCode: 1, restarts: 6 } }));
    fake.setPodLogs(NS, /^web-/, 'app', 'current instance: waiting\n');
    fake.setPodLogs(NS, /^web-/, 'app', CRASH_LOG, { previous: true });
  };
  const opts = { logTailLines: 100, now: NOW };

  it('widens a Pod target to its Deployment and gathers ReplicaSets, pods, events and previous logs', async () => {
    seedCrashLoop();
    const ev = await gatherEvidence(cluster, { kind: 'Pod', namespace: NS, name: CURRENT_POD, container: 'app' }, opts);

    expect(ev.target).toEqual({ kind: 'Deployment', namespace: NS, name: 'web', container: 'app' });
    expect(ev.collectedAt).toBe(NOW.toISOString());
    expect(ev.gaps).toEqual([]);
    expect(ev.deployment?.metadata?.name).toBe('web');
    expect(ev.deployment?.kind).toBe('Deployment');
    expect(ev.replicaSets.map((r) => r.metadata?.name).sort()).toEqual([`web-${REVISIONS[0].hash}`, `web-${REVISIONS[1].hash}`]);
    expect(ev.pods.map((p) => p.metadata?.name).sort()).toEqual([CURRENT_POD, `web-${REVISIONS[1].hash}-p1x1`]);
    expect(ev.pods[0].status?.containerStatuses?.[0]).toMatchObject({
      restartCount: 6,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1 } },
    });
    expect(ev.events.map((e) => e.reason)).toEqual(['BackOff', 'BackOff']);
    expect(ev.events.every((e) => e.type === 'Warning')).toBe(true);
    expect(ev.nodes.map((n) => n.metadata?.name)).toEqual([]); // node-a is not seeded: no gap for a missing node

    // The crashed (previous) instance's log, condensed, for each failing pod (at most 3).
    expect(ev.logs).toHaveLength(2);
    expect(ev.logs[0]).toMatchObject({ container: 'app', previous: true });
    expect(ev.logs[0].lines).toEqual([
      '2026-11-21T06:00:00Z starting web 1.1',
      '2026-11-21T06:00:01Z connecting to postgres:5432 (×3)',
      '2026-11-21T06:00:04Z FATAL: password authentication failed for user "web"',
    ]);
    const logRequests = fake.requests.filter((r) => r.path.endsWith('/log'));
    expect(logRequests.length).toBe(2);
    for (const r of logRequests) expect(r.query).toMatchObject({ container: 'app', previous: 'true', tailLines: '100' });

    // Pod → ReplicaSet → Deployment: the owner chain was walked through the API.
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain(`GET /api/v1/namespaces/${NS}/pods/${CURRENT_POD}`);
    expect(paths).toContain(`GET /apis/apps/v1/namespaces/${NS}/replicasets/web-${REVISIONS[1].hash}`);
    expect(paths).toContain(`GET /apis/apps/v1/namespaces/${NS}/deployments/web`);
    // Pods and ReplicaSets were listed by the Deployment's selector, events by type.
    const podList = fake.requests.find((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${NS}/pods`);
    expect(podList?.query.labelSelector).toBe('app=web');
    const eventList = fake.requests.find((r) => r.path === `/api/v1/namespaces/${NS}/events`);
    expect(eventList?.query.fieldSelector).toBe('type=Warning');
    // Reading only: no writes of any kind.
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('never requests Secrets', async () => {
    seedCrashLoop();
    fake.seed([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-db', namespace: NS }, data: { password: 'aHVudGVyMg==' } }]);
    await gatherEvidence(cluster, { kind: 'Pod', namespace: NS, name: CURRENT_POD }, opts);
    await gatherEvidence(cluster, { kind: 'Deployment', namespace: NS, name: 'web' }, opts);
    await gatherEvidence(cluster, { kind: 'Node', namespace: '', name: 'node-a' }, opts);
    expect(fake.requests.length).toBeGreaterThan(10);
    expect(fake.requests.filter((r) => /\/secrets(\/|$)/.test(r.path))).toEqual([]);
  });

  it('a 500 on events becomes a gap while everything else is gathered', async () => {
    seedCrashLoop();
    fake.injectFault({ method: 'GET', path: `/api/v1/namespaces/${NS}/events`, status: 500, times: Number.POSITIVE_INFINITY });
    const ev = await gatherEvidence(cluster, { kind: 'Deployment', namespace: NS, name: 'web' }, opts);
    expect(ev.gaps).toHaveLength(1);
    expect(ev.gaps[0]).toMatch(/^events: Kubernetes list Event shop\/\* failed \(HTTP 500\)/);
    expect(ev.events).toEqual([]);
    expect(ev.deployment).toBeDefined();
    expect(ev.replicaSets).toHaveLength(2);
    expect(ev.pods).toHaveLength(2);
    expect(ev.logs).toHaveLength(2);
    expect(fake.requests.find((r) => r.path.endsWith('/events'))?.status).toBe(500);
  });

  it.each([
    ['pods', `/api/v1/namespaces/${NS}/pods`, /^pods: .*HTTP 503/],
    ['replicasets', `/apis/apps/v1/namespaces/${NS}/replicasets`, /^replicasets: .*HTTP 503/],
    ['logs', /\/log$/, /^logs web-.*\/app: .*HTTP 503/],
  ])('a failing %s read is a gap too', async (_name, path, gap) => {
    seedCrashLoop();
    fake.injectFault({ method: 'GET', path, status: 503, times: Number.POSITIVE_INFINITY });
    const ev = await gatherEvidence(cluster, { kind: 'Deployment', namespace: NS, name: 'web' }, opts);
    expect(ev.deployment).toBeDefined();
    expect(ev.gaps.length).toBeGreaterThan(0);
    expect(ev.gaps[0]).toMatch(gap);
  });

  it('reads the current log (not previous) of a container that has not restarted', async () => {
    fake.seed(seedDeployment({ namespace: NS, name: 'api', revisions: [REVISIONS[0]], state: { kind: 'crashloop', exitCode: 1, restarts: 0 } }));
    fake.setPodLogs(NS, /^api-/, 'app', 'Error: cannot read config\n');
    const ev = await gatherEvidence(cluster, { kind: 'Deployment', namespace: NS, name: 'api' }, opts);
    expect(ev.logs[0]).toMatchObject({ previous: false, lines: ['Error: cannot read config'] });
    expect(fake.requests.filter((r) => r.path.endsWith('/log')).every((r) => r.query.previous !== 'true')).toBe(true);
  });

  it('reads no logs for pods failing to pull their image (there are none)', async () => {
    fake.seed(seedDeployment({ namespace: NS, name: 'img', revisions: REVISIONS, state: { kind: 'imagepull' } }));
    const ev = await gatherEvidence(cluster, { kind: 'Deployment', namespace: NS, name: 'img' }, opts);
    expect(ev.logs).toEqual([]);
    expect(ev.gaps).toEqual([]);
    expect(ev.events.map((e) => e.reason).sort()).toEqual(['BackOff', 'BackOff', 'Failed', 'Failed']);
    expect(fake.requests.some((r) => r.path.endsWith('/log'))).toBe(false);
  });

  it.each([
    ['a missing pod', { kind: 'Pod' as const, namespace: NS, name: 'ghost-1' }, 'pod shop/ghost-1 not found'],
    ['a missing deployment', { kind: 'Deployment' as const, namespace: NS, name: 'ghost' }, 'Deployment shop/ghost not found'],
  ])('%s is a gap, not an error', async (_name, target, gap) => {
    const ev = await gatherEvidence(cluster, target, opts);
    expect(ev.gaps).toEqual([gap]);
    expect(ev.pods).toEqual([]);
    expect(ev.target).toEqual(target);
  });

  it('keeps a bare pod (no owner) as the target', async () => {
    fake.seed([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'debug', namespace: NS },
        spec: { containers: [{ name: 'sh', image: 'busybox' }] },
        status: { phase: 'Running', containerStatuses: [{ name: 'sh', ready: true, restartCount: 0, state: { running: {} } }] },
      },
    ]);
    const ev = await gatherEvidence(cluster, { kind: 'Pod', namespace: NS, name: 'debug' }, opts);
    expect(ev.target).toEqual({ kind: 'Pod', namespace: NS, name: 'debug' });
    expect(ev.pods.map((p) => p.metadata?.name)).toEqual(['debug']);
    expect(ev.deployment).toBeUndefined();
    expect(ev.logs).toEqual([]);
  });
  it('reads the namespace quotas and egress policies, the claims the pods mount and a missing StorageClass, never Secrets', async () => {
    fake.seed([
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'db-0', namespace: NS, labels: { app: 'db' } },
        spec: { containers: [{ name: 'pg', image: 'postgres:16' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } }] },
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.' }] },
      },
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-db-0', namespace: NS }, spec: { storageClassName: 'gp3-encrypted', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } }, status: { phase: 'Pending' } },
      { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'compute', namespace: NS }, spec: { hard: { pods: '10' } }, status: { hard: { pods: '10' }, used: { pods: '4' } } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-egress', namespace: NS }, spec: { podSelector: {}, policyTypes: ['Egress'] } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: NS }, data: { password: 'aHVudGVyMg==' } },
    ]);
    const ev = await gatherEvidence(cluster, { kind: 'Pod', namespace: NS, name: 'db-0' }, opts);
    expect(ev.gaps).toEqual([]);
    expect(ev.resourceQuotas?.map((q) => q.metadata?.name)).toEqual(['compute']);
    expect(ev.networkPolicies?.map((p) => p.metadata?.name)).toEqual(['deny-egress']);
    expect(ev.claims?.map((c) => [c.metadata?.name, c.spec?.storageClassName])).toEqual([['data-db-0', 'gp3-encrypted']]);
    expect(ev.missingStorageClasses).toEqual(['gp3-encrypted']);
    expect(fake.requests.filter((r) => /\/secrets(\/|$)/.test(r.path))).toEqual([]);
  });
});
