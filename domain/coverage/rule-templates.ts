/**
 * Alerting-rule templates for one asset, as a `monitoring.coreos.com/v1` PrometheusRule that
 * Watchkeeper proposes to close a red alerting or rule-creation cell: workload down (a CronJob: its
 * job failed), crash looping, OOMKilled, memory near its limit (when a container sets one) and 5xx
 * rate (when the pods export HTTP request metrics). Every alert carries `namespace`, the workload
 * label (`deployment`, `statefulset`, …) so Watchkeeper resolves its target, and
 * `watchkeeper_asset` so coverage recognises it. Pure.
 * Sources: kube-state-metrics metric names (https://github.com/kubernetes/kube-state-metrics/tree/main/docs),
 * prometheus-operator PrometheusRule (https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule).
 */
import type { KObject } from '../k8s-objects.ts';
import { assetRef, type Asset, type AssetKind } from './types.ts';

/** Label on every object Watchkeeper creates (Kubernetes recommended label). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'watchkeeper';
/** Rule label naming the asset a generated alert covers (`namespace/Kind/name`). */
export const ASSET_RULE_LABEL = 'watchkeeper_asset';

/** Template ids. */
export const RULE_TEMPLATES = ['workload_down', 'crash_looping', 'oom_killed', 'memory_near_limit', 'http_5xx'] as const;
export type RuleTemplate = (typeof RULE_TEMPLATES)[number];

/** HTTP request counters the 5xx template knows, with their status-code label. */
export const HTTP_METRICS: ReadonlyArray<{ metric: string; codeLabel: string }> = [
  { metric: 'http_requests_total', codeLabel: 'code' },
  { metric: 'http_server_requests_seconds_count', codeLabel: 'status' },
  { metric: 'http_server_request_duration_seconds_count', codeLabel: 'http_response_status_code' },
];

/** One alerting rule of the group. */
export interface PromRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Options of {@link buildRuleProposal}. */
export interface RuleProposalOptions {
  /** `metadata.name` of the PrometheusRule (e.g. `rule-checkout`). */
  name: string;
  /**
   * Metric names the asset's pods export (Prometheus series), to decide the 5xx template;
   * undefined when they could not be read (the template is then left out, saying why).
   */
  metrics?: readonly string[];
  /** Extra labels on the PrometheusRule so the Prometheus `ruleSelector` picks it up (e.g. `release: kube-prometheus-stack`). */
  ruleLabels?: Readonly<Record<string, string>>;
  /** Ratio of 5xx responses that fires the 5xx alert (default 0.05). */
  errorRatio?: number;
  /** Memory working set / limit that fires the memory alert (default 0.9). */
  memoryRatio?: number;
}

/** The proposed object, which templates went in, and why the others did not. */
export interface RuleProposal {
  object: KObject;
  included: Array<{ template: RuleTemplate; alert: string }>;
  skipped: Array<{ template: RuleTemplate; why: string }>;
}

const KIND_LABEL: Record<Exclude<AssetKind, 'Node'>, string> = { Deployment: 'deployment', StatefulSet: 'statefulset', DaemonSet: 'daemonset', CronJob: 'cronjob' };

/** A PromQL double-quoted string literal. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RE2 pattern of the pod names of a workload (`web-<hash>-<id>`, `db-<ordinal>`, …). */
export function podPattern(kind: AssetKind, name: string): string {
  const n = escapeRe(name);
  switch (kind) {
    case 'Deployment':
      return `${n}-[a-z0-9]+-[a-z0-9]+`;
    case 'StatefulSet':
      return `${n}-[0-9]+`;
    case 'DaemonSet':
      return `${n}-[a-z0-9]+`;
    case 'CronJob':
      return `${n}-[0-9]+-[a-z0-9]+`;
    case 'Node':
      return n;
  }
}

/** Label values must be ≤ 63 characters of `[A-Za-z0-9_.-]`, starting and ending alphanumeric. */
function labelValueOk(v: string): boolean {
  return v.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v);
}

