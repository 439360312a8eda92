/**
 * Deterministic evidence gathering: given a target, read the objects a human would look at with
 * kubectl (workload, ReplicaSets, pods, warning events, failing containers' log tails, nodes, HPA,
 * PDB, the namespace's ResourceQuotas and NetworkPolicies, the claims the pods mount and the
 * StorageClass an unbound claim names). Never reads Secrets. A failing read becomes a `gap`, not a failure: diagnosis goes on
 * with what it has.
 */
import { emptyEvidence, type Evidence, type TargetRef } from '../domain/diagnosis.ts';
import type {
  Deployment,
  HorizontalPodAutoscaler,
  KEvent,
  KObject,
  NetworkPolicy,
  Node,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  ResourceQuota,
  StorageClass,
} from '../domain/k8s-objects.ts';
import { condenseLog } from '../domain/logs.ts';
import { selectorMatches, selectorString } from '../domain/selectors.ts';
import type { ClusterKind, ClusterPort } from './ports.ts';

/** Options for {@link gatherEvidence}. */
export interface GatherOptions {
  /** Log lines requested per container (API `tailLines`). */
  logTailLines: number;
  /** Lines kept per container after condensing. */
  logKeepLines?: number;
  /** Most failing containers whose logs are read. */
  maxLogs?: number;
  /** Only what blast radius and guardrails need: workload, ReplicaSets, pods, HPA, PDB (no events, logs, nodes). */
  lean?: boolean;
  /** The alert's `alertname`, kept on the evidence (some kinds, e.g. CPU throttling, are named only by the alert). */
  alertname?: string;
  now: Date;
}

/**
 * Gathers evidence for a target. A Pod owned by a Deployment (through its ReplicaSet) is widened
 * to that Deployment, so actions can act on the workload; the returned `evidence.target` is the
 * effective target.
 * @throws only on programming errors; cluster failures are recorded in `evidence.gaps`.
 */
export async function gatherEvidence(cluster: ClusterPort, target: TargetRef, opts: GatherOptions): Promise<Evidence> {
  const ev = emptyEvidence(target, opts.now);
  if (opts.alertname) ev.alertname = opts.alertname;
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      ev.gaps.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  const ns = target.namespace;

  if (target.kind === 'Pod') {
    const pod = (await attempt('pod', () => cluster.get('Pod', ns, target.name))) as Pod | undefined;
    if (!pod) {
      if (!ev.gaps.length) ev.gaps.push(`pod ${ns}/${target.name} not found`);
      return ev;
    }
    // A pod of a StatefulSet or DaemonSet is diagnosed (and scored) as part of its workload.
    const setOwner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'StatefulSet' || o.kind === 'DaemonSet');
    if (setOwner) {
      return gatherEvidence(cluster, { kind: setOwner.kind as 'StatefulSet' | 'DaemonSet', namespace: ns, name: setOwner.name, container: target.container }, opts);
    }
    const rsOwner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet');
    if (rsOwner) {
      const rs = (await attempt('replicaset', () => cluster.get('ReplicaSet', ns, rsOwner.name))) as ReplicaSet | undefined;
      const depOwner = rs?.metadata?.ownerReferences?.find((o) => o.kind === 'Deployment');
      if (depOwner) {
        return gatherEvidence(cluster, { kind: 'Deployment', namespace: ns, name: depOwner.name, container: target.container }, opts);
      }
    }
    ev.pods = [pod];
  } else if (target.kind === 'Node') {
    const node = (await attempt('node', () => cluster.get('Node', '', target.name))) as Node | undefined;
    if (node) ev.nodes = [node];
    else if (!ev.gaps.length) ev.gaps.push(`node ${target.name} not found`);
    ev.pods =
      ((await attempt('pods on node', () => cluster.list('Pod', '', { fieldSelector: `spec.nodeName=${target.name}` }))) as Pod[]) ?? [];
    ev.events = await warningEvents(cluster, '', [{ kind: 'Node', name: target.name }], attempt);
    return ev;
  } else {
    const workload = await attempt(target.kind.toLowerCase(), () => cluster.get(target.kind as ClusterKind, ns, target.name));
    if (!workload) {
      if (!ev.gaps.length) ev.gaps.push(`${target.kind} ${ns}/${target.name} not found`);
      return ev;
    }
    assignWorkload(ev, target.kind, workload);
    const selector = selectorString(
      target.kind === 'Job'
        ? { matchLabels: { 'job-name': target.name } }
        : (workload as Deployment).spec?.selector,
    );
    // Independent reads, in parallel.
    const [replicaSets, pods, hpas, pdbs] = await Promise.all([
      selector !== undefined && target.kind === 'Deployment'
        ? attempt('replicasets', () => cluster.list('ReplicaSet', ns, { labelSelector: selector }))
        : Promise.resolve([]),
      selector !== undefined ? attempt('pods', () => cluster.list('Pod', ns, { labelSelector: selector })) : Promise.resolve([]),
      attempt('hpa', () => cluster.list('HorizontalPodAutoscaler', ns)),
      attempt('pdb', () => cluster.list('PodDisruptionBudget', ns)),
    ]);
    ev.replicaSets = (replicaSets ?? []) as ReplicaSet[];
    ev.pods = (pods ?? []) as Pod[];
    ev.hpa = ((hpas ?? []) as HorizontalPodAutoscaler[]).find(
      (h) => h.spec?.scaleTargetRef?.kind === target.kind && h.spec.scaleTargetRef.name === target.name,
    );
    const templateLabels = (workload as Deployment).spec?.template?.metadata?.labels ?? {};
    ev.pdb = ((pdbs ?? []) as PodDisruptionBudget[]).find((p) => selectorMatches(p.spec?.selector, templateLabels));
  }
  if (opts.lean) return ev;

  const subjects = [
    { kind: target.kind, name: target.name },
    ...ev.replicaSets.map((r) => ({ kind: 'ReplicaSet', name: r.metadata?.name ?? '' })),
    ...ev.pods.map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' })),
  ];
  ev.events = await warningEvents(cluster, ns, subjects, attempt);
  ev.logs = await failingLogs(cluster, ev.pods, target.container, opts, attempt);
  await namespaceContext(cluster, ev, ns, attempt);
  const nodeNames = [...new Set(ev.pods.filter(isUnhealthy).map((p) => p.spec?.nodeName).filter((n): n is string => !!n))];
  for (const name of nodeNames.slice(0, 3)) {
    const node = (await attempt(`node ${name}`, () => cluster.get('Node', '', name))) as Node | undefined;
    if (node) ev.nodes.push(node);
  }
  return ev;
}

