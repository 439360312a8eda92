/**
 * The alerting dimension: which alerting rules (Prometheus `/api/v1/rules`) select an asset.
 *
 * A rule **selects** an asset when one of its vector selectors — or its static labels — has a
 * positive, non-trivial matcher on an identity label of the asset and no matcher that rules the
 * asset out:
 * - workloads: `namespace`, `pod`, `deployment`/`statefulset`/`daemonset`/`cronjob`, `job_name`,
 *   `owner_name`, `created_by_name`, `workload`, and `job`/`service` when the selector also pins
 *   the namespace (a bare `job="node-exporter"` names a scrape job, not one workload; kube-state-metrics
 *   series (`kube_*`) describe other objects, so their `job` never counts);
 * - nodes: `node`, `kubernetes_node`, `nodename`, `instance` (name or InternalIP, with or without port).
 * A missing label reads as the empty string (Prometheus semantics): `statefulset="db"` does not
 * select a Deployment.
 *
 * A rule with no identifying selector at all is **generic** (cluster-wide, e.g. kube-prometheus'
 * KubePodCrashLooping). Generic rules count for an asset (→ yellow) when the metrics they read are
 * about its kind: `kube_pod_*`/`container_*` for every workload, `kube_deployment_*` for
 * Deployments, `node_*`/`kube_node_*`/`kubelet_*` for nodes, and so on.
 */
import { identifiers, isTrivial, matcherTest, selectors, type LabelMatcher, type VectorSelector } from './promql.ts';
import { ASSET_KINDS, type Asset, type AssetKind, type Cell } from './types.ts';

/** An alerting rule as Prometheus reports it. */
export interface AlertingRule {
  group: string;
  /** File the group came from (prometheus-operator: `<ns>-<PrometheusRule name>-<uid>.yaml`). */
  file?: string;
  name: string;
  query: string;
  labels: Record<string, string>;
}

/** Source name in evidence. */
export const RULES_SOURCE = 'prometheus /api/v1/rules';

const WORKLOAD_KEYS = ['namespace', 'pod', 'deployment', 'statefulset', 'daemonset', 'cronjob', 'job_name', 'owner_name', 'created_by_name', 'workload'];
const NODE_KEYS = ['node', 'kubernetes_node', 'nodename', 'instance'];
const KIND_LABEL: Partial<Record<AssetKind, string>> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset', CronJob: 'cronjob' };

interface CompiledMatcher {
  name: string;
  positive: boolean;
  trivial: boolean;
  test: (v: string) => boolean;
}

interface CompiledSelector {
  rule: number;
  matchers: CompiledMatcher[];
  /** `job`/`service` matchers identify the workload (namespace pinned, not a kube-state-metrics series). */
  jobIdentifies: boolean;
  identifiesWorkload: boolean;
  identifiesNode: boolean;
  /** Namespace pinned by an equality matcher, for indexing. */
  namespace?: string;
}

/** The compiled rule set: identifying selectors indexed by namespace, generic rules by kind. */
export interface RuleIndex {
  rules: readonly AlertingRule[];
  /** Selectors pinning one namespace by equality. */
  byNamespace: Map<string, CompiledSelector[]>;
  /** Other identifying workload selectors (regex namespaces, pod/deployment only, …). */
  otherWorkload: CompiledSelector[];
  nodeSelectors: CompiledSelector[];
  /** Generic rules (indexes into `rules`) relevant to each kind. */
  genericByKind: Record<AssetKind, number[]>;
  /** Rules created by Watchkeeper (label `watchkeeper_asset`), by asset ref. */
  watchkeeperRules: Map<string, string[]>;
}

function compileMatchers(ms: LabelMatcher[]): CompiledMatcher[] {
  return ms.map((m) => ({ name: m.name, positive: m.op === '=' || m.op === '=~', trivial: isTrivial(m), test: matcherTest(m) }));
}

