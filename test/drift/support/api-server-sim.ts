/**
 * Turns desired manifests into what the Kubernetes API server returns for them after
 * `kubectl apply`: read-only metadata, status, defaulted fields, canonical quantities,
 * the Deployment revision annotation, a `kubectl rollout restart` annotation and the
 * last-applied-configuration annotation. Defaults follow k8s.io/kubernetes
 * `pkg/apis/<group>/v1/defaults.go` for the kinds in the fixtures.
 */
import type { KObject } from '../../../domain/k8s-objects.ts';

type Json = Record<string, any>;

const CLUSTER_SCOPED = new Set(['Namespace', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding']);

/** Options of {@link simulateLive}. */
export interface SimulateOptions {
  /** Namespace for objects that declare none. */
  namespace: string;
  /** Distinguishes uids/resourceVersions between objects. */
  seq: number;
}

/** Returns the live form of `desired`; `desired` is not modified. */
export function simulateLive(desired: KObject, options: SimulateOptions): KObject {
  const live: Json = structuredClone(desired);
  addServerMetadata(live, desired, options);
  switch (live.kind) {
    case 'Deployment':
      defaultDeployment(live);
      break;
    case 'StatefulSet':
      defaultStatefulSet(live);
      break;
    case 'CronJob':
      defaultCronJob(live);
      break;
    case 'Service':
      defaultService(live, options.seq);
      break;
    case 'PersistentVolumeClaim':
      defaultPvc(live, options.seq);
      break;
    case 'HorizontalPodAutoscaler':
      defaultHpa(live);
      break;
    case 'Namespace':
      live.metadata.labels = { ...live.metadata.labels, 'kubernetes.io/metadata.name': live.metadata.name };
      live.spec = { finalizers: ['kubernetes'] };
      live.status = { phase: 'Active' };
      break;
  }
  return live as KObject;
}

/** {@link simulateLive} over a list, numbering objects. */
export function simulateCluster(desired: readonly KObject[], namespace: string): KObject[] {
  return desired.map((object, seq) => simulateLive(object, { namespace, seq }));
}

function addServerMetadata(live: Json, desired: KObject, { namespace, seq }: SimulateOptions): void {
  const meta = (live.metadata ??= {});
  if (!meta.namespace && !CLUSTER_SCOPED.has(live.kind)) meta.namespace = namespace;
  meta.uid = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  meta.resourceVersion = String(100_000 + seq);
  meta.generation = 2;
  meta.creationTimestamp = '2025-06-02T09:14:03Z';
  meta.managedFields = [
    { apiVersion: live.apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} }, manager: 'kubectl-client-side-apply', operation: 'Update', time: '2025-06-02T09:14:03Z' },
  ];
  meta.annotations = {
    ...meta.annotations,
    'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(desired)}\n`,
  };
}

function defaultDeployment(live: Json): void {
  live.metadata.annotations['deployment.kubernetes.io/revision'] = '4';
  const spec = live.spec;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  spec.strategy.rollingUpdate = { maxSurge: '25%', maxUnavailable: '25%', ...spec.strategy.rollingUpdate };
  defaultPodTemplate(spec.template, 'Always');
  spec.template.metadata.annotations = { ...spec.template.metadata.annotations, 'kubectl.kubernetes.io/restartedAt': '2025-06-03T22:30:00Z' };
  live.status = {
    observedGeneration: 2,
    replicas: spec.replicas,
    readyReplicas: spec.replicas,
    availableReplicas: spec.replicas,
    updatedReplicas: spec.replicas,
    conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
  };
}

function defaultStatefulSet(live: Json): void {
  const spec = live.spec;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  defaultPodTemplate(spec.template, 'Always');
  live.status = { replicas: spec.replicas, readyReplicas: spec.replicas, currentRevision: `${live.metadata.name}-7d9f`, updateRevision: `${live.metadata.name}-7d9f` };
}

function defaultCronJob(live: Json): void {
  const spec = live.spec;
  spec.suspend ??= false;
  spec.jobTemplate.metadata ??= { creationTimestamp: null };
  defaultPodTemplate(spec.jobTemplate.spec.template, 'Always');
  live.status = { lastScheduleTime: '2025-06-03T22:30:00Z' };
}

function defaultPodTemplate(template: Json, restartPolicy: string): void {
  template.metadata ??= {};
  template.metadata.creationTimestamp = null;
  const pod = template.spec;
  pod.restartPolicy ??= restartPolicy;
  pod.dnsPolicy ??= 'ClusterFirst';
  pod.schedulerName ??= 'default-scheduler';
  pod.securityContext ??= {};
  pod.terminationGracePeriodSeconds ??= 30;
  for (const container of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) defaultContainer(container);
  for (const volume of pod.volumes ?? []) {
    if (volume.configMap) volume.configMap.defaultMode ??= 420;
    if (volume.secret) volume.secret.defaultMode ??= 420;
  }
}

function defaultContainer(container: Json): void {
  container.imagePullPolicy ??= String(container.image).endsWith(':latest') ? 'Always' : 'IfNotPresent';
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  container.resources ??= {};
  for (const kind of ['limits', 'requests']) {
    const values = container.resources[kind];
    if (values) for (const key of Object.keys(values)) values[key] = canonicalQuantity(values[key]);
  }
  for (const port of container.ports ?? []) port.protocol ??= 'TCP';
  for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
  }
}

/** The API server's canonical form for the quantities in the fixtures: `2000m` → `2`, `0.5` → `500m`. */
export function canonicalQuantity(value: string | number): string {
  const text = String(value);
  const milli = /^(\d+)m$/.exec(text);
  if (milli && Number(milli[1]) % 1000 === 0) return String(Number(milli[1]) / 1000);
  const decimal = /^(\d*)\.(\d+)$/.exec(text);
  if (decimal) return `${Math.round(Number(text) * 1000)}m`;
  return text;
}

function defaultService(live: Json, seq: number): void {
  const spec = live.spec;
  spec.type ??= 'ClusterIP';
  if (spec.clusterIP !== 'None') spec.clusterIP = `10.96.0.${10 + seq}`;
  spec.clusterIPs = [spec.clusterIP];
  spec.ipFamilies = ['IPv4'];
  spec.ipFamilyPolicy = 'SingleStack';
  spec.sessionAffinity ??= 'None';
  spec.internalTrafficPolicy ??= 'Cluster';
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
  }
  live.status = { loadBalancer: {} };
}

function defaultPvc(live: Json, seq: number): void {
  live.spec.volumeMode ??= 'Filesystem';
  live.spec.storageClassName ??= 'standard';
  live.spec.volumeName = `pvc-${seq}`;
  live.status = { phase: 'Bound', accessModes: live.spec.accessModes, capacity: { storage: live.spec.resources.requests.storage } };
}

function defaultHpa(live: Json): void {
  live.spec.behavior ??= {
    scaleDown: { policies: [{ periodSeconds: 15, type: 'Percent', value: 100 }], selectPolicy: 'Max', stabilizationWindowSeconds: 300 },
    scaleUp: {
      policies: [
        { periodSeconds: 15, type: 'Pods', value: 4 },
        { periodSeconds: 15, type: 'Percent', value: 100 },
      ],
      selectPolicy: 'Max',
      stabilizationWindowSeconds: 0,
    },
  };
  live.status = { currentReplicas: 2, desiredReplicas: 2, currentMetrics: null };
}
