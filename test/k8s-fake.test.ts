/**
 * Tests of the in-process Kubernetes API fake, driven through the real @kubernetes/client-node.
 */
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployment, KEvent, Pod, ReplicaSet } from '../domain/k8s-objects.ts';
import { startK8sFake, type K8sFake } from './support/k8s-fake/index.ts';

const NS = 'default';

function deployment(name: string, image = 'nginx:1.27', replicas = 2, labels: Record<string, string> = {}): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name, ...labels } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, env: [{ name: 'MODE', value: 'prod' }] }] },
      },
    },
  };
}

/** Awaits a rejected client call and returns its ApiException with the Status body parsed. */
async function apiError(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    const e = error as ApiException<unknown>;
    return { code: e.code, status: typeof e.body === 'string' && e.body ? (JSON.parse(e.body) as Record<string, unknown>) : {} };
  }
  throw new Error('expected the call to fail');
}

const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
const applyPatch = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

function replicaSetsOf(fake: K8sFake, name: string): ReplicaSet[] {
  return fake
    .list<ReplicaSet>('ReplicaSet', NS)
    .filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.kind === 'Deployment' && r.name === name));
}

function revision(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): string | undefined {
  return obj?.metadata?.annotations?.['deployment.kubernetes.io/revision'];
}

function podsOf(fake: K8sFake, rsName: string): Pod[] {
  return fake.list<Pod>('Pod', NS).filter((p) => p.metadata?.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.name === rsName));
}

