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

export interface ResourceRequirements {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  volumes?: Array<Record<string, unknown> & { name: string }>;
  [key: string]: unknown;
}

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

export interface ContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

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

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

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

export interface ReplicaSet extends KObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number };
}

/** StatefulSet and DaemonSet share the fields Watchkeeper reads. */
export interface StatefulSet extends KObject {
  spec?: { replicas?: number; selector?: LabelSelector; template?: PodTemplateSpec; [key: string]: unknown };
  status?: Record<string, unknown> & { replicas?: number; readyReplicas?: number; currentRevision?: string; updateRevision?: string };
}

export interface DaemonSet extends KObject {
  spec?: { selector?: LabelSelector; template?: PodTemplateSpec; [key: string]: unknown };
  status?: Record<string, unknown> & { desiredNumberScheduled?: number; numberReady?: number; numberUnavailable?: number };
}

export interface Job extends KObject {
  spec?: { backoffLimit?: number; template?: PodTemplateSpec; [key: string]: unknown };
  status?: { active?: number; succeeded?: number; failed?: number; conditions?: Condition[] };
}

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

export interface HorizontalPodAutoscaler extends KObject {
  spec?: {
    scaleTargetRef?: { apiVersion?: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
  };
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: Condition[] };
}

export interface PodDisruptionBudget extends KObject {
  spec?: { minAvailable?: number | string; maxUnavailable?: number | string; selector?: LabelSelector };
  status?: { currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number };
}
