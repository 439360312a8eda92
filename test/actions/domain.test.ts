/**
 * Pure helpers of the action catalog (domain/actions/workload.ts): quantities, the memory raise, scale
 * bounds, ownership, and kubectl's rollout status for StatefulSets and DaemonSets.
 */
import { describe, expect, it } from 'vitest';
import {
  checkReplicas,
  daemonSetRolloutStatus,
  formatMemory,
  memoryPatch,
  oomContainer,
  parseMemory,
  parseQuantity,
  planMemoryRaise,
  statefulSetRolloutStatus,
  whyPodNotDeletable,
  worstPod,
} from '../../domain/actions/workload.ts';
import type { DaemonSet, Pod, StatefulSet } from '../../domain/k8s-objects.ts';

const Mi = 1024 ** 2;
const Gi = 1024 ** 3;

describe('Kubernetes quantities', () => {
  it.each([
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['129E6', 129e6],
    ['129M', 129e6],
    ['123Mi', 123 * Mi],
    ['1Gi', Gi],
    ['1.5Gi', 1.5 * Gi],
    ['0.5Gi', 512 * Mi],
    ['64Ki', 65536],
    ['1k', 1000],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1Ti', 1024 ** 4],
    ['1E', 1e18],
    ['500m', 0.5],
    ['.5', 0.5],
    ['+1Ki', 1024],
    [' 256Mi ', 256 * Mi],
  ])('parses %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 6);
  });

  it.each(['', 'Mi', '1 Mi', '1MiB', '1mi', '1KI', 'abc', '1.2.3', '--1'])('rejects %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });

  it.each([
    ['128974848000m', 128974848],
    ['1500m', 2],
    ['1.5Ki', 1536],
    ['-1Mi', undefined],
    [undefined, undefined],
  ])('memory %s is %s whole bytes (rounded up, never negative)', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each([
    [384 * Mi, '384Mi'],
    [2 * Gi, '2Gi'],
    [1536 * Mi, '1536Mi'],
    [1024 ** 4, '1Ti'],
    [65536, '64Ki'],
    [1e9, '1000000000'],
    [1000, '1000'],
    [999.2, '1000'],
  ])('formats %d bytes as %s', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
    expect(parseMemory(text)).toBe(Math.ceil(bytes));
  });
});

describe('planMemoryRaise', () => {
  const cap = 2 * Gi;
  it.each([
    { limit: '256Mi', request: '128Mi', toLimit: '384Mi', toRequest: undefined, capped: false },
    { limit: '100Mi', request: undefined, toLimit: '150Mi', toRequest: undefined, capped: false },
    // 1e8 bytes × 1.5 = 143.05 Mi → rounded up to whole Mi
    { limit: '100M', request: '100M', toLimit: '144Mi', toRequest: undefined, capped: false },
    { limit: '1Gi', request: '1Gi', toLimit: '1536Mi', toRequest: undefined, capped: false },
    { limit: '0.5Gi', request: '256Mi', toLimit: '768Mi', toRequest: undefined, capped: false },
    // 1.5 Gi × 1.5 = 2.25 Gi → capped at 2 Gi
    { limit: '1.5Gi', request: '1Gi', toLimit: '2Gi', toRequest: undefined, capped: true },
    // an invalid pre-existing request above the new limit is brought down to it
    { limit: '1.5Gi', request: '3Gi', toLimit: '2Gi', toRequest: '2Gi', capped: true },
  ])('$limit (request $request) → $toLimit', ({ limit, request, toLimit, toRequest, capped }) => {
    const plan = planMemoryRaise({ limit, request, factor: 1.5, maxBytes: cap });
    expect(plan).toMatchObject({ kind: 'raise', fromLimit: limit, toLimit, toRequest, capped, fromRequest: request });
  });

  it.each([
    { limit: undefined, reason: /no memory limit/ },
    { limit: '2Gi', reason: /already at or above the cap of 2Gi/ },
    { limit: '3Gi', reason: /already at or above the cap/ },
    { limit: 'lots', reason: /not a valid quantity/ },
  ])('is impossible for limit $limit', ({ limit, reason }) => {
    const plan = planMemoryRaise({ limit, request: undefined, factor: 1.5, maxBytes: cap });
    expect(plan.kind).toBe('impossible');
    expect(plan.kind === 'impossible' && plan.reason).toMatch(reason);
  });

  it('refuses a factor that would not raise the limit', () => {
    expect(planMemoryRaise({ limit: '1Gi', request: undefined, factor: 1, maxBytes: cap })).toMatchObject({ kind: 'impossible' });
  });

  it('builds a strategic merge patch on the container by name with the resourceVersion', () => {
    expect(memoryPatch('app', '384Mi', undefined, '42')).toEqual({
      metadata: { resourceVersion: '42' },
      spec: { template: { spec: { containers: [{ name: 'app', resources: { limits: { memory: '384Mi' } } }] } } },
    });
    expect(memoryPatch('init', '1Gi', '1Gi', undefined, 'initContainers')).toEqual({
      spec: { template: { spec: { initContainers: [{ name: 'init', resources: { limits: { memory: '1Gi' }, requests: { memory: '1Gi' } } }] } } },
    });
  });

  it('finds the OOM-killed container when none is named and the template has several', () => {
    const template = { spec: { containers: [{ name: 'app' }, { name: 'sidecar' }] } };
    const pod: Pod = {
      status: {
        containerStatuses: [
          { name: 'app', restartCount: 0 },
          { name: 'sidecar', restartCount: 3, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
        ],
      },
    };
    expect(oomContainer(template, [pod], undefined)).toBe('sidecar');
    expect(oomContainer(template, [], undefined)).toBeUndefined();
    expect(oomContainer(template, [], 'app')).toBe('app');
    expect(oomContainer({ spec: { containers: [{ name: 'only' }] } }, [], undefined)).toBe('only');
  });
});

describe('checkReplicas', () => {
  const bounds = { maxScaleReplicas: 10, allowScaleToZero: false };
  it.each([
    [3, bounds, { kind: 'ok', replicas: 3 }],
    ['4', bounds, { kind: 'ok', replicas: 4 }],
    [10, bounds, { kind: 'ok', replicas: 10 }],
    [1, bounds, { kind: 'ok', replicas: 1 }],
    [0, { ...bounds, allowScaleToZero: true }, { kind: 'ok', replicas: 0 }],
  ] as const)('accepts %j', (raw, b, expected) => {
    expect(checkReplicas(raw, b)).toEqual(expected);
  });

  it.each([
    [11, /exceeds the policy maximum of 10/],
    [0, /scaling to 0 replicas is not allowed/],
    ['0', /scaling to 0 replicas is not allowed/],
    [-1, /not a whole number/],
    [2.5, /not a whole number/],
    ['three', /not a whole number/],
    [undefined, /no replica count/],
    ['', /no replica count/],
  ] as const)('refuses %j', (raw, reason) => {
    const r = checkReplicas(raw, bounds);
    expect(r.kind).toBe('impossible');
    expect(r.kind === 'impossible' && r.reason).toMatch(reason);
  });
});

describe('pod ownership', () => {
  const owned = (kind: string, controller = true): Pod => ({
    metadata: { name: 'p', ownerReferences: [{ kind, name: 'owner', controller }] },
  });
  it.each([
    ['ReplicaSet', true, undefined],
    ['StatefulSet', true, undefined],
    ['DaemonSet', true, undefined],
    ['Job', true, undefined],
    ['ReplicaSet', false, /no controller/],
    ['Node', true, /static pod/],
  ] as const)('owner %s (controller %s)', (kind, controller, reason) => {
    const why = whyPodNotDeletable(owned(kind, controller));
    if (reason) expect(why).toMatch(reason);
    else expect(why).toBeUndefined();
  });

  it('refuses a bare pod', () => {
    expect(whyPodNotDeletable({ metadata: { name: 'bare' } })).toMatch(/bare|no controller/);
  });

  it('picks the unready pod with the most restarts as the worst', () => {
    const pod = (name: string, ready: boolean, restarts: number): Pod => ({
      metadata: { name },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }], containerStatuses: [{ name: 'app', restartCount: restarts }] },
    });
    expect(worstPod([pod('a', true, 0), pod('b', false, 2), pod('c', false, 9), pod('d', true, 20)])?.metadata?.name).toBe('c');
    expect(worstPod([pod('a', true, 0), pod('d', true, 3)])?.metadata?.name).toBe('d');
    expect(worstPod([pod('a', true, 0)])).toBeUndefined();
  });
});

