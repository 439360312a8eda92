/**
 * The resource registry: every REST resource the fake serves (group, version, plural, kind, scope,
 * subresources, field selectors), lookups by path, kind or short name, and the discovery documents
 * (`/version`, `/apis`, `/api/v1`, `/apis/{group}/{version}`) that `KubernetesObjectApi` reads.
 */
import type { Json } from './objects.ts';

type Subresource = 'status' | 'scale' | 'log' | 'eviction';

/** One REST resource the fake serves. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  /** Plural lower-case name used in paths, e.g. `deployments`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly subresources: readonly Subresource[];
  /** Field selector keys accepted besides `metadata.name` and `metadata.namespace`. */
  readonly fieldSelectors: readonly string[];
  readonly shortNames: readonly string[];
  /** Custom resource: no strategic merge patch, list items keep apiVersion/kind. */
  readonly custom: boolean;
}

function resourceType(
  group: string,
  version: string,
  resource: string,
  kind: string,
  extra: Partial<Pick<ResourceType, 'namespaced' | 'subresources' | 'fieldSelectors' | 'shortNames' | 'custom'>> = {},
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    namespaced: extra.namespaced ?? true,
    subresources: extra.subresources ?? [],
    fieldSelectors: extra.fieldSelectors ?? [],
    shortNames: extra.shortNames ?? [],
    custom: extra.custom ?? false,
  };
}

/** Every resource the fake serves. */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  resourceType('', 'v1', 'namespaces', 'Namespace', {
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['status.phase'],
    shortNames: ['ns'],
  }),
  resourceType('', 'v1', 'nodes', 'Node', {
    namespaced: false,
    subresources: ['status'],
    fieldSelectors: ['spec.unschedulable'],
    shortNames: ['no'],
  }),
  resourceType('', 'v1', 'pods', 'Pod', {
    subresources: ['status', 'log', 'eviction'],
    fieldSelectors: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    shortNames: ['po'],
  }),
  resourceType('', 'v1', 'events', 'Event', {
    fieldSelectors: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    shortNames: ['ev'],
  }),
  resourceType('', 'v1', 'configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  resourceType('', 'v1', 'secrets', 'Secret', { fieldSelectors: ['type'] }),
  resourceType('', 'v1', 'services', 'Service', { subresources: ['status'], shortNames: ['svc'] }),
  resourceType('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', {
    subresources: ['status'],
    shortNames: ['pvc'],
  }),
  resourceType('apps', 'v1', 'deployments', 'Deployment', { subresources: ['status', 'scale'], shortNames: ['deploy'] }),
  resourceType('apps', 'v1', 'replicasets', 'ReplicaSet', {
    subresources: ['status', 'scale'],
    fieldSelectors: ['status.replicas'],
    shortNames: ['rs'],
  }),
  resourceType('apps', 'v1', 'statefulsets', 'StatefulSet', { subresources: ['status', 'scale'], shortNames: ['sts'] }),
  resourceType('apps', 'v1', 'daemonsets', 'DaemonSet', { subresources: ['status'], shortNames: ['ds'] }),
  resourceType('batch', 'v1', 'jobs', 'Job', { subresources: ['status'], fieldSelectors: ['status.successful'] }),
  resourceType('batch', 'v1', 'cronjobs', 'CronJob', { subresources: ['status'], shortNames: ['cj'] }),
  resourceType('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', {
    subresources: ['status'],
    shortNames: ['hpa'],
  }),
  resourceType('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', {
    subresources: ['status'],
    shortNames: ['pdb'],
  }),
  resourceType('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  resourceType('', 'v1', 'resourcequotas', 'ResourceQuota', { subresources: ['status'], shortNames: ['quota'] }),
  resourceType('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', { shortNames: ['netpol'] }),
  resourceType('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', { namespaced: false, shortNames: ['sc'] }),
  resourceType('monitoring.coreos.com', 'v1', 'prometheusrules', 'PrometheusRule', {
    shortNames: ['promrule'],
    custom: true,
  }),
];

/** The type served at `/{group}/{version}/{resource}`, if any. */
export function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The type of a kind (and apiVersion, when given), if served. */
export function typeOfKind(kind: string, apiVersion?: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.kind === kind && (apiVersion === undefined || apiVersionOf(t) === apiVersion));
}

/** Resolves the `kind` argument of the test helpers: a Kind, a plural or `plural.group`. */
export function typeForHelper(kind: string): ResourceType {
  const lower = kind.toLowerCase();
  const found = RESOURCE_TYPES.find(
    (t) =>
      t.kind === kind ||
      t.kind.toLowerCase() === lower ||
      t.resource === lower ||
      `${t.resource}.${t.group}` === lower ||
      t.shortNames.includes(lower),
  );
  if (!found) throw new Error(`k8s-fake: unknown kind "${kind}"`);
  return found;
}

/** `apps/v1` or `v1`: the apiVersion of a type. */
export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** `deployments.apps` or `pods`: how error messages name a resource. */
export function qualifiedResource(t: ResourceType): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

/** `Deployment.apps` or `Pod`: how validation messages name a kind. */
export function qualifiedKind(t: ResourceType): string {
  return t.group ? `${t.kind}.${t.group}` : t.kind;
}

/** Types the fake itself refers to. */
export const T_NAMESPACE = typeForHelper('Namespace');
export const T_POD = typeForHelper('Pod');
export const T_EVENT = typeForHelper('Event');
export const T_DEPLOYMENT = typeForHelper('Deployment');
export const T_REPLICASET = typeForHelper('ReplicaSet');
export const T_PDB = typeForHelper('PodDisruptionBudget');
export const T_NODE = typeForHelper('Node');
export const T_STATEFULSET = typeForHelper('StatefulSet');
export const T_DAEMONSET = typeForHelper('DaemonSet');

/** Namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** What `GET /version` answers. */
export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0-fake',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T00:00:00Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The Scale subresource is served as autoscaling/v1 Scale. */
export const SCALE_TYPE = resourceType('autoscaling', 'v1', 'scale', 'Scale');

/** The `APIResourceList` of one group version, subresources included. */
export function apiResourceList(group: string, version: string, types: ResourceType[]): Json {
  const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update'];
  const resources: Json[] = [];
  for (const t of types) {
    const singularName = t.kind.toLowerCase();
    resources.push({ name: t.resource, singularName, namespaced: t.namespaced, kind: t.kind, verbs, shortNames: [...t.shortNames] });
    for (const sub of t.subresources) {
      const kind = sub === 'scale' ? 'Scale' : sub === 'eviction' ? 'Eviction' : sub === 'log' ? 'Pod' : t.kind;
      const subVerbs = sub === 'log' ? ['get'] : sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'];
      resources.push({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind, verbs: subVerbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** The `APIGroupList` served at `/apis`. */
export function apiGroupList(): Json {
  const groups = [...new Set(RESOURCE_TYPES.filter((t) => t.group).map((t) => `${t.group}/${t.version}`))].map((gv) => {
    const [name, version] = gv.split('/') as [string, string];
    const entry = { groupVersion: gv, version };
    return { name, versions: [entry], preferredVersion: entry };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}