type Attempt = <T>(what: string, fn: () => Promise<T>) => Promise<T | undefined>;

/** Most claims read per incident (one `get` each). */
const MAX_CLAIMS = 5;

/**
 * The namespace's ResourceQuotas and NetworkPolicies, the claims the pods mount (at most
 * {@link MAX_CLAIMS}) and, for claims not bound, their StorageClass (a 404 is recorded in
 * `missingStorageClasses`, a failed read is a gap).
 */
async function namespaceContext(cluster: ClusterPort, ev: Evidence, ns: string, attempt: Attempt): Promise<void> {
  const [quotas, policies] = await Promise.all([
    attempt('resourcequotas', () => cluster.list('ResourceQuota', ns)),
    attempt('networkpolicies', () => cluster.list('NetworkPolicy', ns)),
  ]);
  if (quotas?.length) ev.resourceQuotas = quotas as ResourceQuota[];
  if (policies?.length) ev.networkPolicies = policies as NetworkPolicy[];
  const claimNames = [...new Set(ev.pods.flatMap((p) => (p.spec?.volumes ?? []).flatMap((v) => {
    const claim = (v.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
    return claim ? [claim] : [];
  })))].slice(0, MAX_CLAIMS);
  const claims: PersistentVolumeClaim[] = [];
  for (const name of claimNames) {
    const claim = (await attempt(`pvc ${name}`, () => cluster.get('PersistentVolumeClaim', ns, name))) as PersistentVolumeClaim | undefined;
    if (claim) claims.push(claim);
  }
  if (claims.length) ev.claims = claims;
  const classes = [...new Set(claims.filter((c) => c.status?.phase !== 'Bound').map((c) => c.spec?.storageClassName).filter((n): n is string => !!n))];
  for (const name of classes) {
    const sc = await attempt(`storageclass ${name}`, () => cluster.get('StorageClass', '', name));
    if (sc) (ev.storageClasses ??= []).push(sc as StorageClass);
    else if (!ev.gaps.some((g) => g.startsWith(`storageclass ${name}:`))) (ev.missingStorageClasses ??= []).push(name);
  }
}

function assignWorkload(ev: Evidence, kind: TargetRef['kind'], obj: KObject): void {
  switch (kind) {
    case 'Deployment':
      ev.deployment = obj;
      break;
    case 'StatefulSet':
      ev.statefulSet = obj;
      break;
    case 'DaemonSet':
      ev.daemonSet = obj;
      break;
    case 'Job':
    case 'CronJob':
      ev.job = obj;
      break;
    case 'Pod':
    case 'Node':
      break;
  }
}

async function warningEvents(
  cluster: ClusterPort,
  namespace: string,
  subjects: Array<{ kind: string; name: string }>,
  attempt: Attempt,
): Promise<KEvent[]> {
  const events = ((await attempt('events', () => cluster.list('Event', namespace, { fieldSelector: 'type=Warning' }))) ?? []) as KEvent[];
  const wanted = new Set(subjects.map((s) => `${s.kind}/${s.name}`));
  return events
    .filter((e) => wanted.has(`${e.involvedObject?.kind}/${e.involvedObject?.name}`))
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)))
    .slice(0, 200);
}

function eventTime(e: KEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
}

function isUnhealthy(p: Pod): boolean {
  if (p.status?.phase === 'Pending' || p.status?.phase === 'Failed') return true;
  return (p.status?.containerStatuses ?? []).some((c) => !c.ready || (c.restartCount ?? 0) > 0);
}

async function failingLogs(
  cluster: ClusterPort,
  pods: Pod[],
  preferredContainer: string | undefined,
  opts: GatherOptions,
  attempt: Attempt,
): Promise<Evidence['logs']> {
  const out: Evidence['logs'] = [];
  const max = opts.maxLogs ?? 3;
  for (const pod of pods) {
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const failing = statuses
      .filter((c) => !c.ready && (c.state?.waiting || c.state?.terminated || (c.restartCount ?? 0) > 0))
      .filter((c) => c.state?.waiting?.reason !== 'ContainerCreating' && !/ImagePull|ErrImage/.test(c.state?.waiting?.reason ?? ''))
      .sort((a, b) => Number(b.name === preferredContainer) - Number(a.name === preferredContainer));
    for (const c of failing) {
      if (out.length >= max) return out;
      const previous = (c.restartCount ?? 0) > 0 && !c.state?.running;
      const name = pod.metadata?.name ?? '';
      const text = await attempt(`logs ${name}/${c.name}`, () =>
        cluster.podLog(pod.metadata?.namespace ?? '', name, c.name, { previous, tailLines: opts.logTailLines }),
      );
      if (text !== undefined) out.push({ pod: name, container: c.name, previous, lines: condenseLog(text, opts.logKeepLines ?? 40) });
    }
  }
  return out;
}
