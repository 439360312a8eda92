import { beforeAll, describe, expect, it } from 'vitest';
import { detectDrift, type DriftItem, type DriftOptions } from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { simulateCluster } from './support/api-server-sim.ts';
import { container, find, fixturePath, loadFixture, podSpec } from './support/fixtures.ts';
import { loadLiveDump } from '../../agent/git/live-dump.ts';

/** A fixture's desired objects and its simulated unchanged cluster. */
interface Scenario {
  desired: KObject[];
  live: KObject[];
  options: DriftOptions;
}

const FIXTURES = {
  guestbook: { path: 'guestbook', namespace: 'default' },
  podinfo: { path: 'podinfo/rendered-production-overlay.yaml', namespace: 'production' },
  cache: { path: 'podinfo/rendered-cache-base.yaml', namespace: 'cache' },
} as const;
type FixtureName = keyof typeof FIXTURES;

const loaded = {} as Record<FixtureName, KObject[]>;
beforeAll(async () => {
  for (const name of Object.keys(FIXTURES) as FixtureName[]) loaded[name] = await loadFixture(FIXTURES[name].path);
});

function scenario(name: FixtureName): Scenario {
  const { namespace } = FIXTURES[name];
  const desired = structuredClone(loaded[name]);
  return { desired, live: simulateCluster(desired, namespace), options: { defaultNamespace: namespace } };
}

describe('detectDrift on an unchanged cluster', () => {
  it.each(Object.keys(FIXTURES) as FixtureName[])('%s: the API server’s additions give zero items', (name) => {
    const { desired, live, options } = scenario(name);
    expect(desired.length).toBeGreaterThan(1);
    expect(detectDrift(desired, live, options)).toEqual([]);
  });

  it('pairs every desired object (nothing missing, nothing extra)', () => {
    const { desired, live, options } = scenario('podinfo');
    expect(detectDrift(desired, live.slice(1), options)).toEqual([
      expect.objectContaining({ change: 'missing', kind: 'Namespace', namespace: '', name: 'production' }),
    ]);
  });

  it('a real `kubectl get -o yaml` dump of the guestbook differs only by its hot-fixed image', async () => {
    const dump = await loadLiveDump(fixturePath('guestbook-live.kubectl-get.yaml'));
    if (dump.kind !== 'loaded') throw new Error(dump.message);
    expect(detectDrift(loaded.guestbook, dump.objects, { defaultNamespace: 'default' })).toEqual<DriftItem[]>([
      {
        change: 'modified',
        group: 'apps',
        kind: 'Deployment',
        namespace: 'default',
        name: 'guestbook-ui',
        path: 'spec.template.spec.containers[guestbook-ui].image',
        gitValue: 'gcr.io/google-samples/gb-frontend:v5',
        liveValue: 'gcr.io/google-samples/gb-frontend:v6',
        level: 'high',
      },
    ]);
  });
});

type Edit = (s: Scenario) => void;
type Expected = Partial<DriftItem>;

const deployment = (objects: KObject[], name: string) => find(objects, 'Deployment', name);

