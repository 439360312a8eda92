/**
 * The simulated kubelet (and the scheduler's one event): pods the controllers create are admitted
 * here with a {@link PodBehaviour}, then moved one step per {@link Kubelet.step}: from
 * ContainerCreating to Running and Ready, CrashLoopBackOff (restarts growing every step),
 * ImagePullBackOff or Unschedulable, with the events the kubelet emits on the way.
 */
import type { Container, Pod } from '../../../domain/k8s-objects.ts';
import type { EventRecorder } from './events.ts';
import type { PodBehaviour } from './index.ts';
import { clone, isoNow, keyOf, type StoredObject } from './objects.ts';
import { FAILED_SCHEDULING_MESSAGE, HOST_IP, type PodSim, podStatusFor } from './pods.ts';
import { type ResourceType, T_POD } from './resources.ts';
import type { ObjectStore, StoreListener } from './store.ts';

/** The pods the kubelet runs and what it knows of each. */
export class Kubelet implements StoreListener {
  /** Pods run by the simulated kubelet, by `namespace/name`. */
  private readonly sims = new Map<string, PodSim>();
  private podSequence = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly events: EventRecorder,
  ) {
    store.listen(this);
  }

  /**
   * Stores a pod a controller made (its status filled in for its first stage) and runs it with
   * `behaviour`: `pending` pods stay unscheduled, the others start in ContainerCreating.
   */
  admit(pod: StoredObject & Pod, behaviour: PodBehaviour): void {
    this.podSequence += 1;
    const sim: PodSim = {
      uid: '',
      behaviour,
      stage: behaviour === 'pending' ? 'settled' : 'creating',
      restarts: 0,
      sequence: this.podSequence,
      startedAt: isoNow(),
      podIp: this.store.allocateIp('10.244'),
    };
    pod.status = podStatusFor(pod, sim, HOST_IP);
    this.store.createInternal(T_POD, pod);
    sim.uid = pod.metadata.uid ?? '';
    this.sims.set(keyOf(pod), sim);
  }

  /** The scheduler's event for an admitted pod: FailedScheduling for `pending` ones, else Scheduled. */
  scheduled(pod: StoredObject & Pod, behaviour: PodBehaviour): void {
    const nodeName = pod.spec?.nodeName;
    if (behaviour === 'pending') this.events.record(pod, 'Warning', 'FailedScheduling', FAILED_SCHEDULING_MESSAGE, 'default-scheduler');
    else this.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`, 'default-scheduler');
  }

  /** What the kubelet knows of a pod it runs (creation order, behaviour), if it runs it. */
  simOf(pod: StoredObject): PodSim | undefined {
    return this.sims.get(keyOf(pod));
  }

  /** A removed pod is forgotten. */
  removed(t: ResourceType, obj: StoredObject): void {
    if (t === T_POD) this.sims.delete(keyOf(obj));
  }

  /** Moves each simulated pod one step towards (or along) its behaviour. */
  step(): void {
    for (const [key, sim] of [...this.sims]) {
      const stored = this.store.table(T_POD).get(key) as (StoredObject & Pod) | undefined;
      if (!stored || stored.metadata.uid !== sim.uid) {
        this.sims.delete(key);
        continue;
      }
      const pod = clone(stored);
      const containers = pod.spec?.containers ?? [];
      let churn = false;
      if (sim.stage === 'creating') {
        sim.stage = 'settled';
        if (sim.behaviour === 'crashloop') sim.restarts = 1;
        this.startupEvents(pod, sim.behaviour, containers);
      } else if (sim.behaviour === 'crashloop') {
        sim.restarts += 1;
        churn = true;
        for (const c of containers) this.backOffEvent(pod, c);
      } else continue;
      pod.status = podStatusFor(pod, sim, HOST_IP);
      this.store.commit(T_POD, pod, { churn });
    }
  }

  private startupEvents(pod: StoredObject & Pod, behaviour: PodBehaviour, containers: Container[]): void {
    for (const c of containers) {
      const image = c.image ?? '';
      if (behaviour === 'imagepull') {
        this.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, 'kubelet');
        this.events.record(
          pod,
          'Warning',
          'Failed',
          `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`,
          'kubelet',
        );
        this.events.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull', 'kubelet');
        this.events.record(pod, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, 'kubelet');
        this.events.record(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff', 'kubelet');
        continue;
      }
      this.events.record(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, 'kubelet');
      this.events.record(pod, 'Normal', 'Created', `Created container ${c.name}`, 'kubelet');
      this.events.record(pod, 'Normal', 'Started', `Started container ${c.name}`, 'kubelet');
      if (behaviour === 'crashloop') this.backOffEvent(pod, c);
    }
  }

  private backOffEvent(pod: StoredObject & Pod, c: Container): void {
    const ref = `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
    this.events.record(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${ref}`, 'kubelet', `spec.containers{${c.name}}`);
  }
}
