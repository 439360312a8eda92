/**
 * The controllers of the fake, run one step at a time by {@link Controllers.tick} after the
 * kubelet's step (kubelet.ts):
 * - Deployment controller: a ReplicaSet per pod template with revisions (rollbacks reuse the old
 *   ReplicaSet with the next revision), RollingUpdate within maxSurge/maxUnavailable, Recreate,
 *   paused Deployments, status and the Available/Progressing conditions (progress deadline);
 * - ReplicaSet controller: pods created or deleted (unscheduled, unready, newest first) to match
 *   `spec.replicas`;
 * - StatefulSet controller: pods `<name>-<ordinal>` in order (OrderedReady or Parallel), rolled
 *   highest ordinal first above `partition`;
 * - DaemonSet controller: one pod per Node, rolled within `maxUnavailable`.
 *
 * Seeded objects whose status is current are snapshots the controllers leave alone until the
 * API changes them (see {@link K8sFake.seed}).
 * Source: https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
import type { Condition, Deployment, KObject, Pod, PodTemplateSpec, ReplicaSet } from '../../../domain/k8s-objects.ts';
import { selectorMatches } from '../../../domain/selectors.ts';
import type { K8sFake, PodBehaviour, PodBehaviourFn } from './index.ts';
import {
  canonical,
  clone,
  CONTROLLER_REVISION_LABEL,
  controllerRef,
  DESIRED_REPLICAS_ANNOTATION,
  dig,
  hashSuffix,
  intOrPercent,
  isOwnedBy,
  isPodReady,
  isoNow,
  isRecord,
  keyOf,
  MAX_REPLICAS_ANNOTATION,
  objectKey,
  randomSuffix,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  type Json,
  type StoredObject,
  STS_POD_NAME_LABEL,
  TEMPLATE_HASH_LABEL,
} from './objects.ts';
import { EventRecorder } from './events.ts';
import { Kubelet } from './kubelet.ts';
import { kubeletNodeName, normalizeTemplate, type PodSim, templatesEqual } from './pods.ts';
import { T_DAEMONSET, T_DEPLOYMENT, T_NODE, T_POD, T_REPLICASET, T_STATEFULSET, type ResourceType } from './resources.ts';
import type { ObjectStore, StoreListener } from './store.ts';

/** When a Deployment's rollout last made progress (for its progress deadline). */
interface RolloutClock {
  replicaSet: string;
  updated: number;
  ready: number;
  since: number;
}

/** One pod template of a StatefulSet or DaemonSet (what a ControllerRevision records). */
interface WorkloadRevision {
  /** Canonical JSON of the normalised template. */
  key: string;
  /** Value of the pods' `controller-revision-hash` label (`<sts>-<hash>` or `<hash>` for DaemonSets). */
  name: string;
  number: number;
}

/** The controllers and the simulated kubelet they start pods on, over one {@link ObjectStore}. */
export class Controllers implements StoreListener {
  private behaviour: PodBehaviourFn = () => 'ready';

  /** uids of Deployments and ReplicaSets the controller reconciles (see `seed`). */
  private readonly managed = new Set<string>();
  /** Behaviour decided for each ReplicaSet (by uid). */
  private readonly replicaSetBehaviour = new Map<string, PodBehaviour>();
  private readonly events: EventRecorder;
  private readonly kubelet: Kubelet;
  private readonly rolloutClocks = new Map<string, RolloutClock>();
  /** Pod templates of StatefulSets and DaemonSets (by uid), with their revision names. */
  private readonly workloadRevisions = new Map<string, WorkloadRevision[]>();

  /**
   * @param store Where the controllers read and write.
   * @param progressDeadlineMs Replaces every Deployment's `progressDeadlineSeconds` when set.
   */
  constructor(
    private readonly store: ObjectStore,
    private readonly progressDeadlineMs: number | undefined,
  ) {
    this.events = new EventRecorder(store);
    this.kubelet = new Kubelet(store, this.events);
    store.listen(this);
  }

  /** See {@link K8sFake.setPodBehaviour}. */
  setPodBehaviour(fn: PodBehaviourFn | PodBehaviour): void {
    this.behaviour = typeof fn === 'function' ? fn : () => fn;
  }

  /** A pod deleted through the API hands its (possibly seeded) owner to the controllers. */
  podDeletedThroughApi(pod: StoredObject): void {
    this.markOwnerReplicaSetManaged(pod);
    this.markOwnerWorkloadManaged(pod);
  }

