/**
 * Minimal structural shapes of the Kubernetes objects Watchkeeper reads, as the API server
 * returns them in JSON (and `kubectl get -o yaml` prints them). Only the fields the domain
 * uses are typed; everything is optional because real objects omit empty fields.
 *
 * Kept in `domain/` so pure logic needs no vendor SDK; `@kubernetes/client-node` objects are
 * structurally compatible once serialised with `ObjectSerializer`/`JSON`.
 * Source: https://kubernetes.io/docs/reference/kubernetes-api/
 */

/** `metadata` of any object. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  /** Set while the object is being deleted (graceful termination). */
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion?: string; kind: string; name: string; uid?: string; controller?: boolean }>;
}

/** A generic Kubernetes object. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** Container `resources`: quantities as strings (`500m`, `256Mi`). */
export interface ResourceRequirements {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

/** One `env` entry; `valueFrom` references (secretKeyRef…) are never resolved. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** A container of a pod spec. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  [key: string]: unknown;
}

/** `spec` of a Pod or pod template. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  volumes?: Array<Record<string, unknown> & { name: string }>;
  [key: string]: unknown;
}

/** `spec.template` of a workload. */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/** `state` / `lastState` of a container: exactly one key is set. */
export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode: number;
    reason?: string;
    message?: string;
    signal?: number;
    startedAt?: string;
    finishedAt?: string;
  };
}

/** One entry of `status.containerStatuses`; `restartCount` counts restarts of the container. */
export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** A status condition (`Ready`, `Available`, `Progressing`, `MemoryPressure`…). */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

/** core/v1 Pod. */
export interface Pod extends KObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    startTime?: string;
    hostIP?: string;
    podIP?: string;
  };
}

/** A label selector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** apps/v1 Deployment; replica counts in pods. */
export interface Deployment extends KObject {
  spec?: {
    replicas?: number;
    selector?: LabelSelector;
    template?: PodTemplateSpec;
    paused?: boolean;
    progressDeadlineSeconds?: number;
    strategy?: Record<string, unknown>;
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Condition[];
  };
}

/** apps/v1 ReplicaSet; its revision is the `deployment.kubernetes.io/revision` annotation. */
export interface ReplicaSet extends KObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
}

/** StatefulSet and DaemonSet share the fields Watchkeeper reads. */
export interface StatefulSet extends KObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec; [key: string]: unknown };
  status?: Record<string, unknown> & { replicas?: number; readyReplicas?: number; currentRevision?: string; updateRevision?: string };
}

/** apps/v1 DaemonSet. */
export interface DaemonSet extends KObject {
  spec?: { selector?: LabelSelector; template?: PodTemplateSpec; [key: string]: unknown };
  status?: Record<string, unknown> & { desiredNumberScheduled?: number; numberReady?: number; numberUnavailable?: number };
}

/** batch/v1 Job. */
export interface Job extends KObject {
  spec?: { backoffLimit?: number; template?: PodTemplateSpec; [key: string]: unknown };
  status?: { active?: number; succeeded?: number; failed?: number; conditions?: Condition[] };
}

/** core/v1 Node; `allocatable`/`capacity` as quantity strings. */
export interface Node extends KObject {
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; value?: string; effect: string }> };
  status?: {
    conditions?: Condition[];
    addresses?: Array<{ type: string; address: string }>;
    allocatable?: Record<string, string>;
    capacity?: Record<string, string>;
  };
}

/** core/v1 Event (also events.k8s.io/v1 mapped onto these names). */
export interface KEvent extends KObject {
  type?: string; // Normal | Warning
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string; uid?: string; fieldPath?: string };
}

/** autoscaling/v2 HorizontalPodAutoscaler; replica bounds in pods. */
export interface HorizontalPodAutoscaler extends KObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: Condition[] };
}

/** core/v1 ResourceQuota: `hard` limits and `used` amounts as quantity strings (`limits.memory: 8Gi`, `pods: "10"`). */
export interface ResourceQuota extends KObject {
  spec?: { hard?: Record<string, string> };
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** One port of a NetworkPolicy rule; without `port` every port of the protocol matches. */
export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

/** networking.k8s.io/v1 NetworkPolicy (the fields that decide egress). */
export interface NetworkPolicy extends KObject {
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    egress?: Array<{ to?: Array<Record<string, unknown>>; ports?: NetworkPolicyPort[] }>;
    ingress?: Array<Record<string, unknown>>;
  };
}

/** core/v1 PersistentVolumeClaim; `status.phase` is `Pending`, `Bound` or `Lost`. */
export interface PersistentVolumeClaim extends KObject {
  spec?: { storageClassName?: string; volumeName?: string; accessModes?: string[]; resources?: ResourceRequirements };
  status?: { phase?: string; capacity?: Record<string, string> };
}

/** storage.k8s.io/v1 StorageClass (cluster-scoped). */
export interface StorageClass extends KObject {
  provisioner?: string;
  volumeBindingMode?: string;
}

/** policy/v1 PodDisruptionBudget; `minAvailable`/`maxUnavailable` are counts or percentages. */
export interface PodDisruptionBudget extends KObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector };
  status?: { currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number };
}
