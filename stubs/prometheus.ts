/**
 * A stub of Prometheus' HTTP API for coverage tests, over real HTTP (127.0.0.1, random port):
 *
 * - `GET /api/v1/targets` — the active targets it is given (`?state=` honoured), in the shape
 *   Prometheus 2.x/3.x answers (labels, discoveredLabels, scrapePool, scrapeUrl, health, …);
 * - `GET /api/v1/rules` — rule groups built from `../shared/fixtures/alert-rules/` (kube-prometheus
 *   PrometheusRule manifests or plain rule files), answered as Prometheus reports loaded rules
 *   (`type: alerting|recording`, `query`, `duration` in seconds, `health`, `state`), `?type=alert`
 *   honoured; plus, when given, groups derived live from PrometheusRule objects (what the
 *   prometheus-operator does with them) — e.g. those stored in the Kubernetes fake;
 * - `GET /api/v1/label/__name__/values?match[]=…` — metric names of the series it is given that
 *   match the selector;
 * - fault injection per path (HTTP status, or a Prometheus `status: error` body).
 *
 * Every request is recorded. Source of the shapes: https://prometheus.io/docs/prometheus/latest/querying/api/
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { matcherTest, selectors } from '../domain/coverage/promql.ts';
import type { KObject } from '../domain/k8s-objects.ts';

/** Folder of the shared kube-prometheus rule fixtures. */
export const ALERT_RULE_FIXTURES = new URL('../../shared/fixtures/alert-rules/', import.meta.url);

/** A rule as written in a rule file. */
export interface RuleSpec {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A rule group as written in a rule file, with the file Prometheus loaded it from. */
export interface RuleGroupSpec {
  name: string;
  file?: string;
  interval?: string;
  rules: RuleSpec[];
}

/** An active target as `/api/v1/targets` lists it. */
export interface StubTarget {
  discoveredLabels: Record<string, string>;
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  globalUrl?: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval?: string;
  scrapeTimeout?: string;
}

/** A fault answered instead of the real response. */
export interface StubFault {
  /** Path prefix, e.g. `/api/v1/targets`. */
  path: string;
  /** HTTP status (default 503). */
  status?: number;
  /** Answer 200 with `{status:"error"}` instead (Prometheus' own error shape with that HTTP status). */
  body?: unknown;
  /** How many requests fail (default Infinity). */
  times?: number;
}

/** Options of {@link startPrometheusStub}. */
export interface PrometheusStubOptions {
  targets?: StubTarget[];
  groups?: RuleGroupSpec[];
  /** Evaluated on each `/api/v1/rules` request: more groups (e.g. from PrometheusRules in the Kubernetes fake). */
  liveGroups?: () => RuleGroupSpec[];
  /** Series (label sets with `__name__`) for the metric-names endpoint. */
  series?: Array<Record<string, string>>;
}

/** A running stub. */
export interface PrometheusStub {
  url: string;
  /** Requests received (path with query), oldest first. */
  requests: string[];
  setTargets(targets: StubTarget[]): void;
  setGroups(groups: RuleGroupSpec[]): void;
  setSeries(series: Array<Record<string, string>>): void;
  fail(fault: StubFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/**
 * Rule groups of YAML documents: PrometheusRule objects (`spec.groups`) or plain rule files
 * (`groups`). `file` is what Prometheus reports: for PrometheusRules the operator's file name.
 */
export function ruleGroupsFromYaml(text: string, fileName: string): RuleGroupSpec[] {
  const out: RuleGroupSpec[] = [];
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJSON() as Record<string, any> | null;
    if (!o) continue;
    if (o.kind === 'PrometheusRule') {
      const file = `/etc/prometheus/rules/prometheus-k8s-rulefiles-0/${o.metadata?.namespace ?? 'default'}-${o.metadata?.name}-${o.metadata?.uid ?? '00000000'}.yaml`;
      for (const g of o.spec?.groups ?? []) out.push({ ...g, file });
    } else if (Array.isArray(o.groups)) {
      for (const g of o.groups) out.push({ ...g, file: `/etc/prometheus/rules/${fileName}` });
    }
  }
  return out;
}

/**
 * The kube-prometheus rule groups of the shared fixtures (the `*-prometheusRule.yaml`
 * manifests; `k8s-alerts.prometheus-rules.yaml` repeats some of them, so it is left out unless named).
 */
export function fixtureRuleGroups(files?: string[]): RuleGroupSpec[] {
  const names = files ?? readdirSync(ALERT_RULE_FIXTURES).filter((f) => f.endsWith('-prometheusRule.yaml')).sort();
  return names.flatMap((f) => ruleGroupsFromYaml(readFileSync(new URL(f, ALERT_RULE_FIXTURES), 'utf8'), f));
}

/** What the prometheus-operator makes of PrometheusRule objects (e.g. `fake.list('PrometheusRule')`). */
export function ruleGroupsFromObjects(objects: KObject[]): RuleGroupSpec[] {
  return objects.flatMap((o) => {
    const file = `/etc/prometheus/rules/prometheus-k8s-rulefiles-0/${o.metadata?.namespace}-${o.metadata?.name}-${o.metadata?.uid ?? '0'}.yaml`;
    const groups = ((o.spec as { groups?: RuleGroupSpec[] } | undefined)?.groups ?? []);
    return groups.map((g) => ({ ...g, file }));
  });
}

function seconds(d: string | undefined): number {
  if (!d) return 0;
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    total += Number(n) * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 } as Record<string, number>)[u];
  }
  return total;
}

