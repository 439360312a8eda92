/**
 * kubectl's rollout semantics as pure functions: restart patch, undo planning, rollout status,
 * restarts and unhealthy-pod wording.
 */
import { describe, expect, it } from 'vitest';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../../domain/k8s-objects.ts';
import {
  deploymentRolloutStatus,
  describeUnhealthyPods,
  ownedReplicaSets,
  planUndo,
  POD_TEMPLATE_HASH_LABEL,
  RESTARTED_AT_ANNOTATION,
  restartPatch,
  REVISION_ANNOTATION,
  revisionOf,
  templateWithoutHash,
  totalRestarts,
  undoPatch,
} from '../../domain/rollout.ts';

const UID = 'uid-web';

function template(image: string, hash?: string): PodTemplateSpec {
  return {
    metadata: { labels: { app: 'web', ...(hash ? { [POD_TEMPLATE_HASH_LABEL]: hash } : {}) } },
    spec: { containers: [{ name: 'app', image }] },
  };
}

function deployment(overrides: { revision?: number; paused?: boolean; uid?: string | null; resourceVersion?: string } = {}): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'shop',
      ...(overrides.uid === null ? {} : { uid: overrides.uid ?? UID }),
      resourceVersion: overrides.resourceVersion ?? '100',
      annotations: overrides.revision === undefined ? {} : { [REVISION_ANNOTATION]: String(overrides.revision) },
    },
    spec: { replicas: 2, paused: overrides.paused, selector: { matchLabels: { app: 'web' } }, template: template('web:3') },
  };
}

