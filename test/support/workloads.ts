/**
 * Builders of realistic Kubernetes objects for seeding the API fake: a Deployment with its
 * ReplicaSets (revisions), pods in a given container state, and warning events — shaped like
 * `kubectl get -o yaml` output of the failure states in ../shared/fixtures/k8s-failure-states.
 */
import type { KObject } from '../../domain/k8s-objects.ts';

/** Container state of the current revision's pods. */
export type SeedPodState =
  | { kind: 'ready' }
  | { kind: 'crashloop'; exitCode: number; reason?: string; restarts?: number }
  | { kind: 'imagepull'; message?: string };

/** One revision of a Deployment. */
export interface SeedRevision {
  image: string;
  /** Pod-template-hash of this revision's ReplicaSet. */
  hash: string;
}

/** Options of {@link seedDeployment}. */
export interface SeedDeploymentOptions {
  namespace: string;
  name: string;
  replicas?: number;
  /** Oldest first; the last is current. */
  revisions: SeedRevision[];
  /** State of the current revision's pods. */
  state: SeedPodState;
  /** ISO time the pods last changed (default 2026-11-21T06:00:00Z). */
  at?: string;
  /**
   * A rolling update stuck on the current revision (maxSurge 1, maxUnavailable 0): the previous
   * revision still serves all replicas, ready; the current one has one failing pod.
   */
  stuckRollout?: boolean;
}

/**
 * Objects of one Deployment: the Deployment, a ReplicaSet per revision (only the current one
 * scaled up), the current revision's pods in `state`, and matching Warning events. The Deployment
 * and ReplicaSets carry `status.observedGeneration == metadata.generation`, so the fake treats
 * them as a snapshot until the spec changes.
 */