/** `/api/v1/rules` data as Prometheus answers it for loaded groups. */
export function rulesData(groups: RuleGroupSpec[], type?: 'alert' | 'record'): { groups: unknown[] } {
  const at = '2026-11-21T08:59:30.123Z';
  return {
    groups: groups.map((g) => ({
      name: g.name,
      file: g.file ?? '/etc/prometheus/rules/rules.yaml',
      interval: seconds(g.interval ?? '30s'),
      limit: 0,
      evaluationTime: 0.0021,
      lastEvaluation: at,
      rules: g.rules
        .filter((r) => (type === 'alert' ? r.alert : type === 'record' ? r.record : true))
        .map((r) =>
          r.alert
            ? {
                state: 'inactive',
                name: r.alert,
                query: r.expr.trim(),
                duration: seconds(r.for),
                keepFiringFor: 0,
                labels: r.labels ?? {},
                annotations: r.annotations ?? {},
                alerts: [],
                health: 'ok',
                evaluationTime: 0.0004,
                lastEvaluation: at,
                type: 'alerting',
              }
            : { name: r.record, query: r.expr.trim(), labels: r.labels ?? {}, health: 'ok', evaluationTime: 0.0003, lastEvaluation: at, type: 'recording' },
        ),
    })),
  };
}

/** Options of {@link podTarget}/{@link nodeTarget}. */
export interface TargetOptions {
  job: string;
  health?: 'up' | 'down';
  lastError?: string;
  port?: number;
  path?: string;
}

/**
 * A target discovered through a ServiceMonitor/PodMonitor on a pod, as kube-prometheus relabels it
 * (`namespace`, `pod`, `service`, `container`, `endpoint`, `job`, `instance` = pod IP:port).
 */
export function podTarget(o: TargetOptions & { namespace: string; pod: string; service?: string; podIp?: string; controller?: { kind: string; name: string }; node?: string }): StubTarget {
  const port = o.port ?? 8080;
  const ip = o.podIp ?? '10.244.1.17';
  const labels: Record<string, string> = { container: 'app', endpoint: 'http', instance: `${ip}:${port}`, job: o.job, namespace: o.namespace, pod: o.pod };
  if (o.service) labels.service = o.service;
  const discovered: Record<string, string> = {
    __address__: `${ip}:${port}`,
    __meta_kubernetes_namespace: o.namespace,
    __meta_kubernetes_pod_name: o.pod,
    __meta_kubernetes_pod_ip: ip,
    __meta_kubernetes_pod_node_name: o.node ?? 'worker-1',
    __meta_kubernetes_pod_ready: 'true',
    __metrics_path__: o.path ?? '/metrics',
    __scheme__: 'http',
    job: o.service ? `serviceMonitor/${o.namespace}/${o.job}/0` : `podMonitor/${o.namespace}/${o.job}/0`,
  };
  if (o.service) discovered.__meta_kubernetes_service_name = o.service;
  if (o.controller) {
    discovered.__meta_kubernetes_pod_controller_kind = o.controller.kind;
    discovered.__meta_kubernetes_pod_controller_name = o.controller.name;
  }
  return {
    discoveredLabels: discovered,
    labels,
    scrapePool: discovered.job,
    scrapeUrl: `http://${ip}:${port}${o.path ?? '/metrics'}`,
    globalUrl: `http://${ip}:${port}${o.path ?? '/metrics'}`,
    lastError: o.lastError ?? '',
    lastScrape: '2026-11-21T08:59:41.512Z',
    lastScrapeDuration: 0.0131,
    health: o.health ?? 'up',
    scrapeInterval: '30s',
    scrapeTimeout: '10s',
  };
}