function compileSelector(rule: number, sel: VectorSelector, fromLabels: boolean): CompiledSelector {
  const matchers = compileMatchers(sel.matchers);
  const nsPinned = matchers.some((m) => m.name === 'namespace' && m.positive && !m.trivial);
  const ksm = /^kube_/.test(sel.metric) && !/^kube_state_metrics_/.test(sel.metric);
  const jobIdentifies = nsPinned && (!ksm || fromLabels);
  const identifying = (keys: string[]) => matchers.some((m) => m.positive && !m.trivial && keys.includes(m.name));
  const nsEq = sel.matchers.find((m) => m.name === 'namespace' && m.op === '=' && m.value !== '');
  return {
    rule,
    matchers,
    jobIdentifies,
    identifiesWorkload: identifying(jobIdentifies ? [...WORKLOAD_KEYS, 'job', 'service'] : WORKLOAD_KEYS),
    identifiesNode: identifying(NODE_KEYS),
    namespace: nsEq?.value,
  };
}

/** Kinds a metric or recording-rule name is about (for generic rules). */
export function kindsOfMetric(name: string): AssetKind[] {
  if (/^kubelet_volume_stats_/.test(name)) return ['StatefulSet'];
  if (/(^|:)(kube_pod_|container_)|_pod_container|namespace_workload_pod|:kube_pod_/.test(name)) return ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob'];
  if (/^kube_(deployment|replicaset)_/.test(name)) return ['Deployment'];
  if (/^kube_statefulset_/.test(name)) return ['StatefulSet'];
  if (/^kube_daemonset_/.test(name)) return ['DaemonSet'];
  if (/^kube_(cronjob|job)_/.test(name)) return ['CronJob'];
  if (/^kube_(horizontalpodautoscaler|hpa)_/.test(name)) return ['Deployment', 'StatefulSet'];
  if (/(^|:)(node_|kube_node_|kubelet_|machine_)/.test(name)) return ['Node'];
  return [];
}

/**
 * Compiles the alerting rules once per evaluation.
 * @param rules alerting rules only (recording rules are not alerts).
 */
export function compileRules(rules: readonly AlertingRule[]): RuleIndex {
  const index: RuleIndex = {
    rules,
    byNamespace: new Map(),
    otherWorkload: [],
    nodeSelectors: [],
    genericByKind: Object.fromEntries(ASSET_KINDS.map((k) => [k, []])) as unknown as Record<AssetKind, number[]>,
    watchkeeperRules: new Map(),
  };
  rules.forEach((rule, i) => {
    const sels = selectors(rule.query).map((s) => compileSelector(i, s, false));
    const labelMatchers = Object.entries(rule.labels)
      .filter(([k]) => [...WORKLOAD_KEYS, ...NODE_KEYS, 'job', 'service'].includes(k))
      .map(([name, value]) => ({ name, op: '=' as const, value }));
    if (labelMatchers.length) sels.push(compileSelector(i, { metric: '', matchers: labelMatchers }, true));
    let identifying = false;
    for (const s of sels) {
      if (s.identifiesWorkload) {
        identifying = true;
        if (s.namespace !== undefined) {
          const list = index.byNamespace.get(s.namespace);
          if (list) list.push(s);
          else index.byNamespace.set(s.namespace, [s]);
        } else index.otherWorkload.push(s);
      }
      if (s.identifiesNode) {
        identifying = true;
        index.nodeSelectors.push(s);
      }
    }
    if (!identifying) {
      const kinds = new Set(identifiers(rule.query).flatMap(kindsOfMetric));
      for (const k of kinds) index.genericByKind[k].push(i);
    }
    const wk = rule.labels.watchkeeper_asset;
    if (wk) {
      const list = index.watchkeeperRules.get(wk);
      if (list) list.push(rule.name);
      else index.watchkeeperRules.set(wk, [rule.name]);
    }
  });
  return index;
}

