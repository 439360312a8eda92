/**
 * The Kubernetes adapter gives every API call a deadline: a hung API server (accepts the
 * connection, never answers) fails the call with K8sCallFailed saying it timed out, instead of
 * holding the caller forever. Against a real HTTP server that never answers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { K8sCallFailed } from '../../agent/ports.ts';

let server: Server | undefined;
const held: ServerResponse[] = [];
afterEach(async () => {
  for (const r of held.splice(0)) r.destroy();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A server that answers `answered` paths with an empty list and holds every other request. */
async function hungApiServer(): Promise<KubeConfig> {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/namespaces/ok/pods')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] }));
      return;
    }
    held.push(res); // never answered
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'hung', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'hung', user: 'u', namespace: 'default' }],
    currentContext: 'c',
  });
  return kc;
}

describe('Kubernetes call deadline', () => {
  it.each([
    ['get', (c: KubernetesCluster) => c.get('Deployment', 'web', 'api')],
    ['list', (c: KubernetesCluster) => c.list('Pod', 'web')],
    ['patch', (c: KubernetesCluster) => c.patch('Deployment', 'web', 'api', { type: 'merge', body: { spec: { replicas: 2 } } })],
    ['log', (c: KubernetesCluster) => c.podLog('web', 'api-1', 'app', { tailLines: 10 })],
    ['readObject', (c: KubernetesCluster) => c.readObject({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'x' })],
  ])('%s on a hung API server fails with K8sCallFailed naming the timeout', async (_verb, call) => {
    const cluster = new KubernetesCluster(await hungApiServer(), { requestTimeoutMs: 200 });
    const err = await call(cluster).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8sCallFailed);
    expect((err as Error).message).toMatch(/no answer within 200 ms \(timed out\)/);
  });

  it('answers normally when the server answers in time', async () => {
    const cluster = new KubernetesCluster(await hungApiServer(), { requestTimeoutMs: 200 });
    await expect(cluster.list('Pod', 'ok')).resolves.toEqual([]);
  });
});