describe('kubectl rollout status for StatefulSets', () => {
  const sts = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 2): StatefulSet => ({
    metadata: { name: 'db', generation },
    spec: { replicas: 3, ...spec },
    status,
  });
  const rolling = { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } };
  it.each([
    ['spec not observed', sts(rolling, { observedGeneration: 1 }), 'progressing', /spec update to be observed/],
    ['no status', sts(rolling, {}), 'progressing', /observed/],
    ['pods not ready', sts(rolling, { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 3 }), 'progressing', /waiting for 1 pods to be ready/],
    ['not all updated', sts(rolling, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 }), 'progressing', /2 out of 3/],
    [
      'revisions differ',
      sts(rolling, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-a', updateRevision: 'db-b' }),
      'progressing',
      /rolling update to complete 3 pods at revision db-b/,
    ],
    [
      'complete',
      sts(rolling, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-b', updateRevision: 'db-b' }),
      'complete',
      /complete 3 pods at revision db-b/,
    ],
    [
      'no strategy (apps/v1 default RollingUpdate) complete',
      sts({}, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 3, currentRevision: 'db-b', updateRevision: 'db-b' }),
      'complete',
      /complete/,
    ],
    [
      'partition 2: one updated is enough',
      sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1, currentRevision: 'db-a', updateRevision: 'db-b' }),
      'complete',
      /partitioned roll out complete: 1 new pods/,
    ],
    [
      'partition 1: one of two updated',
      sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }, { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }),
      'progressing',
      /1 out of 2 new pods/,
    ],
    ['OnDelete', sts({ updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 2 }), 'failed', /OnDelete update strategy/],
  ])('%s', (_name, obj, kind, message) => {
    const status = statefulSetRolloutStatus(obj);
    expect(status.kind).toBe(kind);
    expect(status.message).toMatch(message);
  });
});

describe('kubectl rollout status for DaemonSets', () => {
  const ds = (status: Record<string, unknown>, spec: Record<string, unknown> = {}): DaemonSet => ({
    metadata: { name: 'agent', generation: 3 },
    spec,
    status,
  });
  it.each([
    ['spec not observed', ds({ observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 }), 'progressing', /observed/],
    ['not all updated', ds({ observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 1, numberAvailable: 3 }), 'progressing', /1 out of 3 new pods/],
    ['not all available', ds({ observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 }), 'progressing', /2 of 3 updated pods are available/],
    ['complete', ds({ observedGeneration: 3, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }), 'complete', /successfully rolled out/],
    ['OnDelete', ds({ observedGeneration: 3 }, { updateStrategy: { type: 'OnDelete' } }), 'failed', /OnDelete/],
  ])('%s', (_name, obj, kind, message) => {
    const status = daemonSetRolloutStatus(obj);
    expect(status.kind).toBe(kind);
    expect(status.message).toMatch(message);
  });
});