/** Values an asset's series carry for a label (several: any may match). */
function valuesOf(a: Asset, label: string, jobIdentifies: boolean): string[] | 'ignore' {
  if (a.kind === 'Node') {
    switch (label) {
      case 'node':
      case 'kubernetes_node':
      case 'nodename':
        return [a.name];
      case 'instance': {
        const hosts = [a.name, ...(a.internalIp ? [a.internalIp] : [])];
        return [...hosts, ...hosts.flatMap((h) => [`${h}:9100`, `${h}:10250`])];
      }
      default:
        return 'ignore';
    }
  }
  const probe = a.kind === 'Deployment' ? `${a.name}-5d8f7c9b4-x7k2p` : a.kind === 'StatefulSet' ? `${a.name}-0` : a.kind === 'CronJob' ? `${a.name}-28973160-x7k2p` : `${a.name}-x7k2p`;
  switch (label) {
    case 'namespace':
      return [a.namespace];
    case 'deployment':
    case 'statefulset':
    case 'daemonset':
    case 'cronjob':
      return [KIND_LABEL[a.kind] === label ? a.name : ''];
    case 'workload':
      return [a.name];
    case 'pod':
      return [...a.members, probe];
    case 'job_name':
      return a.kind === 'CronJob' ? [...a.members, `${a.name}-28973160`] : [''];
    case 'owner_name':
    case 'created_by_name':
      return a.kind === 'Deployment' ? [a.name, `${a.name}-5d8f7c9b4`] : a.kind === 'CronJob' ? [a.name, ...a.members, `${a.name}-28973160`] : [a.name];
    case 'job':
    case 'service':
      if (!jobIdentifies) return 'ignore';
      return [a.name, a.labels.app, a.labels['app.kubernetes.io/name'], a.labels['app.kubernetes.io/instance']].filter(Boolean) as string[];
    default:
      return 'ignore';
  }
}

function selects(a: Asset, s: CompiledSelector): boolean {
  let specific = false;
  for (const m of s.matchers) {
    const values = valuesOf(a, m.name, s.jobIdentifies);
    if (values === 'ignore') continue;
    if (!values.some(m.test)) return false;
    if (m.positive && !m.trivial) specific = true;
  }
  return specific;
}

/** Names of the rules that select `asset` (deduplicated, in rule order). */
export function rulesSelecting(index: RuleIndex, asset: Asset): string[] {
  const hit = new Set<number>();
  const candidates =
    asset.kind === 'Node' ? index.nodeSelectors : [...(index.byNamespace.get(asset.namespace) ?? []), ...index.otherWorkload];
  for (const s of candidates) {
    if (hit.has(s.rule)) continue;
    if (selects(asset, s)) hit.add(s.rule);
  }
  return [...hit].sort((x, y) => x - y).map((i) => index.rules[i].name);
}

/**
 * The alerting cell of every asset: green when a rule selects it, yellow when only generic rules
 * about its kind apply, red otherwise.
 */
export function alertingCells(assets: readonly Asset[], index: RuleIndex): Map<number, Cell> {
  const out = new Map<number, Cell>();
  const genericCell = new Map<AssetKind, Cell>();
  for (const kind of ASSET_KINDS) {
    const generic = index.genericByKind[kind].map((i) => index.rules[i].name);
    const unique = [...new Set(generic)];
    genericCell.set(
      kind,
      unique.length
        ? {
            status: 'yellow',
            evidence: {
              source: RULES_SOURCE,
              why: `only cluster-wide generic rules apply (${unique.slice(0, 3).join(', ')}${unique.length > 3 ? `, +${unique.length - 3} more` : ''}); none names it`,
              details: { genericRules: unique.length, examples: unique.slice(0, 5) },
            },
          }
        : {
            status: 'red',
            evidence: {
              source: RULES_SOURCE,
              why: `no alerting rule selects it, and no generic rule watches ${kind === 'Node' ? 'nodes' : `${kind}s`}`,
              details: { rulesLoaded: index.rules.length },
            },
          },
    );
  }
  for (const a of assets) {
    const names = [...new Set(rulesSelecting(index, a))];
    if (names.length) {
      out.set(a.id, {
        status: 'green',
        evidence: {
          source: RULES_SOURCE,
          why: `${names.length} alerting rule${names.length === 1 ? '' : 's'} select${names.length === 1 ? 's' : ''} it: ${names.slice(0, 3).join(', ')}${names.length > 3 ? `, +${names.length - 3} more` : ''}`,
          details: { rules: names.slice(0, 10) },
        },
      });
    } else out.set(a.id, genericCell.get(a.kind)!);
  }
  return out;
}
