/**
 * The simulated kubelet's view of a pod: the pod `status` each {@link PodBehaviour} shows at each
 * stage (ContainerCreating, then Running/Ready, CrashLoopBackOff, ImagePullBackOff or
 * Unschedulable), and pod templates as the controllers compare them.
 */
import type { Condition, Container, ContainerStatus, Pod, PodTemplateSpec } from '../../../domain/k8s-objects.ts';
import type { PodBehaviour } from './index.ts';
import { clone, deepEqual, isoNow, type Meta, TEMPLATE_HASH_LABEL } from './objects.ts';
import { T_NODE } from './resources.ts';
import type { ObjectStore } from './store.ts';

/** The template without the `pod-template-hash` label, as compared and hashed by the controller. */
export function normalizeTemplate(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = clone(template ?? {});
  const meta = copy.metadata as Meta | undefined;
  if (meta) {
    if (meta.labels) {
      delete meta.labels[TEMPLATE_HASH_LABEL];
      if (Object.keys(meta.labels).length === 0) delete meta.labels;
    }
    if (meta.creationTimestamp === null || meta.creationTimestamp === undefined) delete meta.creationTimestamp;
    if (Object.keys(meta).length === 0) delete copy.metadata;
  }
  return copy;
}

/** Whether two templates are the same once normalised (see {@link normalizeTemplate}). */
export function templatesEqual(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return deepEqual(normalizeTemplate(a), normalizeTemplate(b));
}

/** What the simulated kubelet knows about a pod it runs. */
export interface PodSim {
  uid: string;
  behaviour: PodBehaviour;
  /** `creating` until the first kubelet step after creation, then `settled`. */
  stage: 'creating' | 'settled';
  restarts: number;
  /** Creation order, for choosing which pods to delete on scale-down. */
  sequence: number;
  startedAt: string;
  podIp: string;
}

/** hostIP of every simulated pod. */
export const HOST_IP = '10.0.0.10';

/** What the scheduler says about a `pending` pod. */
export const FAILED_SCHEDULING_MESSAGE =
  '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';

/** The conditions of a scheduled pod whose readiness is `readyStatus`. */
function readyConditions(now: string, readyStatus: 'True' | 'False', unready: string[]): Condition[] {
  const notReady = readyStatus === 'False' ? { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` } : {};
  return [
    { type: 'PodReadyToStartContainers', status: 'True', lastTransitionTime: now },
    { type: 'Initialized', status: 'True', lastTransitionTime: now },
    { type: 'Ready', status: readyStatus, lastTransitionTime: now, ...notReady },
    { type: 'ContainersReady', status: readyStatus, lastTransitionTime: now, ...notReady },
    { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
  ];
}

/** The `status` of a simulated pod in its current stage. */
export function podStatusFor(pod: Pod, sim: PodSim, hostIp: string): NonNullable<Pod['status']> {
  const now = sim.startedAt;
  const podIp = sim.podIp;
  const containers: Container[] = pod.spec?.containers ?? [];
  const names = containers.map((c) => c.name);
  const base = { hostIP: hostIp, hostIPs: [{ ip: hostIp }], startTime: now, qosClass: 'BestEffort' };
  const podRef = `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

  if (sim.behaviour === 'pending') {
    return {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: FAILED_SCHEDULING_MESSAGE,
          lastTransitionTime: now,
        },
      ],
      qosClass: 'BestEffort',
    } as NonNullable<Pod['status']>;
  }

  const status = (c: Container, rest: Omit<ContainerStatus, 'name' | 'image'>): ContainerStatus => ({
    name: c.name,
    image: c.image,
    ...rest,
  });

  if (sim.stage === 'creating') {
    return {
      phase: 'Pending',
      conditions: readyConditions(now, 'False', names).map((c) =>
        c.type === 'PodReadyToStartContainers' ? { ...c, status: 'False' } : c,
      ),
      containerStatuses: containers.map((c) =>
        status(c, { ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }),
      ),
      ...base,
    };
  }

  switch (sim.behaviour) {
    case 'ready':
      return {
        phase: 'Running',
        conditions: readyConditions(now, 'True', []),
        containerStatuses: containers.map((c) =>
          status(c, { ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } }),
        ),
        podIP: podIp,
        ...base,
      };
    case 'crashloop':
      return {
        phase: 'Running',
        conditions: readyConditions(now, 'False', names),
        containerStatuses: containers.map((c) =>
          status(c, {
            ready: false,
            started: false,
            restartCount: sim.restarts,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off 10s restarting failed container=${c.name} pod=${podRef}`,
              },
            },
            lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: isoNow() } },
          }),
        ),
        podIP: podIp,
        ...base,
      };
    case 'imagepull':
      return {
        phase: 'Pending',
        conditions: readyConditions(now, 'False', names),
        containerStatuses: containers.map((c) =>
          status(c, {
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } },
          }),
        ),
        podIP: podIp,
        ...base,
      };
  }
}


/** The node the simulated kubelet runs pods on: the first stored Node, else `fake-node-1`. */
export function kubeletNodeName(store: ObjectStore): string {
  const node = store.objects(T_NODE)[0];
  return node?.metadata.name ?? 'fake-node-1';
}
