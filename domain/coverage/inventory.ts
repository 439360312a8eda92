/**
 * The inventory from listed Kubernetes objects: Deployments, StatefulSets, DaemonSets, CronJobs
 * (workloads) and Nodes (hosts), with namespace, labels, owner, node InternalIP, their current pods
 * (and jobs) as members and their containers' memory limits. Pure: receives already-listed objects.
 */
import type { Container, KObject, ObjectMeta } from '../k8s-objects.ts';
import { globMatch } from '../remediation/index.ts';
import type { AssetContainer, AssetKind } from './types.ts';

/** An asset as discovered (no id yet: the repository keeps identities by kind/namespace/name). */
export interface DiscoveredAsset {
  kind: AssetKind;
  namespace: string;
  name: string;
  uid?: string;
  labels: Record<string, string>;
  owner?: string;
  internalIp?: string;
  members: string[];
  containers: AssetContainer[];
}

/** Objects listed for an inventory; a kind that could not be listed is `undefined`. */
export interface ListedObjects {
  Deployment?: KObject[];
  StatefulSet?: KObject[];
  DaemonSet?: KObject[];
  CronJob?: KObject[];
  Node?: KObject[];
  /** Used to find members; optional. */
  Pod?: KObject[];
  ReplicaSet?: KObject[];
  Job?: KObject[];
}

const NODE_POOL_LABELS = ['eks.amazonaws.com/nodegroup', 'cloud.google.com/gke-nodepool', 'kubernetes.azure.com/agentpool', 'karpenter.sh/nodepool', 'node.kubernetes.io/pool'];

function controllerOf(meta: ObjectMeta | undefined): { kind: string; name: string } | undefined {
  const refs = meta?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/**
 * Who owns an object: its controller (`Kind/name`, e.g. an operator's custom resource), else the
 * Helm release, else a team/owner label, else `app.kubernetes.io/part-of`; node pools for nodes.
 */
export function ownerOf(obj: KObject): string | undefined {
  const meta = obj.metadata ?? {};
  const ctrl = controllerOf(meta);
  if (ctrl) return `${ctrl.kind}/${ctrl.name}`;
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  if (obj.kind === 'Node') {
    for (const l of NODE_POOL_LABELS) if (labels[l]) return `nodepool:${labels[l]}`;
    return undefined;
  }
  const release = annotations['meta.helm.sh/release-name'] ?? (labels['app.kubernetes.io/managed-by'] === 'Helm' ? labels['app.kubernetes.io/instance'] : undefined);
  if (release) return `helm:${release}`;
  const team = labels.team ?? labels.owner ?? labels['app.kubernetes.io/team'];
  if (team) return `team:${team}`;
  if (labels['app.kubernetes.io/part-of']) return `part-of:${labels['app.kubernetes.io/part-of']}`;
  return undefined;
}

function containersOf(spec: { containers?: Container[] } | undefined): AssetContainer[] {
  return (spec?.containers ?? []).map((c) => (c.resources?.limits?.memory ? { name: c.name, memoryLimit: c.resources.limits.memory } : { name: c.name }));
}

function podSpecOf(obj: KObject): { containers?: Container[] } | undefined {
  const spec = obj.spec as Record<string, any> | undefined;
  if (obj.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  return spec?.template?.spec;
}

/** Options of {@link buildInventory}. */
export interface InventoryOptions {
  /** Namespace globs left out of the inventory (e.g. `kube-system`). */
  excludeNamespaces?: readonly string[];
}

/**
 * Maps listed objects to assets. Kinds that were not listed contribute nothing; missing pod,
 * ReplicaSet or Job lists only leave members empty.
 */
export function buildInventory(listed: ListedObjects, options: InventoryOptions = {}): DiscoveredAsset[] {
  const excluded = (ns: string) => ns !== '' && (options.excludeNamespaces ?? []).some((p) => globMatch(p, ns));
  const rsOwner = new Map<string, string>();
  for (const rs of listed.ReplicaSet ?? []) {
    const c = controllerOf(rs.metadata);
    if (c?.kind === 'Deployment') rsOwner.set(`${rs.metadata?.namespace}/${rs.metadata?.name}`, c.name);
  }
  const jobOwner = new Map<string, string>();
  const members = new Map<string, string[]>();
  const addMember = (key: string, m: string) => {
    const list = members.get(key);
    if (list) list.push(m);
    else members.set(key, [m]);
  };
  for (const job of listed.Job ?? []) {
    const c = controllerOf(job.metadata);
    if (c?.kind === 'CronJob') {
      const ns = job.metadata?.namespace ?? '';
      jobOwner.set(`${ns}/${job.metadata?.name}`, c.name);
      addMember(`CronJob|${ns}|${c.name}`, job.metadata?.name ?? '');
    }
  }
  for (const pod of listed.Pod ?? []) {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const c = controllerOf(pod.metadata);
    if (!c) continue;
    if (c.kind === 'ReplicaSet') {
      const d = rsOwner.get(`${ns}/${c.name}`);
      if (d) addMember(`Deployment|${ns}|${d}`, name);
    } else if (c.kind === 'StatefulSet' || c.kind === 'DaemonSet') addMember(`${c.kind}|${ns}|${c.name}`, name);
    else if (c.kind === 'Job') {
      const cj = jobOwner.get(`${ns}/${c.name}`);
      if (cj) addMember(`CronJob|${ns}|${cj}`, name);
    }
  }
  const out: DiscoveredAsset[] = [];
  for (const kind of ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'] as const) {
    for (const obj of listed[kind] ?? []) {
      const ns = obj.metadata?.namespace ?? '';
      const name = obj.metadata?.name;
      if (!name || excluded(ns)) continue;
      out.push({
        kind,
        namespace: ns,
        name,
        uid: obj.metadata?.uid,
        labels: obj.metadata?.labels ?? {},
        owner: ownerOf({ ...obj, kind }),
        members: (members.get(`${kind}|${ns}|${name}`) ?? []).sort(),
        containers: containersOf(podSpecOf({ ...obj, kind })),
      });
    }
  }
  for (const node of listed.Node ?? []) {
    const name = node.metadata?.name;
    if (!name) continue;
    const addresses = ((node.status as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? []);
    out.push({
      kind: 'Node',
      namespace: '',
      name,
      uid: node.metadata?.uid,
      labels: node.metadata?.labels ?? {},
      owner: ownerOf({ ...node, kind: 'Node' }),
      internalIp: addresses.find((a) => a.type === 'InternalIP')?.address,
      members: [],
      containers: [],
    });
  }
  return out;
}