export function seedDeployment(opts: SeedDeploymentOptions): KObject[] {
  const { namespace, name } = opts;
  const replicas = opts.replicas ?? 2;
  const at = opts.at ?? '2026-11-21T06:00:00Z';
  const labels = { app: name };
  const uid = `uid-deploy-${name}`;
  const current = opts.revisions.length;
  const template = (image: string, hash?: string) => ({
    metadata: { labels: hash ? { ...labels, 'pod-template-hash': hash } : { ...labels } },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          resources: { limits: { memory: '256Mi', cpu: '500m' }, requests: { memory: '128Mi', cpu: '100m' } },
        },
      ],
    },
  });
  const healthy = opts.state.kind === 'ready';
  const stuck = opts.stuckRollout === true && current > 1;
  const currentReplicas = stuck ? 1 : replicas;
  const available = healthy ? replicas : stuck ? replicas : 0;
  const objects: KObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace,
        uid,
        generation: current,
        labels,
        annotations: { 'deployment.kubernetes.io/revision': String(current) },
      },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: template(opts.revisions[current - 1].image),
        strategy: { type: 'RollingUpdate', rollingUpdate: stuck ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: '25%', maxUnavailable: '25%' } },
        progressDeadlineSeconds: 600,
      },
      status: {
        observedGeneration: current,
        replicas: stuck ? replicas + 1 : replicas,
        updatedReplicas: currentReplicas,
        readyReplicas: available,
        availableReplicas: available,
        ...(healthy ? {} : { unavailableReplicas: stuck ? 1 : replicas }),
        conditions: [
          {
            type: 'Available',
            status: available >= replicas ? 'True' : 'False',
            reason: available >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message: available >= replicas ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
            lastTransitionTime: at,
            lastUpdateTime: at,
          },
          {
            type: 'Progressing',
            status: 'True',
            reason: stuck ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable',
            message: stuck
              ? `ReplicaSet "${name}-${opts.revisions[current - 1].hash}" is progressing.`
              : `ReplicaSet "${name}-${opts.revisions[current - 1].hash}" has successfully progressed.`,
            lastTransitionTime: at,
            lastUpdateTime: at,
          },
        ],
      },
    },
  ];
  opts.revisions.forEach((rev, i) => {
    const isCurrent = i === current - 1;
    const isPrevious = i === current - 2;
    const rsReplicas = isCurrent ? currentReplicas : stuck && isPrevious ? replicas : 0;
    const rsReady = isCurrent ? (healthy ? currentReplicas : 0) : rsReplicas;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${name}-${rev.hash}`,
        namespace,
        uid: `uid-rs-${name}-${rev.hash}`,
        generation: 1,
        labels: { ...labels, 'pod-template-hash': rev.hash },
        annotations: { 'deployment.kubernetes.io/revision': String(i + 1) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }],
      },
      spec: {
        replicas: rsReplicas,
        selector: { matchLabels: { ...labels, 'pod-template-hash': rev.hash } },
        template: template(rev.image, rev.hash),
      },
      status: {
        observedGeneration: 1,
        replicas: rsReplicas,
        readyReplicas: rsReady,
        availableReplicas: rsReady,
      },
    });
  });
  const rev = opts.revisions[current - 1];
  for (let i = 0; i < currentReplicas; i++) {
    const podName = `${name}-${rev.hash}-p${i}x${i}`;
    objects.push(pod(namespace, podName, name, rev, opts.state, at));
    objects.push(...events(namespace, podName, rev.image, opts.state, at));
  }
  if (stuck) {
    const prev = opts.revisions[current - 2];
    for (let i = 0; i < replicas; i++) objects.push(pod(namespace, `${name}-${prev.hash}-q${i}y${i}`, name, prev, { kind: 'ready' }, at));
  }
  return objects;
}

function pod(namespace: string, podName: string, app: string, rev: SeedRevision, state: SeedPodState, at: string): KObject {
  const ready = state.kind === 'ready';
  const containerStatus: Record<string, unknown> = { name: 'app', image: rev.image, ready, started: ready, restartCount: 0 };
  if (state.kind === 'ready') containerStatus.state = { running: { startedAt: at } };
  if (state.kind === 'crashloop') {
    containerStatus.restartCount = state.restarts ?? 7;
    containerStatus.state = {
      waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=app pod=${podName}` },
    };
    containerStatus.lastState = {
      terminated: { exitCode: state.exitCode, reason: state.reason ?? (state.exitCode === 137 ? 'OOMKilled' : 'Error'), startedAt: at, finishedAt: at },
    };
  }
  if (state.kind === 'imagepull') {
    containerStatus.state = {
      waiting: {
        reason: 'ImagePullBackOff',
        message: state.message ?? `Back-off pulling image "${rev.image}"`,
      },
    };
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName,
      namespace,
      uid: `uid-pod-${podName}`,
      labels: { app, 'pod-template-hash': rev.hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${rev.hash}`, uid: `uid-rs-${app}-${rev.hash}`, controller: true }],
    },
    spec: {
      nodeName: 'node-a',
      containers: [{ name: 'app', image: rev.image, resources: { limits: { memory: '256Mi', cpu: '500m' } } }],
    },
    status: {
      phase: state.kind === 'imagepull' ? 'Pending' : 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? undefined : 'ContainersNotReady' },
      ],
      containerStatuses: [containerStatus],
      startTime: at,
    },
  };
}

function events(namespace: string, podName: string, image: string, state: SeedPodState, at: string): KObject[] {
  const base = (reason: string, message: string, count: number) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.${reason.toLowerCase()}`, namespace },
    type: 'Warning',
    reason,
    message,
    count,
    firstTimestamp: at,
    lastTimestamp: at,
    involvedObject: { kind: 'Pod', name: podName, namespace, fieldPath: 'spec.containers{app}' },
  });
  switch (state.kind) {
    case 'ready':
      return [];
    case 'crashloop':
      return [base('BackOff', 'Back-off restarting failed container app in pod ' + podName, state.restarts ?? 7)];
    case 'imagepull':
      return [
        base('Failed', `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`, 4),
        base('BackOff', `Back-off pulling image "${image}"`, 12),
      ];
  }
}