/** A node-level target (kubelet/cAdvisor style: `node` label; or node-exporter: `instance` = node name). */
export function nodeTarget(o: TargetOptions & { node: string; ip: string; labelNode?: boolean }): StubTarget {
  const port = o.port ?? 10250;
  const labels: Record<string, string> = { instance: o.labelNode === false ? `${o.ip}:${port}` : o.node, job: o.job };
  if (o.labelNode !== false) labels.node = o.node;
  return {
    discoveredLabels: { __address__: `${o.ip}:${port}`, __meta_kubernetes_node_name: o.node, __metrics_path__: o.path ?? '/metrics', __scheme__: 'https', job: `serviceMonitor/kube-system/${o.job}/0` },
    labels,
    scrapePool: `serviceMonitor/kube-system/${o.job}/0`,
    scrapeUrl: `https://${o.ip}:${port}${o.path ?? '/metrics'}`,
    lastError: o.lastError ?? '',
    lastScrape: '2026-11-21T08:59:40.001Z',
    lastScrapeDuration: 0.041,
    health: o.health ?? 'up',
    scrapeInterval: '30s',
    scrapeTimeout: '10s',
  };
}

/** Starts the stub. */
export async function startPrometheusStub(options: PrometheusStubOptions = {}): Promise<PrometheusStub> {
  let targets = options.targets ?? [];
  let groups = options.groups ?? [];
  let series = options.series ?? [];
  const faults: Array<StubFault & { left: number }> = [];
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    requests.push(`${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const fault = faults.find((f) => f.left > 0 && url.pathname.startsWith(f.path));
    if (fault) {
      fault.left--;
      if (fault.body !== undefined) send(fault.status ?? 422, fault.body);
      else res.writeHead(fault.status ?? 503, { 'content-type': 'text/plain' }).end('Service Unavailable');
      return;
    }
    if (req.method !== 'GET') return send(405, { status: 'error', errorType: 'bad_data', error: 'method not allowed' });
    switch (url.pathname) {
      case '/api/v1/targets': {
        const state = url.searchParams.get('state') ?? 'any';
        return send(200, {
          status: 'success',
          data: { activeTargets: state === 'dropped' ? [] : targets, droppedTargets: [], droppedTargetCounts: {} },
        });
      }
      case '/api/v1/rules': {
        const type = url.searchParams.get('type') as 'alert' | 'record' | null;
        const all = [...groups, ...(options.liveGroups?.() ?? [])];
        return send(200, { status: 'success', data: rulesData(all, type ?? undefined) });
      }
      case '/api/v1/label/__name__/values': {
        const matches = url.searchParams.getAll('match[]');
        const names = new Set<string>();
        for (const s of series) {
          const ok =
            matches.length === 0 ||
            matches.some((m) => {
              const [sel] = selectors(m);
              if (!sel) return false;
              if (sel.metric && s.__name__ !== sel.metric) return false;
              return sel.matchers.every((mt) => matcherTest(mt)(s[mt.name] ?? ''));
            });
          if (ok && s.__name__) names.add(s.__name__);
        }
        return send(200, { status: 'success', data: [...names].sort() });
      }
      default:
        return send(404, { status: 'error', errorType: 'not_found', error: `unknown path ${url.pathname}` });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setTargets: (t) => void (targets = t),
    setGroups: (g) => void (groups = g),
    setSeries: (s) => void (series = s),
    fail: (f) => void faults.push({ ...f, left: f.times ?? Infinity }),
    clearFaults: () => void faults.splice(0),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