  /** One step of every controller; see {@link K8sFake.tick}. */
  tick(): number {
    const before = this.store.progressWrites;
    this.kubelet.step();
    for (const dep of this.store.objects(T_DEPLOYMENT)) {
      if (this.isManagedDeployment(dep)) this.syncDeployment(dep);
    }
    for (const rs of this.store.objects(T_REPLICASET)) {
      if (this.isManagedReplicaSet(rs)) this.reconcileReplicaSet(rs);
    }
    for (const dep of this.store.objects(T_DEPLOYMENT)) {
      if (this.managed.has(dep.metadata.uid ?? '')) this.updateDeploymentStatus(dep);
    }
    for (const sts of this.store.objects(T_STATEFULSET)) {
      if (this.isManagedWorkload(sts)) this.syncStatefulSet(sts);
    }
    for (const ds of this.store.objects(T_DAEMONSET)) {
      if (this.isManagedWorkload(ds)) this.syncDaemonSet(ds);
    }
    return this.store.progressWrites - before;
  }

  /** A pod deleted through the API hands its (possibly seeded) ReplicaSet to the controller. */
  private markOwnerReplicaSetManaged(pod: StoredObject): void {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'ReplicaSet');
    const rs = ref ? this.store.table(T_REPLICASET).get(objectKey(pod.metadata.namespace, ref.name)) : undefined;
    if (rs?.metadata.uid) this.managed.add(rs.metadata.uid);
  }


  private isManagedDeployment(dep: StoredObject & Deployment): boolean {
    const uid = dep.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const observed = dep.status?.observedGeneration;
    if (observed === undefined || observed < (dep.metadata.generation ?? 1)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  private isManagedReplicaSet(rs: StoredObject & ReplicaSet): boolean {
    const uid = rs.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const ownerRef = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
    const owner = ownerRef ? this.store.table(T_DEPLOYMENT).get(objectKey(rs.metadata.namespace, ownerRef.name)) : undefined;
    const observed = rs.status?.observedGeneration;
    const stale = observed === undefined || observed < (rs.metadata.generation ?? 1);
    if ((owner && this.managed.has(owner.metadata.uid ?? '')) || (!owner && stale)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  /** Fresh stored copy of an object, or undefined when it is gone. */
  private fresh<T extends KObject>(t: ResourceType, obj: StoredObject): (StoredObject & T) | undefined {
    const stored = this.store.table(t).get(keyOf(obj));
    return stored ? (clone(stored) as StoredObject & T) : undefined;
  }

  private replicaSetsOf(dep: StoredObject): Array<StoredObject & ReplicaSet> {
    return this.store.objects(T_REPLICASET, dep.metadata.namespace)
      .filter((rs) => isOwnedBy(rs, 'Deployment', dep.metadata.name))
      .map((rs) => clone(rs) as StoredObject & ReplicaSet);
  }

  private podsOf(rs: StoredObject): Array<StoredObject & Pod> {
    return this.store.objects(T_POD, rs.metadata.namespace).filter((p) => isOwnedBy(p, 'ReplicaSet', rs.metadata.name)) as Array<StoredObject & Pod>;
  }

  private readyPods(rs: StoredObject): number {
    return this.podsOf(rs).filter(isPodReady).length;
  }

  /** Deployment controller: ReplicaSet for the current template, revisions, one rollout step. */
  private syncDeployment(stored: StoredObject & Deployment): void {
    const dep = clone(stored);
    const template = dep.spec?.template;
    if (!template) return;
    const replicaSets = this.replicaSetsOf(dep);
    let current = replicaSets.find((rs) => templatesEqual(rs.spec?.template, template));
    const maxRevision = Math.max(0, ...replicaSets.map(revisionOf));

    if (dep.spec?.paused) {
      if (current && (current.spec?.replicas ?? 0) !== desiredReplicas(dep)) this.scaleReplicaSet(dep, current, desiredReplicas(dep));
      return;
    }

    if (!current) current = this.createReplicaSet(dep, template, maxRevision + 1);
    else if (revisionOf(current) < maxRevision) {
      // Rolling back to an old template reuses its ReplicaSet with the next revision number.
      const annotations = (current.metadata.annotations ??= {});
      const history = [annotations[REVISION_HISTORY_ANNOTATION], String(revisionOf(current))].filter(Boolean).join(',');
      annotations[REVISION_ANNOTATION] = String(maxRevision + 1);
      annotations[REVISION_HISTORY_ANNOTATION] = history;
      this.store.commit(T_REPLICASET, current);
    }

    const depAnnotations = (dep.metadata.annotations ??= {});
    if (depAnnotations[REVISION_ANNOTATION] !== String(revisionOf(current))) {
      depAnnotations[REVISION_ANNOTATION] = String(revisionOf(current));
      this.store.commit(T_DEPLOYMENT, dep);
    }

    const newName = current.metadata.name;
    const old = this.replicaSetsOf(dep)
      .filter((rs) => rs.metadata.name !== newName)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    if (dep.spec?.strategy?.type === 'Recreate') this.recreateStep(dep, current, old);
    else this.rollingStep(dep, current, old);
  }

  private createReplicaSet(dep: StoredObject & Deployment, template: PodTemplateSpec, revision: number): StoredObject & ReplicaSet {
    const normalized = normalizeTemplate(template);
    const taken = (hash: string): boolean => this.store.table(T_REPLICASET).has(objectKey(dep.metadata.namespace, `${dep.metadata.name}-${hash}`));
    let hash = hashSuffix(canonical(normalized), 10);
    // Like the collisionCount of a real Deployment: rehash while the name belongs to another ReplicaSet.
    for (let collision = 1; taken(hash); collision++) hash = hashSuffix(`${canonical(normalized)}#${collision}`, 10);
    const labels = { ...(template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash };
    const rsTemplate: PodTemplateSpec = clone(normalized);
    rsTemplate.metadata = { ...(rsTemplate.metadata ?? {}), labels };
    const selector = clone(dep.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [TEMPLATE_HASH_LABEL]: hash };
    const desired = desiredReplicas(dep);
    const rs: StoredObject & ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: dep.metadata.namespace,
        labels: { ...labels },
        annotations: {
          [REVISION_ANNOTATION]: String(revision),
          [DESIRED_REPLICAS_ANNOTATION]: String(desired),
          [MAX_REPLICAS_ANNOTATION]: String(desired + rollingParameters(dep, desired).maxSurge),
        },
        ownerReferences: [controllerRef(dep)],
      },
      spec: { replicas: 0, selector, template: rsTemplate },
      status: { replicas: 0 },
    };
    this.store.createInternal(T_REPLICASET, rs);
    this.managed.add(rs.metadata.uid ?? '');
    return clone(rs);
  }

  /** RollingUpdate: grow the new ReplicaSet by one within maxSurge, shrink old ones within maxUnavailable. */
  private rollingStep(dep: StoredObject & Deployment, current: StoredObject & ReplicaSet, old: Array<StoredObject & ReplicaSet>): void {
    const desired = desiredReplicas(dep);
    const { maxSurge, maxUnavailable } = rollingParameters(dep, desired);
    const newReplicas = current.spec?.replicas ?? 0;
    const oldTotal = old.reduce((sum, rs) => sum + (rs.spec?.replicas ?? 0), 0);
    if (newReplicas > desired) this.scaleReplicaSet(dep, current, desired);
    else if (newReplicas < desired && newReplicas + oldTotal < desired + maxSurge) this.scaleReplicaSet(dep, current, newReplicas + 1);
    if (oldTotal === 0) return;

    const available = this.readyPods(current) + old.reduce((sum, rs) => sum + this.readyPods(rs), 0);
    let budget = Math.max(0, available - (desired - maxUnavailable));
    for (const rs of old) {
      const replicas = rs.spec?.replicas ?? 0;
      // Unready old pods do not count towards availability, so they go first and for free.
      let target = Math.min(replicas, this.readyPods(rs));
      const cut = Math.min(budget, target);
      target -= cut;
      budget -= cut;
      if (target !== replicas) this.scaleReplicaSet(dep, rs, target);
    }
  }

  /** Recreate: scale every old ReplicaSet to zero, wait for their pods to go, then scale up. */
  private recreateStep(dep: StoredObject & Deployment, current: StoredObject & ReplicaSet, old: Array<StoredObject & ReplicaSet>): void {
    const active = old.filter((rs) => (rs.spec?.replicas ?? 0) > 0);
    if (active.length > 0) {
      for (const rs of active) this.scaleReplicaSet(dep, rs, 0);
      return;
    }
    if (old.some((rs) => this.podsOf(rs).length > 0)) return;
    const desired = desiredReplicas(dep);
    if ((current.spec?.replicas ?? 0) !== desired) this.scaleReplicaSet(dep, current, desired);
  }

  private scaleReplicaSet(dep: StoredObject & Deployment, replicaSet: StoredObject & ReplicaSet, replicas: number): void {
    const rs = this.fresh<ReplicaSet>(T_REPLICASET, replicaSet);
    if (!rs?.spec) return;
    const from = rs.spec.replicas ?? 0;
    const desired = desiredReplicas(dep);
    rs.spec.replicas = replicas;
    const annotations = (rs.metadata.annotations ??= {});
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    annotations[MAX_REPLICAS_ANNOTATION] = String(desired + rollingParameters(dep, desired).maxSurge);
    rs.metadata.generation = (rs.metadata.generation ?? 1) + (from === replicas ? 0 : 1);
    if (!this.store.commit(T_REPLICASET, rs) || from === replicas) return;
    const direction = replicas > from ? 'up' : 'down';
    const message = `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${replicas}`;
    this.events.record(dep, 'Normal', 'ScalingReplicaSet', message, 'deployment-controller');
  }

  /** ReplicaSet controller: create or delete pods to match spec.replicas, then update status. */
  private reconcileReplicaSet(stored: StoredObject & ReplicaSet): void {
    const rs = clone(stored);
    const desired = rs.spec?.replicas ?? 1;
    const pods = this.podsOf(rs);
    if (pods.length < desired) {
      const behaviour = this.behaviourOf(rs);
      for (let i = pods.length; i < desired; i++) this.createPod(rs, behaviour);
    } else if (pods.length > desired) {
      const victims = [...pods].sort((a, b) => deletionRank(a, this.kubelet.simOf(a)) - deletionRank(b, this.kubelet.simOf(b)));
      for (const pod of victims.slice(0, pods.length - desired)) {
        this.store.remove(T_POD, pod);
        this.store.progressWrites += 1;
        this.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, 'replicaset-controller');
      }
    }

    const now = this.podsOf(rs);
    const ready = now.filter(isPodReady).length;
    const next = this.fresh<ReplicaSet>(T_REPLICASET, rs);
    if (!next) return;
    const status: Json = { replicas: now.length };
    const labelled = now.filter((p) => selectorMatches(rs.spec?.selector, p.metadata.labels)).length;
    if (labelled > 0) status.fullyLabeledReplicas = labelled;
    if (ready > 0) {
      status.readyReplicas = ready;
      status.availableReplicas = ready;
    }
    status.observedGeneration = next.metadata.generation ?? 1;
    next.status = status as ReplicaSet['status'];
    this.store.commit(T_REPLICASET, next);
  }

  private behaviourOf(rs: StoredObject & ReplicaSet): PodBehaviour {
    const uid = rs.metadata.uid ?? '';
    const known = this.replicaSetBehaviour.get(uid);
    if (known) return known;
    const ownerRef = rs.metadata.ownerReferences?.find((r) => r.kind === 'Deployment');
    const owner = ownerRef ? this.store.table(T_DEPLOYMENT).get(objectKey(rs.metadata.namespace, ownerRef.name)) : undefined;
    const behaviour = this.behaviour({
      deployment: owner ? (clone(owner) as Deployment) : undefined,
      replicaSet: clone(rs),
      template: clone(rs.spec?.template ?? {}),
      revision: revisionOf(rs),
    });
    this.replicaSetBehaviour.set(uid, behaviour);
    return behaviour;
  }

  private createPod(rs: StoredObject & ReplicaSet, behaviour: PodBehaviour): void {
    const template = rs.spec?.template ?? {};
    let name: string;
    do name = `${rs.metadata.name}-${randomSuffix(5)}`;
    while (this.store.table(T_POD).has(objectKey(rs.metadata.namespace, name)));
    const spec = clone(template.spec ?? { containers: [] });
    if (behaviour !== 'pending') spec.nodeName = kubeletNodeName(this.store);
    const pod: StoredObject & Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        ownerReferences: [controllerRef(rs)],
      },
      spec,
    };
    const annotations = template.metadata?.annotations;
    if (annotations) pod.metadata.annotations = { ...annotations };
    this.kubelet.admit(pod, behaviour);
    this.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${name}`, 'replicaset-controller');
    this.kubelet.scheduled(pod, behaviour);
  }

  /** Deployment status and conditions from its ReplicaSets, as the deployment controller reports them. */
  private updateDeploymentStatus(stored: StoredObject & Deployment): void {
    const dep = clone(stored);
    const uid = dep.metadata.uid ?? '';
    const desired = desiredReplicas(dep);
    const replicaSets = this.replicaSetsOf(dep);
    const current = replicaSets.find((rs) => templatesEqual(rs.spec?.template, dep.spec?.template));
    const sum = (pick: (rs: ReplicaSet) => number | undefined): number => replicaSets.reduce((n, rs) => n + (pick(rs) ?? 0), 0);
    const replicas = sum((rs) => rs.status?.replicas);
    const updated = current?.status?.replicas ?? 0;
    const ready = sum((rs) => rs.status?.readyReplicas);
    const available = sum((rs) => rs.status?.availableReplicas);
    const unavailable = Math.max(0, desired - available);
    const { maxUnavailable } = rollingParameters(dep, desired);
    const complete = current !== undefined && updated === desired && replicas === desired && available === desired;

    const nowMs = Date.now();
    const clock = this.rolloutClocks.get(uid);
    const newReady = current?.status?.readyReplicas ?? 0;
    if (!clock || clock.replicaSet !== current?.metadata.name || updated > clock.updated || newReady > clock.ready) {
      this.rolloutClocks.set(uid, { replicaSet: current?.metadata.name ?? '', updated, ready: newReady, since: nowMs });
    }
    const since = this.rolloutClocks.get(uid)!.since;
    const deadlineMs = this.progressDeadlineMs ?? (dep.spec?.progressDeadlineSeconds ?? 600) * 1000;

    const now = isoNow();
    let conditions = dep.status?.conditions ?? [];
    conditions = upsertCondition(
      conditions,
      available >= desired - maxUnavailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
    );
    const rsName = current?.metadata.name ?? '';
    const previous = conditions.find((c) => c.type === 'Progressing');
    let progressing: Condition;
    if (dep.spec?.paused) progressing = { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' };
    else if (complete) {
      progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` };
    } else if (
      nowMs - since > deadlineMs ||
      (previous?.reason === 'ProgressDeadlineExceeded' && previous.message === `ReplicaSet "${rsName}" has timed out progressing.`)
    ) {
      progressing = { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` };
    } else {
      progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` };
    }
    conditions = upsertCondition(conditions, progressing, now);

    const status: NonNullable<Deployment['status']> = { observedGeneration: dep.metadata.generation ?? 1 };
    if (replicas) status.replicas = replicas;
    if (updated) status.updatedReplicas = updated;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    if (unavailable) status.unavailableReplicas = unavailable;
    status.conditions = conditions;
    dep.status = status;
    this.store.commit(T_DEPLOYMENT, dep);
  }

  // ── StatefulSet and DaemonSet controllers ───────────────────────────────────────────────

  /** Like a Deployment: reconciled once its spec is newer than its status (or it has no status). */
  private isManagedWorkload(obj: StoredObject): boolean {
    const uid = obj.metadata.uid ?? '';
    if (this.managed.has(uid)) return true;
    const status = isRecord(obj.status) ? obj.status : {};
    const observed = status.observedGeneration;
    if (typeof observed !== 'number' || observed < (obj.metadata.generation ?? 1)) {
      this.managed.add(uid);
      return true;
    }
    return false;
  }

  /**
   * A pod of a seeded (snapshot) StatefulSet or DaemonSet deleted through the API hands its owner
   * to the controller; the current template keeps the revision its pods carry, so only the
   * deleted pod is recreated rather than every pod rolled.
   */
  private markOwnerWorkloadManaged(pod: StoredObject): void {
    const ref = pod.metadata.ownerReferences?.find((r) => r.kind === 'StatefulSet' || r.kind === 'DaemonSet');
    if (!ref) return;
    const t = ref.kind === 'StatefulSet' ? T_STATEFULSET : T_DAEMONSET;
    const owner = this.store.table(t).get(objectKey(pod.metadata.namespace, ref.name));
    const uid = owner?.metadata.uid;
    if (!owner || !uid || this.managed.has(uid)) return;
    this.managed.add(uid);
    const status = isRecord(owner.status) ? owner.status : {};
    const observed = status.observedGeneration;
    if (typeof observed !== 'number' || observed < (owner.metadata.generation ?? 1)) return;
    const name =
      (typeof status.updateRevision === 'string' ? status.updateRevision : undefined) ?? pod.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';
    this.workloadRevisions.set(uid, [{ key: workloadTemplateKey(owner), name, number: 1 }]);
  }

  /** The revision of the workload's current template, registered on first sight. */
  private workloadRevision(obj: StoredObject): WorkloadRevision {
    const uid = obj.metadata.uid ?? '';
    const key = workloadTemplateKey(obj);
    const known = this.workloadRevisions.get(uid) ?? [];
    let rev = known.find((r) => r.key === key);
    if (!rev) {
      const hash = hashSuffix(key, 10);
      rev = { key, name: obj.kind === 'StatefulSet' ? `${obj.metadata.name}-${hash}` : hash, number: Math.max(0, ...known.map((r) => r.number)) + 1 };
      known.push(rev);
      this.workloadRevisions.set(uid, known);
    }
    return rev;
  }

  private workloadPods(owner: StoredObject): Array<StoredObject & Pod> {
    return this.store.objects(T_POD, owner.metadata.namespace).filter((p) => isOwnedBy(p, owner.kind, owner.metadata.name)) as Array<StoredObject & Pod>;
  }

  private workloadBehaviour(owner: StoredObject, rev: WorkloadRevision): PodBehaviour {
    const key = `${owner.metadata.uid}|${rev.name}`;
    const known = this.replicaSetBehaviour.get(key);
    if (known) return known;
    const template = clone(workloadTemplate(owner));
    const standIn = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: rev.name, namespace: owner.metadata.namespace },
      spec: { template },
    } as ReplicaSet;
    const behaviour = this.behaviour({ deployment: undefined, replicaSet: standIn, template, revision: rev.number, workload: clone(owner) });
    this.replicaSetBehaviour.set(key, behaviour);
    return behaviour;
  }

  private createWorkloadPod(owner: StoredObject, rev: WorkloadRevision, options: { name?: string; labels?: Record<string, string>; node?: string }): void {
    const template = workloadTemplate(owner);
    const behaviour = this.workloadBehaviour(owner, rev);
    const namespace = owner.metadata.namespace;
    let name = options.name;
    if (!name) {
      do name = `${owner.metadata.name}-${randomSuffix(5)}`;
      while (this.store.table(T_POD).has(objectKey(namespace, name)));
    }
    const spec = clone(template.spec ?? { containers: [] });
    if (options.node) {
      // What the DaemonSet controller pins its pods with.
      spec.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [options.node] }] }],
          },
        },
      };
    }
    if (behaviour !== 'pending') spec.nodeName = options.node ?? kubeletNodeName(this.store);
    const pod: StoredObject & Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        ...(options.name ? {} : { generateName: `${owner.metadata.name}-` }),
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_LABEL]: rev.name, ...options.labels },
        ownerReferences: [controllerRef(owner)],
      },
      spec,
    };
    const annotations = template.metadata?.annotations;
    if (annotations) pod.metadata.annotations = { ...annotations };
    this.kubelet.admit(pod, behaviour);
    const sts = owner.kind === 'StatefulSet';
    this.events.record(
      owner,
      'Normal',
      'SuccessfulCreate',
      sts ? `create Pod ${name} in StatefulSet ${owner.metadata.name} successful` : `Created pod: ${name}`,
      sts ? 'statefulset-controller' : 'daemonset-controller',
    );
    this.kubelet.scheduled(pod, behaviour);
  }

  private deleteWorkloadPod(owner: StoredObject, pod: StoredObject): void {
    this.store.remove(T_POD, pod);
    this.store.progressWrites += 1;
    const sts = owner.kind === 'StatefulSet';
    this.events.record(
      owner,
      'Normal',
      'SuccessfulDelete',
      sts ? `delete Pod ${pod.metadata.name} in StatefulSet ${owner.metadata.name} successful` : `Deleted pod: ${pod.metadata.name}`,
      sts ? 'statefulset-controller' : 'daemonset-controller',
    );
  }

  /**
   * StatefulSet controller, one step: delete condemned pods (ordinal ≥ replicas, highest first),
   * else create the first missing ordinal, else replace the highest outdated pod at or above the
   * partition. OrderedReady stops at the first pod that is not Ready — as the real controller
   * does, so a crash-looping StatefulSet does not roll by itself; Parallel does not wait.
   */
  private syncStatefulSet(stored: StoredObject): void {
    const sts = clone(stored);
    const spec = isRecord(sts.spec) ? sts.spec : {};
    if (!isRecord(spec.template)) return;
    const name = sts.metadata.name ?? '';
    const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
    const update = this.workloadRevision(sts);
    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    const rolling = strategy.type === undefined || strategy.type === 'RollingUpdate';
    const rawPartition = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined;
    const partition = typeof rawPartition === 'number' ? rawPartition : 0;
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const ordinal = (p: StoredObject): number => {
      const rest = (p.metadata.name ?? '').slice(name.length + 1);
      return (p.metadata.name ?? '').startsWith(`${name}-`) && /^\d+$/.test(rest) ? Number(rest) : -1;
    };
    const revisionOfPod = (p: StoredObject): string => p.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';

    step: {
      const pods = this.workloadPods(sts);
      const byOrdinal = new Map(pods.map((p) => [ordinal(p), p]));
      for (let i = 0; i < desired; i++) {
        const pod = byOrdinal.get(i);
        if (!pod) {
          const podName = `${name}-${i}`;
          this.createWorkloadPod(sts, update, { name: podName, labels: { [STS_POD_NAME_LABEL]: podName } });
          if (monotonic) break step;
        } else if (monotonic && !isPodReady(pod)) break step;
      }
      const condemned = pods.filter((p) => ordinal(p) < 0 || ordinal(p) >= desired).sort((a, b) => ordinal(b) - ordinal(a));
      if (condemned.length > 0) {
        for (const p of monotonic ? condemned.slice(0, 1) : condemned) this.deleteWorkloadPod(sts, p);
        break step;
      }
      if (!rolling) break step;
      for (let i = desired - 1; i >= partition; i--) {
        const pod = byOrdinal.get(i);
        if (!pod) break;
        if (revisionOfPod(pod) !== update.name) {
          this.deleteWorkloadPod(sts, pod);
          break;
        }
        if (!isPodReady(pod)) break;
      }
    }

    const now = this.workloadPods(sts);
    const ready = now.filter(isPodReady).length;
    const updated = now.filter((p) => revisionOfPod(p) === update.name).length;
    const previous = isRecord(sts.status) ? sts.status : {};
    let currentRevision = typeof previous.currentRevision === 'string' ? previous.currentRevision : update.name;
    if (rolling && updated === now.length && ready === now.length) currentRevision = update.name;
    const current = now.filter((p) => revisionOfPod(p) === currentRevision).length;
    const next = this.fresh<KObject>(T_STATEFULSET, sts);
    if (!next) return;
    const status: Json = { observedGeneration: next.metadata.generation ?? 1, replicas: now.length };
    if (ready) status.readyReplicas = ready;
    if (current) status.currentReplicas = current;
    if (updated) status.updatedReplicas = updated;
    if (ready) status.availableReplicas = ready;
    status.currentRevision = currentRevision;
    status.updateRevision = update.name;
    status.collisionCount = 0;
    next.status = status;
    this.store.commit(T_STATEFULSET, next);
  }

  /** Nodes a DaemonSet runs on: every stored Node, or the default node when none is stored. */
  private daemonNodes(): string[] {
    const nodes = this.store.objects(T_NODE).map((n) => n.metadata.name ?? '').filter((n) => n !== '');
    return nodes.length > 0 ? nodes : [kubeletNodeName(this.store)];
  }

  /**
   * DaemonSet controller, one step: one pod per node (extra or orphaned pods deleted), and a
   * rolling update that deletes outdated pods — unready ones at once, ready ones within
   * `maxUnavailable` (default 1) — to be recreated at the new revision on the next step.
   */
  private syncDaemonSet(stored: StoredObject): void {
    const ds = clone(stored);
    const spec = isRecord(ds.spec) ? ds.spec : {};
    if (!isRecord(spec.template)) return;
    const update = this.workloadRevision(ds);
    const nodes = this.daemonNodes();
    const revisionOfPod = (p: StoredObject): string => p.metadata.labels?.[CONTROLLER_REVISION_LABEL] ?? '';

    const seen = new Set<string>();
    for (const p of this.workloadPods(ds)) {
      const node = podNode(p);
      if (!node || !nodes.includes(node) || seen.has(node)) this.deleteWorkloadPod(ds, p);
      else seen.add(node);
    }
    for (const node of nodes) if (!seen.has(node)) this.createWorkloadPod(ds, update, { node });

    const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
    if (strategy.type === undefined || strategy.type === 'RollingUpdate') {
      const rolling = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      const maxUnavailable = Math.max(1, intOrPercent(rolling.maxUnavailable ?? 1, nodes.length, true));
      const pods = this.workloadPods(ds);
      let budget = maxUnavailable - (nodes.length - pods.filter(isPodReady).length);
      const outdated = pods.filter((p) => revisionOfPod(p) !== update.name).sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)));
      for (const p of outdated) {
        if (!isPodReady(p)) this.deleteWorkloadPod(ds, p);
        else if (budget > 0) {
          this.deleteWorkloadPod(ds, p);
          budget -= 1;
        }
      }
    }

    const now = this.workloadPods(ds);
    const ready = now.filter(isPodReady).length;
    const updated = now.filter((p) => revisionOfPod(p) === update.name).length;
    const next = this.fresh<KObject>(T_DAEMONSET, ds);
    if (!next) return;
    const status: Json = {
      currentNumberScheduled: now.filter((p) => nodes.includes(podNode(p) ?? '')).length,
      desiredNumberScheduled: nodes.length,
      numberMisscheduled: 0,
      numberReady: ready,
      observedGeneration: next.metadata.generation ?? 1,
    };
    if (updated) status.updatedNumberScheduled = updated;
    if (ready) status.numberAvailable = ready;
    if (nodes.length - ready > 0) status.numberUnavailable = nodes.length - ready;
    next.status = status;
    this.store.commit(T_DAEMONSET, next);
  }
}

