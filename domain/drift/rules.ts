/**
 * The drift rule tables: what to ignore, how to normalise values, which lists are keyed, how to
 * classify a changed field, and which changes are only informational. Rules are DATA, in the
 * spirit of gitops-engine's `pkg/diff` normalisers and Argo CD's `ignoreDifferences`: the
 * defaults below cover what the Kubernetes API server adds or rewrites, and a deployment extends
 * them from config without code changes.
 *
 * Every rule has a glob-ish `path` (syntax in `./path.ts`) and may be scoped to an API `group`
 * (`""` for core, `"apps"`, …) and/or a `kind`; an omitted scope matches every object.
 */

/** Severity of one drifted field. */
export type DriftLevel = 'high' | 'medium' | 'info';

/** Restricts a rule to objects of one API group and/or kind. Omitted fields match anything. */
export interface RuleScope {
  /** API group without version: `""` (core), `"apps"`, `"batch"`. */
  readonly group?: string;
  /** Object kind, exactly as in the manifest: `"Deployment"`. */
  readonly kind?: string;
}

/**
 * A field (and everything below it) that is never compared, e.g. server-managed metadata.
 * Argo CD equivalent: `ignoreDifferences.jsonPointers`.
 * @example { path: 'metadata.annotations.deployment\\.kubernetes\\.io/revision' }
 */
export interface IgnoreRule extends RuleScope {
  readonly path: string;
}

/**
 * How to compare two scalars that differ textually but may mean the same:
 * - `quantity`: by value as a `resource.Quantity` (`1000m` = `1`);
 * - `int-or-string`: an `intstr.IntOrString` field, where `80` and `"80"` are the same value.
 */
export interface NormaliserRule extends RuleScope {
  readonly path: string;
  readonly as: 'quantity' | 'int-or-string';
}

/**
 * A list whose elements are matched by key instead of position (Kubernetes' strategic-merge
 * `patchMergeKey`). The key is the first of `keys` present in an element. When keys repeat
 * within a list (the same volume mounted twice, port 53 on TCP and UDP), `disambiguateBy`
 * is appended: `ports[53@UDP]`. Elements without any key are matched by position (`[#2]`).
 */
export interface KeyedListRule extends RuleScope {
  readonly path: string;
  readonly keys: readonly string[];
  readonly disambiguateBy?: { readonly field: string; readonly default?: string };
}

/** The level of changed fields matching `path`; the first matching rule wins. */
export interface LevelRule extends RuleScope {
  readonly path: string;
  readonly level: DriftLevel;
}

/** When an allowlisted field's change is only informational. */
export type AllowCondition =
  /** Always informational. */
  | 'always'
  /** Only when a HorizontalPodAutoscaler (or another autoscaler kind) targets the object. */
  | 'autoscaled';

/** A field whose change is reported at level `info` when `when` holds. Checked before {@link LevelRule}s. */
export interface AllowRule extends RuleScope {
  readonly path: string;
  readonly when: AllowCondition;
}

/**
 * Server-managed fields and annotations, never compared. Sources: ObjectMeta's read-only fields
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/), the
 * Deployment controller's revision annotation, `kubectl rollout restart`'s `restartedAt` pod
 * template annotation, client-side apply's last-applied annotation, and the service-account
 * token volume the admission plugin injects into bare Pods. `apiVersion` and `kind` are the
 * object's identity (paired by group/kind), and the version is only how the server serves it.
 */
export const DEFAULT_IGNORE_RULES: readonly IgnoreRule[] = [
  { path: 'apiVersion' },
  { path: 'kind' },
  { path: 'status' },
  { path: 'metadata.managedFields' },
  { path: 'metadata.resourceVersion' },
  { path: 'metadata.uid' },
  { path: 'metadata.generation' },
  { path: 'metadata.creationTimestamp' },
  { path: 'metadata.selfLink' },
  { path: 'metadata.deletionTimestamp' },
  { path: 'metadata.deletionGracePeriodSeconds' },
  { path: '**.metadata.creationTimestamp' },
  { path: 'metadata.annotations.deployment\\.kubernetes\\.io/revision' },
  { path: 'metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration' },
  { path: '**.annotations.kubectl\\.kubernetes\\.io/restartedAt' },
  { kind: 'Pod', path: 'spec.volumes[kube-api-access-*]' },
  { kind: 'Pod', path: 'spec.containers[*].volumeMounts[kube-api-access-*]' },
  { kind: 'Pod', path: 'spec.initContainers[*].volumeMounts[kube-api-access-*]' },
];

/**
 * Quantity and IntOrString fields of the built-in kinds (k8s.io/api types `resource.Quantity`
 * and `intstr.IntOrString`). The API server stores quantities canonically (`2000m` → `"2"`),
 * so textual comparison would report false drift.
 */