describe('detectDrift classifies changed fields', () => {
  it.each<[string, FixtureName, Edit, Expected[]]>([
    [
      'image changed in the cluster → HIGH',
      'podinfo',
      ({ live }) => (container(deployment(live, 'backend'), 'backend').image = 'ghcr.io/stefanprodan/podinfo:6.15.0'),
      [{ change: 'modified', kind: 'Deployment', name: 'backend', path: 'spec.template.spec.containers[backend].image', gitValue: 'ghcr.io/stefanprodan/podinfo:6.14.1', liveValue: 'ghcr.io/stefanprodan/podinfo:6.15.0', level: 'high' }],
    ],
    [
      'env value changed → HIGH',
      'podinfo',
      ({ live }) => (container(deployment(live, 'frontend'), 'frontend').env![0]!.value = '#ff0000'),
      [{ path: 'spec.template.spec.containers[frontend].env[PODINFO_UI_COLOR].value', gitValue: '#34577c', liveValue: '#ff0000', level: 'high' }],
    ],
    [
      'env var added in the cluster → HIGH, absent in Git',
      'podinfo',
      ({ live }) => container(deployment(live, 'frontend'), 'frontend').env!.push({ name: 'DEBUG', value: '1' }),
      [{ path: 'spec.template.spec.containers[frontend].env[DEBUG]', gitValue: null, liveValue: { name: 'DEBUG', value: '1' }, level: 'high' }],
    ],
    [
      'command changed → HIGH, list compared whole',
      'podinfo',
      ({ live }) => container(deployment(live, 'backend'), 'backend').command!.push('--level=debug'),
      [{ path: 'spec.template.spec.containers[backend].command', level: 'high' }],
    ],
    [
      'securityContext added in the cluster only → no drift (Git does not declare it)',
      'podinfo',
      ({ live }) => (container(deployment(live, 'backend'), 'backend').securityContext = { privileged: true }),
      [],
    ],
    [
      'securityContext declared in Git and changed live → HIGH',
      'podinfo',
      ({ desired, live }) => {
        container(deployment(desired, 'backend'), 'backend').securityContext = { runAsNonRoot: true };
        container(deployment(live, 'backend'), 'backend').securityContext = { runAsNonRoot: false };
      },
      [{ path: 'spec.template.spec.containers[backend].securityContext.runAsNonRoot', gitValue: true, liveValue: false, level: 'high' }],
    ],
    [
      'serviceAccountName changed → HIGH',
      'podinfo',
      ({ live }) => (podSpec(deployment(live, 'frontend')).serviceAccountName = 'default'),
      [{ path: 'spec.template.spec.serviceAccountName', gitValue: 'frontend', liveValue: 'default', level: 'high' }],
    ],
    [
      'volume source changed → HIGH',
      'podinfo',
      ({ live }) => (podSpec(deployment(live, 'cache')).volumes![1].configMap.name = 'redis-config-old'),
      [{ path: 'spec.template.spec.volumes[config].configMap.name', gitValue: 'redis-config-bd2fcfgt6k', liveValue: 'redis-config-old', level: 'high' }],
    ],
    [
      'container port changed → HIGH',
      'podinfo',
      ({ live }) => (container(deployment(live, 'backend'), 'backend').ports![2].containerPort = 9000),
      [{ path: 'spec.template.spec.containers[backend].ports[grpc].containerPort', gitValue: 9999, liveValue: 9000, level: 'high' }],
    ],
    [
      'Service port changed → HIGH',
      'podinfo',
      ({ live }) => (find(live, 'Service', 'frontend').spec.ports[0].port = 8080),
      [{ kind: 'Service', path: 'spec.ports[http].port', gitValue: 80, liveValue: 8080, level: 'high' }],
    ],
    [
      'cpu limit 1000m in Git, 1 in the cluster → no drift',
      'podinfo',
      ({ live }) => expect(container(deployment(live, 'frontend'), 'frontend').resources!.limits!.cpu).toBe('1'),
      [],
    ],
    [
      'cpu 0.5 and memory 1Gi in Git, 500m and 1024Mi live → no drift',
      'cache',
      ({ desired, live }) => {
        container(deployment(desired, 'cache'), 'redis').resources!.limits = { cpu: '0.5', memory: '1Gi' };
        container(deployment(live, 'cache'), 'redis').resources!.limits = { cpu: '500m', memory: '1024Mi' };
      },
      [],
    ],
    [
      'cpu as a YAML number in Git → no drift against the canonical string',
      'cache',
      ({ desired, live }) => {
        (container(deployment(desired, 'cache'), 'redis').resources!.requests as any).cpu = 2;
        container(deployment(live, 'cache'), 'redis').resources!.requests!.cpu = '2';
      },
      [],
    ],
    [
      'memory limit changed → MEDIUM',
      'cache',
      ({ live }) => (container(deployment(live, 'cache'), 'redis').resources!.limits!.memory = '256Mi'),
      [{ path: 'spec.template.spec.containers[redis].resources.limits.memory', gitValue: '128Mi', liveValue: '256Mi', level: 'medium' }],
    ],
    [
      'probe changed → MEDIUM',
      'podinfo',
      ({ live }) => (container(deployment(live, 'backend'), 'backend').livenessProbe.initialDelaySeconds = 30),
      [{ path: 'spec.template.spec.containers[backend].livenessProbe.initialDelaySeconds', gitValue: 5, liveValue: 30, level: 'medium' }],
    ],
    [
      'replicas of a workload an HPA targets → INFO',
      'podinfo',
      ({ desired, live }) => {
        deployment(desired, 'backend').spec.replicas = 1;
        deployment(live, 'backend').spec.replicas = 2;
      },
      [{ path: 'spec.replicas', gitValue: 1, liveValue: 2, level: 'info' }],
    ],
    [
      'replicas targeted by an HPA that exists only in the cluster → INFO',
      'guestbook',
      ({ live }) => {
        deployment(live, 'guestbook-ui').spec.replicas = 4;
        live.push({
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'guestbook-ui', namespace: 'default' },
          spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'guestbook-ui' }, maxReplicas: 5 },
        });
      },
      [{ path: 'spec.replicas', gitValue: 1, liveValue: 4, level: 'info' }],
    ],
    [
      'replicas without an HPA → MEDIUM',
      'guestbook',
      ({ live }) => (deployment(live, 'guestbook-ui').spec.replicas = 3),
      [{ path: 'spec.replicas', gitValue: 1, liveValue: 3, level: 'medium' }],
    ],
    [
      'an HPA for another workload does not make replicas INFO',
      'podinfo',
      ({ desired, live }) => {
        find(desired, 'StatefulSet', 'database-primary').spec.replicas = 1;
        find(live, 'StatefulSet', 'database-primary').spec.replicas = 2;
      },
      [{ kind: 'StatefulSet', path: 'spec.replicas', level: 'medium' }],
    ],
    [
      'keyed lists in a different order → no drift',
      'podinfo',
      ({ desired, live }) => {
        const backend = container(deployment(live, 'backend'), 'backend');
        backend.ports!.reverse();
        const cache = deployment(live, 'cache');
        podSpec(cache).volumes!.reverse();
        container(cache, 'redis').volumeMounts.reverse();
        for (const objects of [desired, live]) {
          const env = container(find(objects, 'CronJob', 'warm-cache'), 'warm-cache').env!;
          env.push({ name: 'CACHE_TTL', value: '60' });
          if (objects === live) env.reverse();
        }
        find(live, 'Service', 'backend').spec.ports.reverse();
        const sidecar = { name: 'sidecar', image: 'envoyproxy/envoy:v1.30' };
        podSpec(deployment(desired, 'backend')).containers.push(structuredClone(sidecar));
        podSpec(deployment(live, 'backend')).containers.unshift(structuredClone(sidecar));
      },
      [],
    ],
    [
      'a container added in the cluster → HIGH',
      'guestbook',
      ({ live }) => podSpec(deployment(live, 'guestbook-ui')).containers.unshift({ name: 'debug', image: 'busybox' }),
      [{ path: 'spec.template.spec.containers[debug]', gitValue: null, liveValue: { name: 'debug', image: 'busybox' }, level: 'high' }],
    ],
    [
      'unkeyed list in a different order → drift at the list',
      'podinfo',
      ({ live }) => find(live, 'PersistentVolumeClaim', 'database-primary').spec.accessModes.unshift('ReadOnlyMany'),
      [{ kind: 'PersistentVolumeClaim', path: 'spec.accessModes', gitValue: ['ReadWriteOnce'], liveValue: ['ReadOnlyMany', 'ReadWriteOnce'], level: 'medium' }],
    ],
    [
      'targetPort "80" in Git vs 80 live (IntOrString) → no drift',
      'guestbook',
      ({ desired }) => (find(desired, 'Service', 'guestbook-ui').spec.ports[0].targetPort = '80'),
      [],
    ],
    [
      'containerPort "80" vs 80 is not coerced (int field) → drift',
      'guestbook',
      ({ desired }) => ((container(deployment(desired, 'guestbook-ui'), 'guestbook-ui').ports![0] as any).containerPort = '80'),
      [{ path: 'spec.template.spec.containers[guestbook-ui].ports[80].containerPort', gitValue: '80', liveValue: 80, level: 'high' }],
    ],
    [
      'ConfigMap data changed → MEDIUM',
      'podinfo',
      ({ live }) => (find(live, 'ConfigMap', 'redis-config-bd2fcfgt6k').data['redis.conf'] = 'maxmemory 1gb\n'),
      [{ kind: 'ConfigMap', path: 'data.redis\\.conf', liveValue: 'maxmemory 1gb\n', level: 'medium' }],
    ],
    [
      'a pod-template annotation changed → MEDIUM',
      'podinfo',
      ({ live }) => (deployment(live, 'backend').spec.template.metadata.annotations['prometheus.io/scrape'] = 'false'),
      [{ path: 'spec.template.metadata.annotations.prometheus\\.io/scrape', gitValue: 'true', liveValue: 'false', level: 'medium' }],
    ],
    [
      'server-managed fields committed to Git (an exported manifest) → no drift',
      'guestbook',
      ({ desired }) => {
        const d = deployment(desired, 'guestbook-ui');
        Object.assign(d.metadata, { uid: 'old', resourceVersion: '1', generation: 1, creationTimestamp: '2020-01-01T00:00:00Z', annotations: { 'deployment.kubernetes.io/revision': '1' } });
        d.spec.template.metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2020-01-01T00:00:00Z' };
        d.status = { replicas: 7 };
      },
      [],
    ],
    [
      'zero values in Git that the API server omits → no drift',
      'podinfo',
      ({ desired }) => {
        const redis = container(deployment(desired, 'cache'), 'redis');
        redis.volumeMounts[0].readOnly = false;
        redis.env = [];
        redis.args = [];
        podSpec(deployment(desired, 'cache')).hostNetwork = false;
      },
      [],
    ],
    [
      'the same port number on TCP and UDP is keyed by protocol',
      'guestbook',
      ({ desired, live }) => {
        container(deployment(desired, 'guestbook-ui'), 'guestbook-ui').ports = [{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }];
        container(deployment(live, 'guestbook-ui'), 'guestbook-ui').ports = [
          { containerPort: 53, protocol: 'UDP' },
          { containerPort: 53, protocol: 'TCP' },
        ];
      },
      [],
    ],
    [
      'the same volume mounted twice is keyed by name@mountPath',
      'cache',
      ({ desired, live }) => {
        for (const objects of [desired, live]) {
          const mounts = [{ name: 'config', mountPath: '/a', subPath: 'a' }, { name: 'config', mountPath: '/b', subPath: 'b' }];
          container(deployment(objects, 'cache'), 'redis').volumeMounts = objects === live ? mounts.reverse() : mounts;
        }
        container(deployment(live, 'cache'), 'redis').volumeMounts[0].subPath = 'changed';
      },
      [{ path: 'spec.template.spec.containers[redis].volumeMounts[config@/b].subPath', gitValue: 'b', liveValue: 'changed', level: 'high' }],
    ],
  ])('%s', (_title, fixture, edit, expected) => {
    const s = scenario(fixture);
    edit(s);
    const items = detectDrift(s.desired, s.live, s.options);
    expect(items).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(items[i]).toMatchObject({ change: 'modified', ...e }));
  });
});