/** `spec.replicas` of a Deployment (default 1). */
function desiredReplicas(dep: Deployment): number {
  return dep.spec?.replicas ?? 1;
}

/** maxSurge and maxUnavailable resolved against `desired` (Recreate: 0 and 0; both 0 → maxUnavailable 1). */
function rollingParameters(dep: Deployment, desired: number): { maxSurge: number; maxUnavailable: number } {
  const strategy = dep.spec?.strategy;
  if (isRecord(strategy) && strategy.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const rolling = isRecord(strategy) && isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
  const maxSurge = intOrPercent(rolling.maxSurge ?? '25%', desired, true);
  let maxUnavailable = intOrPercent(rolling.maxUnavailable ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

/** The pod template of a StatefulSet or DaemonSet (empty when missing). */
function workloadTemplate(obj: StoredObject): PodTemplateSpec {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  return (isRecord(spec.template) ? spec.template : {}) as PodTemplateSpec;
}

/** Canonical JSON of a StatefulSet's or DaemonSet's normalised pod template (its revision key). */
function workloadTemplateKey(obj: StoredObject): string {
  return canonical(normalizeTemplate(workloadTemplate(obj)));
}

/** The node a pod runs on, or is pinned to by DaemonSet node affinity while unscheduled. */
function podNode(pod: StoredObject): string | undefined {
  const spec = pod.spec as Pod['spec'];
  if (spec?.nodeName) return spec.nodeName;
  const terms = dig(spec, ['affinity', 'nodeAffinity', 'requiredDuringSchedulingIgnoredDuringExecution', 'nodeSelectorTerms']);
  const fields = Array.isArray(terms) && isRecord(terms[0]) ? terms[0].matchFields : undefined;
  const values = Array.isArray(fields) && isRecord(fields[0]) ? fields[0].values : undefined;
  return Array.isArray(values) && typeof values[0] === 'string' ? values[0] : undefined;
}

/**
 * Whether a Deployment's rollout is complete, as `kubectl rollout status` decides: status
 * observed, all replicas updated and available, Progressing reason NewReplicaSetAvailable.
 */
export function rolloutComplete(dep: Deployment): boolean {
  const desired = desiredReplicas(dep);
  const s = dep.status ?? {};
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  return (
    (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired &&
    (s.availableReplicas ?? 0) === desired &&
    progressing?.reason === 'NewReplicaSetAvailable'
  );
}

/** Sort key for scale-down: unscheduled first, then unready, then the newest. */
function deletionRank(pod: Pod, sim: PodSim | undefined): number {
  const sequence = sim?.sequence ?? 0;
  if (!pod.spec?.nodeName) return -3e9 - sequence;
  if (!isPodReady(pod)) return -2e9 - sequence;
  return -sequence;
}

/** Replaces or appends the condition of `next.type`, keeping lastTransitionTime while the status holds. */
function upsertCondition(conditions: Condition[], next: Condition, now: string): Condition[] {
  const previous = conditions.find((c) => c.type === next.type);
  if (previous && previous.status === next.status && previous.reason === next.reason && previous.message === next.message) return conditions;
  const merged: Condition = {
    ...next,
    lastUpdateTime: now,
    lastTransitionTime: previous && previous.status === next.status ? previous.lastTransitionTime ?? now : now,
  };
  return previous ? conditions.map((c) => (c === previous ? merged : c)) : [...conditions, merged];
}