export const DEFAULT_NORMALISER_RULES: readonly NormaliserRule[] = [
  { path: '**.resources.limits.*', as: 'quantity' },
  { path: '**.resources.requests.*', as: 'quantity' },
  { path: '**.emptyDir.sizeLimit', as: 'quantity' },
  { path: '**.overhead.*', as: 'quantity' },
  { path: '**.target.averageValue', as: 'quantity' },
  { path: '**.target.value', as: 'quantity' },
  { kind: 'ResourceQuota', path: 'spec.hard.*', as: 'quantity' },
  { kind: 'PersistentVolume', path: 'spec.capacity.*', as: 'quantity' },
  { kind: 'LimitRange', path: 'spec.limits[*].*.*', as: 'quantity' },
  { path: '**.targetPort', as: 'int-or-string' },
  { path: '**.httpGet.port', as: 'int-or-string' },
  { path: '**.tcpSocket.port', as: 'int-or-string' },
  { path: '**.rollingUpdate.maxUnavailable', as: 'int-or-string' },
  { path: '**.rollingUpdate.maxSurge', as: 'int-or-string' },
  { kind: 'PodDisruptionBudget', path: 'spec.minAvailable', as: 'int-or-string' },
  { kind: 'PodDisruptionBudget', path: 'spec.maxUnavailable', as: 'int-or-string' },
  { kind: 'Ingress', path: '**.servicePort', as: 'int-or-string' },
];

/**
 * Keyed lists: containers, env, ports, volumes and volume mounts by name (ports without a name
 * by `containerPort`/`port`, disambiguated by protocol as the API's list-map keys are).
 */
export const DEFAULT_KEYED_LIST_RULES: readonly KeyedListRule[] = [
  { path: '**.containers', keys: ['name'] },
  { path: '**.initContainers', keys: ['name'] },
  { path: '**.ephemeralContainers', keys: ['name'] },
  { path: '**.env', keys: ['name'] },
  { path: '**.volumes', keys: ['name'] },
  { path: '**.volumeMounts', keys: ['name'], disambiguateBy: { field: 'mountPath' } },
  { path: '**.ports', keys: ['name', 'containerPort', 'port'], disambiguateBy: { field: 'protocol', default: 'TCP' } },
];

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const HIGH_CONTAINER_FIELDS = ['image', 'command', 'args', 'env', 'envFrom', 'ports', 'securityContext', 'volumeMounts'] as const;

/**
 * HIGH for what changes the code that runs, its privileges or what it can reach (issue #5:
 * image, command/args, env, ports, securityContext, serviceAccountName, volumes); a container
 * added or removed is HIGH too. Host namespaces and RBAC rules are included as privilege changes.
 * Anything not matched is MEDIUM.
 */
export const DEFAULT_LEVEL_RULES: readonly LevelRule[] = [
  ...CONTAINER_LISTS.map((list): LevelRule => ({ path: `**.${list}[*]`, level: 'high' })),
  ...CONTAINER_LISTS.flatMap((list) =>
    HIGH_CONTAINER_FIELDS.map((field): LevelRule => ({ path: `**.${list}[*].${field}.**`, level: 'high' })),
  ),
  { path: '**.spec.securityContext.**', level: 'high' },
  { path: '**.spec.serviceAccountName', level: 'high' },
  { path: '**.spec.serviceAccount', level: 'high' },
  { path: '**.spec.automountServiceAccountToken', level: 'high' },
  { path: '**.spec.volumes.**', level: 'high' },
  { path: '**.spec.hostNetwork', level: 'high' },
  { path: '**.spec.hostPID', level: 'high' },
  { path: '**.spec.hostIPC', level: 'high' },
  { kind: 'Service', path: 'spec.ports.**', level: 'high' },
  { group: 'rbac.authorization.k8s.io', path: 'rules.**', level: 'high' },
  { group: 'rbac.authorization.k8s.io', path: 'subjects.**', level: 'high' },
  { group: 'rbac.authorization.k8s.io', path: 'roleRef.**', level: 'high' },
];

/** `spec.replicas` of a workload an autoscaler drives is expected to differ from Git. */
export const DEFAULT_ALLOW_RULES: readonly AllowRule[] = [{ path: 'spec.replicas', when: 'autoscaled' }];

/**
 * Fields whose values never appear in drift items: Secret data is shown masked, the way
 * gitops-engine's `diff.HideSecretData` does (`++++++++` vs `+++++++++`), because items end up in
 * the chat, the database and model prompts.
 */
export const DEFAULT_HIDDEN_VALUE_RULES: readonly IgnoreRule[] = [
  { group: '', kind: 'Secret', path: 'data.**' },
  { group: '', kind: 'Secret', path: 'stringData.**' },
];

/**
 * Kinds the cluster creates from other objects without an `ownerReference` (the endpoints
 * controller copies a Service's labels onto its Endpoints). Never reported `not_in_git`; live
 * objects with `metadata.ownerReferences` are never reported either (they are children, as in
 * gitops-engine, not top-level resources).
 */
export const DEFAULT_DERIVED_KINDS: readonly string[] = ['Endpoints'];

/**
 * Kinds whose objects point at the workload they scale with `spec.scaleTargetRef`
 * (`autoscaling/v2` HorizontalPodAutoscaler; KEDA's ScaledObject, whose target kind defaults
 * to Deployment).
 */
export const DEFAULT_AUTOSCALER_KINDS: readonly string[] = ['HorizontalPodAutoscaler', 'ScaledObject'];

/**
 * Built-in cluster-scoped kinds: a desired object of these kinds never gets the default namespace.
 * (Unknown kinds without a namespace are also paired with a cluster-scoped live object of the
 * same name when one exists.)
 */
export const DEFAULT_CLUSTER_SCOPED_KINDS: readonly string[] = [
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'VolumeAttachment',
  'CSIDriver',
  'CSINode',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'PodSecurityPolicy',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
];