describe('detectDrift at object level', () => {
  const owned = { 'app.kubernetes.io/managed-by': 'watchkeeper' };

  it.each<[string, FixtureName, Edit, DriftOptions, Expected[]]>([
    [
      'an object in Git but not in the cluster → missing, path ""',
      'podinfo',
      ({ live }) => live.splice(live.indexOf(find(live, 'ConfigMap', 'backup-script')), 1),
      {},
      [{ change: 'missing', group: '', kind: 'ConfigMap', namespace: 'production', name: 'backup-script', path: '', gitValue: null, liveValue: null, level: 'high' }],
    ],
    [
      'an owned object in the cluster but not in Git → not_in_git',
      'podinfo',
      ({ live }) => live.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'redis-config-7h2k9m', namespace: 'production', labels: owned }, data: {} }),
      {},
      [{ change: 'not_in_git', kind: 'ConfigMap', namespace: 'production', name: 'redis-config-7h2k9m', path: '', level: 'medium' }],
    ],
    [
      'an unowned live object is not reported',
      'podinfo',
      ({ live }) => live.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'production' } }),
      {},
      [],
    ],
    [
      'the ownership label is configurable (a stale hash-suffixed ConfigMap of the webapp instance)',
      'podinfo',
      ({ live }) =>
        live.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'redis-config-old', namespace: 'production', labels: { 'app.kubernetes.io/instance': 'webapp' } } }),
      { ownershipLabel: { key: 'app.kubernetes.io/instance', value: 'webapp' } },
      [{ change: 'not_in_git', name: 'redis-config-old' }],
    ],
    [
      'ownership check disabled',
      'podinfo',
      ({ live }) => live.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'production', labels: owned } }),
      { ownershipLabel: null },
      [],
    ],
    [
      'objects are paired across API versions of the same group',
      'podinfo',
      ({ live }) => (find(live, 'HorizontalPodAutoscaler', 'backend').apiVersion = 'autoscaling/v1'),
      {},
      [],
    ],
    [
      'a desired object without namespace is looked up in the default namespace only',
      'guestbook',
      ({ live }) => (deployment(live, 'guestbook-ui').metadata.namespace = 'other'),
      {},
      [{ change: 'missing', kind: 'Deployment', namespace: 'default', name: 'guestbook-ui' }],
    ],
    [
      'ignore rules from options',
      'podinfo',
      ({ live }) => (deployment(live, 'backend').spec.template.metadata.annotations['prometheus.io/port'] = '9000'),
      { ignore: [{ kind: 'Deployment', path: 'spec.template.metadata.annotations.prometheus\\.io/*' }] },
      [],
    ],
    [
      'level rules from options take precedence',
      'cache',
      ({ live }) => (container(deployment(live, 'cache'), 'redis').resources!.limits!.memory = '256Mi'),
      { levels: [{ path: '**.resources.**', level: 'high' }] },
      [{ change: 'modified', level: 'high' }],
    ],
    [
      'allow rules from options make a field INFO',
      'cache',
      ({ live }) => (container(deployment(live, 'cache'), 'redis').resources!.limits!.memory = '256Mi'),
      { allow: [{ kind: 'Deployment', path: '**.resources.limits.memory', when: 'always' }] },
      [{ change: 'modified', level: 'info' }],
    ],
  ])('%s', (_title, fixture, edit, options, expected) => {
    const s = scenario(fixture);
    edit(s);
    const items = detectDrift(s.desired, s.live, { ...s.options, ...options });
    expect(items).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(items[i]).toMatchObject(e));
  });

  it('sorts items by namespace, kind, name, then path', () => {
    const s = scenario('podinfo');
    container(deployment(s.live, 'frontend'), 'frontend').image = 'x';
    container(deployment(s.live, 'backend'), 'backend').image = 'y';
    deployment(s.live, 'backend').spec.minReadySeconds = 9;
    const items = detectDrift(s.desired, s.live, s.options);
    expect(items.map((i) => `${i.name} ${i.path}`)).toEqual([
      'backend spec.minReadySeconds',
      'backend spec.template.spec.containers[backend].image',
      'frontend spec.template.spec.containers[frontend].image',
    ]);
  });

  it('does not modify its inputs', () => {
    const s = scenario('podinfo');
    const before = JSON.stringify([s.desired, s.live]);
    detectDrift(s.desired, s.live, s.options);
    expect(JSON.stringify([s.desired, s.live])).toBe(before);
  });
});

it('fixture path helper points at the copied fixtures', () => {
  expect(fixturePath('guestbook')).toMatch(/test\/fixtures\/drift\/guestbook$/);
});