describe('k8s fake with the real client-node', () => {
  let fake: K8sFake;
  let apps: AppsV1Api;
  let core: CoreV1Api;

  beforeEach(async () => {
    fake = await startK8sFake({ rolloutStepMs: 5 });
    const kc = fake.kubeConfig();
    apps = kc.makeApiClient(AppsV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await fake.close();
  });

  it('creates and reads a deployment, then rolls it out with a ReplicaSet and ready pods', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');
    expect(created.spec?.progressDeadlineSeconds).toBe(600);

    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.spec?.template?.spec?.containers[0]?.image).toBe('nginx:1.27');

    const done = await fake.waitForRollout(NS, 'web', 5000);
    expect(done.status).toMatchObject({ observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 });
    expect(done.status?.unavailableReplicas).toBeUndefined();
    expect(done.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    expect(revision(done)).toBe('1');

    const [rs] = replicaSetsOf(fake, 'web');
    const hash = rs?.metadata?.labels?.['pod-template-hash'];
    expect(rs?.metadata?.name).toBe(`web-${hash}`);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(revision(rs)).toBe('1');
    expect(rs?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: created.metadata?.uid, controller: true });

    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs?.metadata?.name });
      expect(pod.metadata?.labels?.['pod-template-hash']).toBe(hash);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0 });
      expect(pod.status?.containerStatuses?.[0]?.state?.running).toBeDefined();
    }
  });

  it('moves one rollout step per tick when driven by hand', async () => {
    const manual = await startK8sFake({ autoTick: false });
    try {
      const api = manual.kubeConfig().makeApiClient(AppsV1Api);
      await api.createNamespacedDeployment({ namespace: NS, body: deployment('steps', 'nginx:1', 3) });
      manual.tick();
      const [rs] = replicaSetsOf(manual, 'steps');
      expect(rs?.spec?.replicas).toBe(1);
      const pods = podsOf(manual, rs?.metadata?.name ?? '');
      expect(pods).toHaveLength(1);
      expect(pods[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
      expect(manual.get<Deployment>('Deployment', NS, 'steps')?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe(
        'ReplicaSetUpdated',
      );
      manual.tick();
      expect(manual.get<ReplicaSet>('ReplicaSet', NS, rs?.metadata?.name ?? '')?.spec?.replicas).toBe(2);
      const ticks = manual.settle();
      expect(ticks).toBeGreaterThan(1);
      expect(manual.get<Deployment>('Deployment', NS, 'steps')?.status).toMatchObject({ replicas: 3, availableReplicas: 3 });
      expect(manual.tick()).toBe(0);
    } finally {
      await manual.close();
    }
  });

  it('lists with label selectors, across namespaces, with kind, resourceVersion and pagination', async () => {
    await core.createNamespace({ body: { metadata: { name: 'shop' } } });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('api', 'api:1', 1, { tier: 'backend' }) });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('ui', 'ui:1', 1, { tier: 'frontend' }) });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('batch', 'batch:1', 1) });
    const cart = deployment('cart', 'cart:1', 1, { tier: 'backend' });
    cart.metadata!.namespace = 'shop';
    await apps.createNamespacedDeployment({ namespace: 'shop', body: cart });

    const names = async (labelSelector: string): Promise<string[]> =>
      (await apps.listNamespacedDeployment({ namespace: NS, labelSelector })).items.map((d) => d.metadata?.name ?? '');
    expect(await names('tier=backend')).toEqual(['api']);
    expect(await names('tier in (backend,frontend)')).toEqual(['api', 'ui']);
    expect(await names('tier!=backend')).toEqual(['batch', 'ui']);
    expect(await names('tier')).toEqual(['api', 'ui']);
    expect(await names('!tier')).toEqual(['batch']);
    expect(await names('app=api,tier=backend')).toEqual(['api']);

    const all = await apps.listDeploymentForAllNamespaces({ labelSelector: 'tier=backend' });
    expect(all.kind).toBe('DeploymentList');
    expect(all.apiVersion).toBe('apps/v1');
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(all.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toEqual(['default/api', 'shop/cart']);
    // Like the real API server, items of a built-in list carry no apiVersion/kind.
    expect(all.items[0]?.kind).toBeUndefined();

    const page1 = await apps.listNamespacedDeployment({ namespace: NS, limit: 2 });
    expect(page1.items.map((d) => d.metadata?.name)).toEqual(['api', 'batch']);
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await apps.listNamespacedDeployment({ namespace: NS, limit: 2, _continue: page1.metadata?._continue ?? '' });
    expect(page2.items.map((d) => d.metadata?.name)).toEqual(['ui']);

    const listRequest = fake.requests.find((r) => r.method === 'GET' && r.query.labelSelector === 'tier in (backend,frontend)');
    expect(listRequest?.path).toBe('/apis/apps/v1/namespaces/default/deployments');

    const badSelector = await apiError(apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'tier in backend' }));
    expect(badSelector.code).toBe(400);

    // Field selectors: metadata.name everywhere; other fields only where the resource indexes them.
    const byName = await apps.listNamespacedDeployment({ namespace: NS, fieldSelector: 'metadata.name=ui' });
    expect(byName.items.map((d) => d.metadata?.name)).toEqual(['ui']);
    const unsupported = await apiError(apps.listNamespacedDeployment({ namespace: NS, fieldSelector: 'spec.replicas=1' }));
    expect(unsupported.code).toBe(400);
    expect(unsupported.status.message).toBe('field label not supported: spec.replicas');
    const badFieldSelector = await apiError(apps.listNamespacedDeployment({ namespace: NS, fieldSelector: 'metadata.name' }));
    expect(badFieldSelector.code).toBe(400);
  });

  it('strategic-merge patches restartedAt: new ReplicaSet with revision 2, rollout completes', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    await fake.waitForRollout(NS, 'web');
    const [first] = replicaSetsOf(fake, 'web');

    const restartedAt = '2025-01-01T00:00:00Z';
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } },
      },
      strategic,
    );
    const sent = fake.requests.findLast((r) => r.method === 'PATCH');
    expect(sent?.contentType).toBe('application/strategic-merge-patch+json');
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(restartedAt);
    // The merge kept the labels and the container list.
    expect(patched.spec?.template?.metadata?.labels).toEqual({ app: 'web' });
    expect(patched.spec?.template?.spec?.containers).toHaveLength(1);

    const done = await fake.waitForRollout(NS, 'web');
    expect(revision(done)).toBe('2');
    expect(done.status?.observedGeneration).toBe(2);
    const sets = replicaSetsOf(fake, 'web');
    expect(sets).toHaveLength(2);
    const second = sets.find((rs) => rs.metadata?.name !== first?.metadata?.name);
    expect(revision(second)).toBe('2');
    expect(second?.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(restartedAt);
    expect(fake.get<ReplicaSet>('ReplicaSet', NS, first?.metadata?.name ?? '')?.spec?.replicas).toBe(0);
    expect(podsOf(fake, first?.metadata?.name ?? '')).toHaveLength(0);
    expect(podsOf(fake, second?.metadata?.name ?? '')).toHaveLength(2);

    const events = await core.listNamespacedEvent({ namespace: NS, fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web' });
    expect(events.items.map((e) => e.message)).toContain(`Scaled up replica set ${second?.metadata?.name} from 0 to 1`);
  });

  it('strategic merge merges containers and env by name and honours $patch: delete', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'app', env: [{ name: 'MODE', $patch: 'delete' }, { name: 'LEVEL', value: 'debug' }] },
                  { name: 'sidecar', image: 'envoy:1' },
                ],
              },
            },
          },
        },
      },
      strategic,
    );
    const containers = patched.spec?.template?.spec?.containers ?? [];
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['app', 'nginx:1.27'],
      ['sidecar', 'envoy:1'],
    ]);
    expect(containers[0]?.env).toEqual([{ name: 'LEVEL', value: 'debug' }]);
  });

  it('merge patch (RFC 7386) sets and deletes fields and scales the deployment', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'nginx:1', 1, { team: 'a' }) });
    const patched = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { metadata: { labels: { team: null, owner: 'ops' } }, spec: { replicas: 3 } } },
      mergePatch,
    );
    expect(patched.metadata?.labels).toEqual({ app: 'web', owner: 'ops' });
    expect(patched.spec?.replicas).toBe(3);
    const done = await fake.waitForRollout(NS, 'web');
    expect(done.status?.availableReplicas).toBe(3);
    expect(fake.list<Pod>('Pod', NS)).toHaveLength(3);
  });

  it('JSON patch (RFC 6902) applies ops with ~1 escapes and fails a test op with 422', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    const patched = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: [
          { op: 'test', path: '/spec/replicas', value: 2 },
          { op: 'replace', path: '/spec/replicas', value: 1 },
          { op: 'add', path: '/metadata/labels/app.kubernetes.io~1team', value: 'payments' },
          { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'X', value: '1' } },
          { op: 'remove', path: '/spec/template/spec/containers/0/env/0' },
        ],
      },
      jsonPatch,
    );
    expect(patched.spec?.replicas).toBe(1);
    expect(patched.metadata?.labels?.['app.kubernetes.io/team']).toBe('payments');
    expect(patched.spec?.template?.spec?.containers[0]?.env).toEqual([{ name: 'X', value: '1' }]);
    expect(fake.requests.findLast((r) => r.method === 'PATCH')?.contentType).toBe('application/json-patch+json');

    // Without a Content-Type override client-node 2 sends JSON patch.
    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] });
    expect(fake.requests.findLast((r) => r.method === 'PATCH')?.contentType).toBe('application/json-patch+json');
    expect(fake.get<Deployment>('Deployment', NS, 'web')?.spec?.replicas).toBe(4);

    const failed = await apiError(
      apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'test', path: '/spec/replicas', value: 99 }] }, jsonPatch),
    );
    expect(failed.code).toBe(422);
    expect(fake.get<Deployment>('Deployment', NS, 'web')?.spec?.replicas).toBe(4);
  });

  it('dryRun=All validates and answers but stores nothing and does not bump resourceVersion', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    await fake.waitForRollout(NS, 'web');
    const before = fake.get<Deployment>('Deployment', NS, 'web');
    const replicaSetsBefore = replicaSetsOf(fake, 'web').length;

    const answer = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, dryRun: 'All', body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } } } },
      strategic,
    );
    expect(answer.spec?.template?.spec?.containers[0]?.image).toBe('nginx:2');
    expect(answer.metadata?.generation).toBe(2);

    const dryCreate = await apps.createNamespacedDeployment({ namespace: NS, dryRun: 'All', body: deployment('ghost') });
    expect(dryCreate.metadata?.name).toBe('ghost');
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS, dryRun: 'All' });
    const empty = deployment('bad');
    empty.spec!.template.spec!.containers = [];
    const invalidDry = await apiError(apps.createNamespacedDeployment({ namespace: NS, dryRun: 'All', body: empty }));
    expect(invalidDry.code).toBe(422);

    fake.settle(5);
    const after = fake.get<Deployment>('Deployment', NS, 'web');
    expect(after?.metadata?.resourceVersion).toBe(before?.metadata?.resourceVersion);
    expect(after?.spec?.template?.spec?.containers[0]?.image).toBe('nginx:1.27');
    expect(fake.get('Deployment', NS, 'ghost')).toBeUndefined();
    expect(replicaSetsOf(fake, 'web')).toHaveLength(replicaSetsBefore);
    expect(fake.requests.filter((r) => r.query.dryRun === 'All')).toHaveLength(4);
  });

  it('answers 409 Conflict to a replace with a stale resourceVersion', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    await fake.waitForRollout(NS, 'web');
    const stale = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { metadata: { labels: { touched: 'yes' } } } }, mergePatch);

    stale.spec!.replicas = 5;
    const error = await apiError(apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: stale }));
    expect(error.code).toBe(409);
    expect(error.status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });

    const fresh = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    fresh.spec!.replicas = 5;
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: fresh });
    expect(replaced.spec?.replicas).toBe(5);
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(fresh.metadata?.resourceVersion));
    // The main resource ignores status written by clients.
    expect(replaced.status?.availableReplicas).toBe(2);
  });

  it('answers Kubernetes Status errors: 404, 409 AlreadyExists, 422, 400, 415 and unknown paths', async () => {
    const missing = await apiError(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }));
    expect(missing.code).toBe(404);
    expect(missing.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    const missingPod = await apiError(core.readNamespacedPod({ name: 'p', namespace: NS }));
    expect(missingPod.status.details).toEqual({ name: 'p', kind: 'pods' });

    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    const duplicate = await apiError(apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') }));
    expect(duplicate.code).toBe(409);
    expect(duplicate.status.reason).toBe('AlreadyExists');

    const noImage = deployment('broken');
    noImage.spec!.template.spec!.containers = [{ name: 'app' }];
    const invalid = await apiError(apps.createNamespacedDeployment({ namespace: NS, body: noImage }));
    expect(invalid.code).toBe(422);
    expect(invalid.status).toMatchObject({
      reason: 'Invalid',
      message: 'Deployment.apps "broken" is invalid: spec.template.spec.containers[0].image: Required value',
      details: { name: 'broken', group: 'apps', kind: 'Deployment', causes: [{ reason: 'FieldValueRequired', field: 'spec.template.spec.containers[0].image' }] },
    });

    const noNamespace = await apiError(apps.createNamespacedDeployment({ namespace: 'ghost-town', body: { ...deployment('x'), metadata: { name: 'x' } } }));
    expect(noNamespace.code).toBe(404);
    expect(noNamespace.status.message).toBe('namespaces "ghost-town" not found');

    const raw = async (method: string, path: string, contentType: string, body: string): Promise<Response> =>
      fetch(fake.url + path, { method, headers: { 'Content-Type': contentType }, body });
    const badJson = await raw('POST', '/apis/apps/v1/namespaces/default/deployments', 'application/json', '{nope');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    const unsupported = await raw('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', 'text/plain', '{}');
    expect(unsupported.status).toBe(415);
    expect(await unsupported.json()).toMatchObject({ reason: 'UnsupportedMediaType' });
    const unknown = await fetch(`${fake.url}/apis/apps/v1/namespaces/default/widgets`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
  });

  it('injects faults: a 500 for the matching request, then normal answers', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    fake.injectFault({ method: 'GET', path: /\/deployments\/web$/, status: 500 });
    const failure = await apiError(apps.readNamespacedDeployment({ name: 'web', namespace: NS }));
    expect(failure.code).toBe(500);
    expect(failure.status).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
    const ok = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(ok.metadata?.name).toBe('web');

    fake.injectFault({ path: '/api/v1/namespaces/default/pods', status: 503, times: 2, body: { message: 'custom' } });
    expect((await apiError(core.listNamespacedPod({ namespace: NS }))).status).toEqual({ message: 'custom' });
    expect((await apiError(core.listNamespacedPod({ namespace: NS }))).code).toBe(503);
    await expect(core.listNamespacedPod({ namespace: NS })).resolves.toBeDefined();
    expect(fake.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('serves pod logs, current and previous, with tailLines', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'nginx:1', 1) });
    await fake.waitForRollout(NS, 'web');
    const [pod] = fake.list<Pod>('Pod', NS);
    const podName = pod?.metadata?.name ?? '';
    fake.setPodLogs(NS, podName, 'app', 'line 1\nline 2\nline 3\n');
    fake.setPodLogs(NS, /^web-/, 'app', 'panic: boom\n', { previous: true });

    expect(await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'app' })).toBe('line 1\nline 2\nline 3\n');
    expect(await core.readNamespacedPodLog({ name: podName, namespace: NS, tailLines: 2 })).toBe('line 2\nline 3\n');
    expect(await core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'app', previous: true })).toBe('panic: boom\n');
    const logRequest = fake.requests.findLast((r) => r.path.endsWith('/log'));
    expect(logRequest?.query).toMatchObject({ container: 'app', previous: 'true' });

    const wrongContainer = await apiError(core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'nope' }));
    expect(wrongContainer.code).toBe(400);
    fake.setPodLogs(NS, 'other', 'app', 'x', { previous: true });
    const missing = await apiError(core.readNamespacedPodLog({ name: 'missing', namespace: NS }));
    expect(missing.code).toBe(404);
  });

  it('simulates a crash loop: waiting reason, restarts, BackOff events, stuck rollout, deadline exceeded', async () => {
    const slow = await startK8sFake({ rolloutStepMs: 5, progressDeadlineMs: 300 });
    try {
      const kc = slow.kubeConfig();
      const api = kc.makeApiClient(AppsV1Api);
      const coreApi = kc.makeApiClient(CoreV1Api);
      slow.setPodBehaviour(({ template }) => (template.spec?.containers[0]?.image?.endsWith(':bad') ? 'crashloop' : 'ready'));
      await api.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'app:good', 2) });
      await slow.waitForRollout(NS, 'web');

      await api.patchNamespacedDeployment(
        { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:bad' }] } } } } },
        strategic,
      );
      const crashing = await slow.waitFor(() =>
        slow.list<Pod>('Pod', NS).find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2),
      );
      const status = crashing.status?.containerStatuses?.[0];
      expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
      expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
      expect(status?.ready).toBe(false);
      expect(crashing.status?.phase).toBe('Running');

      const podName = crashing.metadata?.name ?? '';
      const events = await coreApi.listNamespacedEvent({
        namespace: NS,
        fieldSelector: `involvedObject.name=${podName},involvedObject.kind=Pod`,
      });
      const backOff = events.items.find((e) => e.reason === 'BackOff');
      expect(backOff?.type).toBe('Warning');
      expect(backOff?.message).toContain('Back-off restarting failed container app');
      const warnings = await coreApi.listNamespacedEvent({ namespace: NS, fieldSelector: 'type=Warning' });
      expect(warnings.items.length).toBeGreaterThan(0);
      expect(warnings.items.every((e) => e.type === 'Warning')).toBe(true);

      // maxSurge 25% of 2 → 1 extra pod; maxUnavailable rounds down to 0, so the old pods keep serving.
      await expect(slow.waitForRollout(NS, 'web', 2000)).rejects.toThrow(/progress deadline/);
      const stuck = slow.get<Deployment>('Deployment', NS, 'web');
      expect(stuck?.status).toMatchObject({ replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 });
      expect(stuck?.status?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
      });
      expect(stuck?.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    } finally {
      await slow.close();
    }
  });

  it('rolls back to the previous template: the old ReplicaSet is reused with the next revision', async () => {
    fake.setPodBehaviour(({ revision: rev }) => (rev === 2 ? 'crashloop' : 'ready'));
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'app:1', 2) });
    await fake.waitForRollout(NS, 'web');
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } } },
      strategic,
    );
    await fake.waitFor(() => replicaSetsOf(fake, 'web').length === 2);

    // What `kubectl rollout undo` does: copy the template of the revision-1 ReplicaSet.
    const replicaSets = await apps.listNamespacedReplicaSet({ namespace: NS, labelSelector: 'app=web' });
    const previous = replicaSets.items.find((rs) => rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1');
    const template = structuredClone(previous!.spec!.template!);
    delete template.metadata!.labels!['pod-template-hash'];
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/template', value: template }] },
      jsonPatch,
    );

    const done = await fake.waitForRollout(NS, 'web');
    expect(revision(done)).toBe('3');
    const sets = replicaSetsOf(fake, 'web');
    expect(sets).toHaveLength(2);
    const reused = sets.find((rs) => rs.metadata?.name === previous?.metadata?.name);
    expect(revision(reused)).toBe('3');
    expect(reused?.metadata?.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    expect(reused?.spec?.replicas).toBe(2);
    const bad = sets.find((rs) => rs !== reused);
    expect(revision(bad)).toBe('2');
    expect(bad?.spec?.replicas).toBe(0);
    expect(done.spec?.template?.spec?.containers[0]?.image).toBe('app:1');
  });

  it('simulates image pull failures and unschedulable pods with their events', async () => {
    fake.setPodBehaviour(({ deployment: d }) => (d?.metadata?.name === 'pull' ? 'imagepull' : 'pending'));
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('pull', 'registry.invalid/app:1', 1) });
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('big', 'app:1', 1) });

    const pulling = await fake.waitFor(() =>
      fake.list<Pod>('Pod', NS).find((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff'),
    );
    expect(pulling.status?.phase).toBe('Pending');
    const pullEvents = fake.list<KEvent>('Event', NS).filter((e) => e.involvedObject?.name === pulling.metadata?.name);
    expect(pullEvents.filter((e) => e.type === 'Warning').map((e) => e.message)).toEqual(
      expect.arrayContaining(['Error: ErrImagePull', 'Error: ImagePullBackOff']),
    );
    expect(pullEvents.some((e) => e.reason === 'Failed' && e.message?.startsWith('Failed to pull image "registry.invalid/app:1"'))).toBe(true);
    const waitingLog = await apiError(core.readNamespacedPodLog({ name: pulling.metadata?.name ?? '', namespace: NS }));
    expect(waitingLog.status.message).toContain('is waiting to start: ImagePullBackOff');

    // The two rollouts run side by side; under load the image pull may fail before `big` has a pod.
    const pending = await fake.waitFor(() => fake.list<Pod>('Pod', NS).find((p) => p.metadata?.labels?.app === 'big'));
    expect(pending?.status?.phase).toBe('Pending');
    expect(pending?.spec?.nodeName).toBeUndefined();
    expect(pending?.status?.conditions?.[0]).toMatchObject({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' });
    const scheduling = await core.listNamespacedEvent({ namespace: NS, fieldSelector: `involvedObject.name=${pending?.metadata?.name},type=Warning` });
    expect(scheduling.items.map((e) => e.reason)).toEqual(['FailedScheduling']);
  });

  it('recreates a deleted pod, scales, and holds a paused rollout', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web', 'app:1', 2) });
    await fake.waitForRollout(NS, 'web');
    const [victim] = fake.list<Pod>('Pod', NS);
    const deleted = await core.deleteNamespacedPod({ name: victim?.metadata?.name ?? '', namespace: NS });
    expect(deleted.metadata?.name).toBe(victim?.metadata?.name);
    const replacement = await fake.waitFor(() => {
      const pods = fake.list<Pod>('Pod', NS);
      return pods.length === 2 && pods.every((p) => p.metadata?.name !== victim?.metadata?.name && p.status?.phase === 'Running') && pods;
    });
    expect(replacement).toHaveLength(2);

    await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: NS, body: { spec: { replicas: 4 } } }, mergePatch);
    await fake.waitForRollout(NS, 'web');
    expect(fake.list('Pod', NS)).toHaveLength(4);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: NS });
    expect(scale.spec?.replicas).toBe(4);
    expect(scale.status?.selector).toBe('app=web');

    await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { paused: true, template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } } },
      strategic,
    );
    fake.settle(10);
    expect(replicaSetsOf(fake, 'web')).toHaveLength(1);
    expect(fake.get<Deployment>('Deployment', NS, 'web')?.status?.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('DeploymentPaused');
    await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: { spec: { paused: false } } }, mergePatch);
    const done = await fake.waitForRollout(NS, 'web');
    expect(revision(done)).toBe('2');

    await apps.deleteNamespacedDeployment({ name: 'web', namespace: NS });
    expect(fake.list('ReplicaSet', NS)).toHaveLength(0);
    expect(fake.list('Pod', NS)).toHaveLength(0);
  });

  it('server-side apply creates and merges, records the field manager, and requires fieldManager', async () => {
    const body = deployment('applied', 'app:1', 1);
    const created = await apps.patchNamespacedDeployment({ name: 'applied', namespace: NS, body, fieldManager: 'watchkeeper', force: true }, applyPatch);
    expect(created.metadata?.uid).toBeDefined();
    expect(created.metadata?.managedFields?.[0]).toMatchObject({ manager: 'watchkeeper', operation: 'Apply' });
    expect(fake.requests.findLast((r) => r.method === 'PATCH')?.contentType).toBe('application/apply-patch+yaml');

    const yamlBody = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: applied',
      '  labels: {owner: ops}',
      'spec:',
      '  replicas: 2',
    ].join('\n');
    const response = await fetch(`${fake.url}/apis/apps/v1/namespaces/default/deployments/applied?fieldManager=ops`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
      body: yamlBody,
    });
    expect(response.status).toBe(200);
    const merged = (await response.json()) as V1Deployment;
    expect(merged.metadata?.labels).toEqual({ app: 'applied', owner: 'ops' });
    expect(merged.spec?.replicas).toBe(2);
    expect(merged.metadata?.managedFields?.map((m) => m.manager)).toEqual(['watchkeeper', 'ops']);

    const noManager = await apiError(apps.patchNamespacedDeployment({ name: 'applied', namespace: NS, body }, applyPatch));
    expect(noManager.code).toBe(400);
  });

  it('serves custom resources (PrometheusRule), seeded objects, discovery and the generic object API', async () => {
    fake.seed([
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'k8s', namespace: 'monitoring', labels: { role: 'alert-rules' } },
        spec: { groups: [{ name: 'g', rules: [{ alert: 'KubePodCrashLooping', expr: 'up == 0' }] }] },
      },
    ]);
    expect(fake.get('Namespace', undefined, 'monitoring')).toBeDefined();
    const custom = fake.kubeConfig().makeApiClient(CustomObjectsApi);
    const rules = (await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: 'monitoring',
      plural: 'prometheusrules',
      labelSelector: 'role=alert-rules',
    })) as { items: Array<{ kind: string; metadata: { name: string } }> };
    expect(rules.items.map((r) => [r.kind, r.metadata.name])).toEqual([['PrometheusRule', 'k8s']]);

    const smp = await apiError(
      custom.patchNamespacedCustomObject(
        { group: 'monitoring.coreos.com', version: 'v1', namespace: 'monitoring', plural: 'prometheusrules', name: 'k8s', body: { spec: {} } },
        strategic,
      ),
    );
    expect(smp.code).toBe(415);
    await custom.patchNamespacedCustomObject(
      { group: 'monitoring.coreos.com', version: 'v1', namespace: 'monitoring', plural: 'prometheusrules', name: 'k8s', body: { metadata: { labels: { extra: 'y' } } } },
      mergePatch,
    );
    expect(fake.get('PrometheusRule', 'monitoring', 'k8s')?.metadata?.labels).toEqual({ role: 'alert-rules', extra: 'y' });

    const objects = KubernetesObjectApi.makeApiClient(fake.kubeConfig());
    const cm: KubernetesObject = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS }, data: { a: '1' } });
    expect(cm.metadata?.uid).toBeDefined();
    const read = await objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS } });
    expect((read as { data?: Record<string, string> }).data).toEqual({ a: '1' });
    expect(fake.requests.some((r) => r.path === '/api/v1' && r.method === 'GET')).toBe(true);
  });

  it('leaves a seeded snapshot alone until its spec changes through the API', async () => {
    fake.seed([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'frozen', namespace: NS, generation: 1, annotations: { 'deployment.kubernetes.io/revision': '1' } },
        spec: deployment('frozen', 'app:1', 1).spec as Deployment['spec'],
        status: {
          observedGeneration: 1,
          replicas: 1,
          unavailableReplicas: 1,
          updatedReplicas: 1,
          conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "frozen-659d4dd659" has timed out progressing.' }],
        },
      },
    ]);
    fake.settle(5);
    const snapshot = fake.get<Deployment>('Deployment', NS, 'frozen');
    expect(snapshot?.status?.conditions?.[0]?.reason).toBe('ProgressDeadlineExceeded');
    expect(fake.list('ReplicaSet', NS)).toHaveLength(0);

    await apps.patchNamespacedDeployment({ name: 'frozen', namespace: NS, body: { spec: { replicas: 2 } } }, mergePatch);
    const done = await fake.waitForRollout(NS, 'frozen');
    expect(done.status?.availableReplicas).toBe(2);
  });
});