/**
 * Builds the PrometheusRule proposed for a workload.
 * @throws Error for a Node (templates are about workloads) — callers check first.
 */
export function buildRuleProposal(asset: Pick<Asset, 'kind' | 'namespace' | 'name' | 'containers'>, opts: RuleProposalOptions): RuleProposal {
  if (asset.kind === 'Node') throw new Error('rule templates are about workloads, not nodes');
  const { kind, namespace, name } = asset;
  const kindLabel = KIND_LABEL[kind];
  const ref = assetRef(asset);
  const ns = `namespace=${promString(namespace)}`;
  const pods = `pod=~${promString(podPattern(kind, name))}`;
  const labels = (severity: string) => ({ severity, namespace, [kindLabel]: name, [ASSET_RULE_LABEL]: ref });
  const included: RuleProposal['included'] = [];
  const skipped: RuleProposal['skipped'] = [];
  const rules: PromRule[] = [];
  const add = (template: RuleTemplate, rule: PromRule) => {
    rules.push(rule);
    included.push({ template, alert: rule.alert });
  };
  const who = `${kind} ${namespace}/${name}`;

  // 1. workload down
  const sel = `${ns}, ${kindLabel}=${promString(name)}`;
  switch (kind) {
    case 'Deployment':
      add('workload_down', {
        alert: 'WorkloadDown',
        expr: `kube_deployment_spec_replicas{${sel}} > 0\nand on(namespace, deployment)\nkube_deployment_status_replicas_available{${sel}} == 0`,
        for: '5m',
        labels: labels('critical'),
        annotations: { summary: `${who} has no available replica.`, description: `${who} wants replicas but none has been available for 5 minutes.` },
      });
      break;
    case 'StatefulSet':
      add('workload_down', {
        alert: 'WorkloadDown',
        expr: `kube_statefulset_replicas{${sel}} > 0\nand on(namespace, statefulset)\nkube_statefulset_status_replicas_ready{${sel}} == 0`,
        for: '5m',
        labels: labels('critical'),
        annotations: { summary: `${who} has no ready replica.`, description: `${who} wants replicas but none has been ready for 5 minutes.` },
      });
      break;
    case 'DaemonSet':
      add('workload_down', {
        alert: 'WorkloadDown',
        expr: `kube_daemonset_status_desired_number_scheduled{${sel}} > 0\nand on(namespace, daemonset)\nkube_daemonset_status_number_available{${sel}} == 0`,
        for: '5m',
        labels: labels('critical'),
        annotations: { summary: `${who} has no available pod.`, description: `${who} should run on nodes but no pod has been available for 5 minutes.` },
      });
      break;
    case 'CronJob':
      add('workload_down', {
        alert: 'CronJobFailed',
        expr: `kube_job_status_failed{${ns}} > 0\nand on(namespace, job_name)\nkube_job_owner{${ns}, owner_kind="CronJob", owner_name=${promString(name)}}`,
        for: '1m',
        labels: labels('warning'),
        annotations: { summary: `A job of ${who} failed.`, description: `Job {{ $labels.job_name }} of ${who} has failed pods.` },
      });
      break;
  }
  // 2. crash looping
  add('crash_looping', {
    alert: 'WorkloadCrashLooping',
    expr: `max_over_time(kube_pod_container_status_waiting_reason{${ns}, ${pods}, reason="CrashLoopBackOff"}[5m]) >= 1`,
    for: '15m',
    labels: labels('warning'),
    annotations: { summary: `A pod of ${who} is crash looping.`, description: `Pod {{ $labels.pod }} ({{ $labels.container }}) of ${who} has been in CrashLoopBackOff for 15 minutes.` },
  });
  // 3. OOMKilled
  add('oom_killed', {
    alert: 'WorkloadOOMKilled',
    expr: `(kube_pod_container_status_last_terminated_reason{${ns}, ${pods}, reason="OOMKilled"} == 1)\nand on(namespace, pod, container)\n(increase(kube_pod_container_status_restarts_total{${ns}, ${pods}}[10m]) > 0)`,
    for: '0m',
    labels: labels('warning'),
    annotations: { summary: `A container of ${who} was OOMKilled.`, description: `Container {{ $labels.container }} of pod {{ $labels.pod }} was killed for exceeding its memory limit and restarted.` },
  });
  // 4. memory near the limit
  const limited = asset.containers.filter((c) => c.memoryLimit);
  const ratio = opts.memoryRatio ?? 0.9;
  if (limited.length) {
    add('memory_near_limit', {
      alert: 'WorkloadMemoryNearLimit',
      expr:
        `max by (namespace, pod, container) (container_memory_working_set_bytes{${ns}, ${pods}, container!="", container!="POD"})\n` +
        `/ on(namespace, pod, container)\nmax by (namespace, pod, container) (kube_pod_container_resource_limits{${ns}, ${pods}, resource="memory"})\n> ${ratio}`,
      for: '15m',
      labels: labels('warning'),
      annotations: {
        summary: `A container of ${who} uses over ${Math.round(ratio * 100)}% of its memory limit.`,
        description: `Container {{ $labels.container }} of pod {{ $labels.pod }} has used {{ $value | humanizePercentage }} of its memory limit for 15 minutes.`,
      },
    });
  } else skipped.push({ template: 'memory_near_limit', why: 'no container sets a memory limit' });
  // 5. 5xx rate
  const errorRatio = opts.errorRatio ?? 0.05;
  if (opts.metrics === undefined) {
    skipped.push({ template: 'http_5xx', why: 'could not read which metrics its pods export (Prometheus unavailable)' });
  } else {
    const http = HTTP_METRICS.find((h) => opts.metrics!.includes(h.metric));
    if (http) {
      const base = `${http.metric}{${ns}, ${pods}}`;
      const errors = `${http.metric}{${ns}, ${pods}, ${http.codeLabel}=~"5.."}`;
      add('http_5xx', {
        alert: 'WorkloadHigh5xxRate',
        expr: `sum by (namespace) (rate(${errors}[5m]))\n/\nsum by (namespace) (rate(${base}[5m]))\n> ${errorRatio}`,
        for: '10m',
        labels: labels('warning'),
        annotations: { summary: `${who} answers over ${Math.round(errorRatio * 100)}% 5xx.`, description: `{{ $value | humanizePercentage }} of the HTTP requests to ${who} failed with 5xx over 10 minutes (${http.metric}).` },
      });
    } else skipped.push({ template: 'http_5xx', why: `its pods export no HTTP request metric (${HTTP_METRICS.map((h) => h.metric).join(', ')})` });
  }

  const metaLabels: Record<string, string> = { ...(opts.ruleLabels ?? {}), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, 'watchkeeper.io/asset-kind': kind };
  if (labelValueOk(name)) metaLabels['watchkeeper.io/asset-name'] = name;
  const object: KObject = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: opts.name,
      namespace,
      labels: metaLabels,
      annotations: { 'watchkeeper.io/asset': ref, 'watchkeeper.io/templates': included.map((i) => i.template).join(',') },
    },
    spec: { groups: [{ name: `watchkeeper.${namespace}.${kind.toLowerCase()}.${name}`, rules }] },
  };
  return { object, included, skipped };
}

/**
 * `metadata.name` of the rule for an asset: `rule-<name>`, or `rule-<kind>-<name>` when another
 * kind in the namespace has the same name; shortened with a hash suffix past 253 characters.
 */
export function ruleNameFor(asset: Pick<Asset, 'kind' | 'name'>, nameTakenByOtherKind: boolean): string {
  const base = nameTakenByOtherKind ? `rule-${asset.kind.toLowerCase()}-${asset.name}` : `rule-${asset.name}`;
  if (base.length <= 253) return base;
  let h = 0;
  for (const ch of base) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `${base.slice(0, 244)}-${h.toString(16).padStart(8, '0')}`;
}