function rs(
  hash: string,
  revision: number | undefined,
  owner: { name?: string; uid?: string | null; kind?: string } = {},
  image = `web:${hash}`,
): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`,
      namespace: 'shop',
      annotations: revision === undefined ? {} : { [REVISION_ANNOTATION]: String(revision) },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: owner.kind ?? 'Deployment',
          name: owner.name ?? 'web',
          ...(owner.uid === null ? {} : { uid: owner.uid ?? UID }),
          controller: true,
        },
      ],
    },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash } }, template: template(image, hash) },
  };
}

describe('restartPatch (kubectl rollout restart)', () => {
  it.each([
    ['with milliseconds', '2026-11-21T06:05:07.123Z', '2026-11-21T06:05:07Z'],
    ['whole second', '2026-11-21T06:05:07.000Z', '2026-11-21T06:05:07Z'],
    ['converted to UTC', '2026-11-21T08:05:07+02:00', '2026-11-21T06:05:07Z'],
  ])('stamps the restartedAt annotation in RFC 3339 seconds (%s)', (_name, now, stamp) => {
    expect(restartPatch(new Date(now))).toEqual({
      spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: stamp } } } },
    });
  });

  it.each([
    ['with a resourceVersion', '4711', { resourceVersion: '4711' }],
    ['without', undefined, undefined],
    ['empty string (no precondition)', '', undefined],
  ])('carries the resourceVersion precondition %s', (_name, rv, metadata) => {
    const patch = restartPatch(new Date('2026-11-21T06:05:07Z'), rv);
    expect(patch.metadata).toEqual(metadata);
    expect(RESTARTED_AT_ANNOTATION).toBe('kubectl.kubernetes.io/restartedAt');
  });
});

describe('revisionOf', () => {
  it.each([
    ['3', 3],
    ['12', 12],
    ['0', 0],
    ['-1', 0],
    ['1.5', 0],
    ['abc', 0],
    ['', 0],
    [undefined, 0],
  ])('annotation %j → %d', (value, expected) => {
    const annotations: Record<string, string> = value === undefined ? {} : { [REVISION_ANNOTATION]: value };
    const obj = { metadata: { annotations } };
    expect(revisionOf(obj)).toBe(expected);
  });

  it('is 0 for an object without metadata', () => {
    expect(revisionOf({})).toBe(0);
  });
});

describe('ownedReplicaSets', () => {
  it.each([
    ['same uid', deployment(), rs('a', 1), true],
    ['same name, other uid (a deleted and recreated Deployment)', deployment(), rs('a', 1, { uid: 'uid-old' }), false],
    ['other name, same uid', deployment(), rs('a', 1, { name: 'api' }), true],
    ['owner without uid: by name', deployment(), rs('a', 1, { uid: null }), true],
    ['owner without uid, other name', deployment(), rs('a', 1, { uid: null, name: 'api' }), false],
    ['deployment without uid: by name', deployment({ uid: null }), rs('a', 1, { uid: 'whatever' }), true],
    ['owned by something else', deployment(), rs('a', 1, { kind: 'StatefulSet' }), false],
  ])('%s → owned %s', (_name, dep, replicaSet, owned) => {
    expect(ownedReplicaSets(dep, [replicaSet])).toEqual(owned ? [replicaSet] : []);
  });

  it('skips ReplicaSets with no owner', () => {
    const orphan: ReplicaSet = { metadata: { name: 'web-orphan' } };
    expect(ownedReplicaSets(deployment(), [orphan, rs('a', 1)]).map((r) => r.metadata?.name)).toEqual(['web-a']);
  });
});

describe('planUndo (kubectl rollout undo to the previous revision)', () => {
  it.each([
    {
      name: 'previous revision is the highest below the current one',
      dep: deployment({ revision: 3 }),
      sets: [rs('c', 3), rs('a', 1), rs('b', 2)],
      expected: { kind: 'undo', fromRevision: 3, toRevision: 2, replicaSet: 'web-b' },
    },
    {
      name: 'gaps in revisions (2 was rolled back to before)',
      dep: deployment({ revision: 4 }),
      sets: [rs('a', 1), rs('d', 4), rs('c', 3)],
      expected: { kind: 'undo', fromRevision: 4, toRevision: 3, replicaSet: 'web-c' },
    },
    {
      name: 'deployment without revision: the newest ReplicaSet is current',
      dep: deployment(),
      sets: [rs('a', 1), rs('b', 2)],
      expected: { kind: 'undo', fromRevision: 2, toRevision: 1, replicaSet: 'web-a' },
    },
    {
      name: 'ReplicaSets of other Deployments are ignored',
      dep: deployment({ revision: 2 }),
      sets: [rs('b', 2), rs('x', 1, { name: 'api', uid: 'uid-api' })],
      expected: { kind: 'impossible' },
    },
    {
      name: 'only one revision',
      dep: deployment({ revision: 1 }),
      sets: [rs('a', 1)],
      expected: { kind: 'impossible', reason: 'no previous revision to roll back to (current revision 1)' },
    },
    {
      name: 'no ReplicaSets at all',
      dep: deployment(),
      sets: [],
      expected: { kind: 'impossible', reason: 'no previous revision to roll back to (current revision unknown)' },
    },
    {
      name: 'ReplicaSets without revision annotations',
      dep: deployment({ revision: 2 }),
      sets: [rs('a', undefined), rs('b', 2)],
      expected: { kind: 'impossible' },
    },
    {
      name: 'paused deployment',
      dep: deployment({ revision: 3, paused: true }),
      sets: [rs('b', 2), rs('c', 3)],
      expected: { kind: 'impossible', reason: 'the deployment is paused; resume it before rolling back' },
    },
  ])('$name', ({ dep, sets, expected }) => {
    expect(planUndo(dep, sets)).toMatchObject(expected);
  });

  it("returns the previous ReplicaSet's template without the pod-template-hash label", () => {
    const previous = rs('b', 2, {}, 'web:2');
    const plan = planUndo(deployment({ revision: 3 }), [rs('c', 3), previous]);
    expect(plan.kind).toBe('undo');
    if (plan.kind !== 'undo') return;
    expect(plan.template).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:2' }] } });
    // the live ReplicaSet is not modified
    expect(previous.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL]).toBe('b');
  });
});

describe('templateWithoutHash', () => {
  it.each([
    ['with the hash label', template('x', 'h1'), { app: 'web' }],
    ['without it', template('x'), { app: 'web' }],
  ])('%s', (_name, t, labels) => {
    const copy = templateWithoutHash(t);
    expect(copy.metadata?.labels).toEqual(labels);
    expect(copy).not.toBe(t);
  });

  it('copes with a template without metadata', () => {
    expect(templateWithoutHash({ spec: { containers: [] } })).toEqual({ spec: { containers: [] } });
  });
});

describe('undoPatch (JSON patch, as kubectl rollback sends it)', () => {
  it.each([
    [
      'with resourceVersion',
      '42',
      [
        { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
        { op: 'replace', path: '/spec/template', value: template('web:2') },
      ],
    ],
    ['without', undefined, [{ op: 'replace', path: '/spec/template', value: template('web:2') }]],
  ])('%s', (_name, rv, expected) => {
    expect(undoPatch(template('web:2'), rv)).toEqual(expected);
  });
});

describe('deploymentRolloutStatus (kubectl rollout status)', () => {
  function dep(spec: { replicas?: number }, meta: { generation?: number }, status: Deployment['status']): Deployment {
    return { metadata: { name: 'web', generation: meta.generation }, spec, status };
  }
  const progressing = (reason: string) => [{ type: 'Progressing', status: reason === 'ProgressDeadlineExceeded' ? 'False' : 'True', reason }];

  it.each([
    {
      name: 'spec update not yet observed',
      d: dep({ replicas: 2 }, { generation: 5 }, { observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      expected: { kind: 'progressing', message: 'waiting for the deployment spec update to be observed' },
    },
    {
      name: 'progress deadline exceeded',
      d: dep({ replicas: 2 }, { generation: 5 }, { observedGeneration: 5, replicas: 3, updatedReplicas: 1, conditions: progressing('ProgressDeadlineExceeded') }),
      expected: { kind: 'failed', message: 'deployment "web" exceeded its progress deadline' },
    },
    {
      name: 'deadline exceeded wins over the counts',
      d: dep({ replicas: 2 }, { generation: 5 }, { observedGeneration: 5, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: progressing('ProgressDeadlineExceeded') }),
      expected: { kind: 'failed' },
    },
    {
      name: 'new replicas still being updated',
      d: dep({ replicas: 3 }, { generation: 2 }, { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: progressing('ReplicaSetUpdated') }),
      expected: { kind: 'progressing', message: '1 out of 3 new replicas have been updated' },
    },
    {
      name: 'old replicas pending termination',
      d: dep({ replicas: 3 }, { generation: 2 }, { observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      expected: { kind: 'progressing', message: '1 old replicas are pending termination' },
    },
    {
      name: 'updated replicas not yet available',
      d: dep({ replicas: 3 }, { generation: 2 }, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      expected: { kind: 'progressing', message: '2 of 3 updated replicas are available' },
    },
    {
      name: 'complete',
      d: dep({ replicas: 3 }, { generation: 2 }, { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3, conditions: progressing('NewReplicaSetAvailable') }),
      expected: { kind: 'complete', message: 'deployment "web" successfully rolled out' },
    },
    {
      name: 'observedGeneration ahead of generation counts as observed',
      d: dep({ replicas: 1 }, { generation: 1 }, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      expected: { kind: 'complete' },
    },
    {
      name: 'spec.replicas unset defaults to 1',
      d: dep({}, { generation: 1 }, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      expected: { kind: 'complete' },
    },
    {
      name: 'scaled to zero',
      d: dep({ replicas: 0 }, { generation: 3 }, { observedGeneration: 3 }),
      expected: { kind: 'complete' },
    },
    {
      name: 'no status at all (just created)',
      d: dep({ replicas: 2 }, { generation: 1 }, undefined),
      expected: { kind: 'progressing', message: 'waiting for the deployment spec update to be observed' },
    },
  ])('$name', ({ d, expected }) => {
    expect(deploymentRolloutStatus(d)).toMatchObject(expected);
  });
});

function pod(name: string, status: Pod['status']): Pod {
  return { metadata: { name }, status };
}

describe('totalRestarts', () => {
  it.each([
    ['no pods', [], 0],
    ['containers and init containers of several pods', [
      pod('a', { containerStatuses: [{ name: 'app', restartCount: 3 }, { name: 'side', restartCount: 1 }], initContainerStatuses: [{ name: 'init', restartCount: 2 }] }),
      pod('b', { containerStatuses: [{ name: 'app', restartCount: 4 }] }),
    ], 10],
    ['missing counts and statuses', [pod('a', { containerStatuses: [{ name: 'app' }] }), pod('b', undefined)], 0],
  ])('%s → %s', (_name, pods, expected) => {
    expect(totalRestarts(pods as Pod[])).toBe(expected);
  });
});

describe('describeUnhealthyPods', () => {
  const crashLoop = (name: string) =>
    pod(name, {
      phase: 'Running',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } },
      ],
    });

  it.each([
    ['healthy pod omitted', [pod('ok', { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] })], []],
    ['crash loop with last exit code', [crashLoop('web-1')], ['web-1: CrashLoopBackOff (exit 1)']],
    [
      'image pull backoff, no exit code',
      [pod('web-2', { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } }] })],
      ['web-2: ImagePullBackOff'],
    ],
    [
      'terminated container (OOMKilled)',
      [pod('web-3', { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] })],
      ['web-3: OOMKilled (exit 137)'],
    ],
    [
      'running but not ready',
      [pod('web-4', { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, state: { running: {} } }] })],
      ['web-4: not ready'],
    ],
    [
      'unscheduled pod without container statuses',
      [pod('web-5', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] })],
      ['web-5: Pending (Unschedulable)'],
    ],
    [
      'one line per pod even with several failing containers',
      [
        pod('web-6', {
          phase: 'Running',
          containerStatuses: [
            { name: 'a', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } },
            { name: 'b', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } } },
          ],
        }),
      ],
      ['web-6: CrashLoopBackOff'],
    ],
  ])('%s', (_name, pods, expected) => {
    expect(describeUnhealthyPods(pods as Pod[])).toEqual(expected);
  });

  it.each([
    [undefined, 3],
    [1, 1],
    [5, 5],
  ])('limit %s → at most %d entries', (limit, expected) => {
    const pods = Array.from({ length: 6 }, (_, i) => crashLoop(`web-${i}`));
    const out = limit === undefined ? describeUnhealthyPods(pods) : describeUnhealthyPods(pods, limit);
    expect(out).toHaveLength(expected);
    expect(out[0]).toBe('web-0: CrashLoopBackOff (exit 1)');
  });
});
