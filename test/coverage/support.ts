/**
 * Shared fixtures of the coverage tests: a small but realistic cluster (objects for the Kubernetes
 * fake), the recorded Prometheus responses (targets.json; rules from ../shared/fixtures/alert-rules
 * plus a team's own rule file), and a harness wiring the coverage service to real PostgreSQL, the
 * fake and the Prometheus stub.
 */
import { createOutcomeHub } from '../../agent/incidents/context.ts';
import type { RemediationOutcomes } from '../../agent/ports.ts';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import type { KObject } from '../../domain/k8s-objects.ts';
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { PrometheusHttp } from '../../agent/prometheus/client.ts';
import { CoverageService, type ActionProposer, type CoverageNotifier, type CoverageSettings } from '../../agent/coverage/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startK8sFake, type K8sFake } from '../support/k8s-fake/index.ts';
import { fixtureRuleGroups, ruleGroupsFromYaml, startPrometheusStub, type PrometheusStub, type RuleGroupSpec, type StubTarget } from '../../stubs/prometheus.ts';

/** The recorded `/api/v1/targets` active targets of the fixture cluster. */
export function recordedTargets(): StubTarget[] {
  const body = JSON.parse(readFileSync(new URL('./fixtures/targets.json', import.meta.url), 'utf8')) as { data: { activeTargets: StubTarget[] } };
  return body.data.activeTargets;
}

/** kube-prometheus rules of the shared fixtures plus the shop team's own rules (shop-rules.yaml). */
export function recordedRuleGroups(): RuleGroupSpec[] {
  return [...fixtureRuleGroups(), ...ruleGroupsFromYaml(readFileSync(new URL('./fixtures/shop-rules.yaml', import.meta.url), 'utf8'), 'shop-prod-shop-rules.yaml')];
}

const T = '2026-11-01T08:00:00Z';

function workload(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', ns: string, name: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; memory?: string; replicas?: number } = {}): KObject {
  const labels = { app: name, ...(extra.labels ?? {}) };
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: ns, uid: `uid-${kind}-${ns}-${name}`, generation: 1, labels, annotations: extra.annotations, creationTimestamp: T },
    spec: {
      ...(kind === 'DaemonSet' ? {} : { replicas: extra.replicas ?? 1 }),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: `registry.example.com/${name}:1.0.0`, resources: extra.memory ? { limits: { memory: extra.memory } } : {} }] },
      },
    },
    status: { observedGeneration: 1, replicas: extra.replicas ?? 1, readyReplicas: extra.replicas ?? 1 },
  };
}

function pod(ns: string, name: string, owner: { kind: string; name: string }, node = 'worker-1'): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: `uid-pod-${name}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, controller: true }], creationTimestamp: T },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'x' }] },
    status: { phase: 'Running' },
  };
}

function replicaSet(ns: string, deployment: string, hash: string): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${deployment}-${hash}`, namespace: ns, generation: 1, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment, controller: true }] },
    spec: { replicas: 1, selector: { matchLabels: { app: deployment } }, template: { metadata: { labels: { app: deployment, 'pod-template-hash': hash } }, spec: { containers: [{ name: 'app' }] } } },
    status: { observedGeneration: 1, replicas: 1 },
  };
}

function node(name: string, ip: string, labels: Record<string, string> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-node-${name}`, labels: { 'kubernetes.io/hostname': name, ...labels } },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

/**
 * The fixture cluster:
 * - shop-prod (critical): Deployments checkout (2 pods, scraped, memory limit, owned by Helm
 *   release `shop`) and cart (not scraped; the team's rule names it), StatefulSet orders-db;
 * - shop-dev: Deployment checkout (not scraped);
 * - monitoring: Deployment kube-state-metrics, StatefulSet alertmanager-main, DaemonSet node-exporter;
 * - batch: CronJob nightly-report with one Job and its pod;
 * - Nodes worker-1 (10.0.0.11, scraped) and worker-2 (10.0.0.12, not scraped).
 */
export function clusterObjects(): KObject[] {
  return [
    workload('Deployment', 'shop-prod', 'checkout', {
      memory: '512Mi',
      replicas: 2,
      labels: { 'app.kubernetes.io/name': 'checkout', team: 'payments' },
      annotations: { 'meta.helm.sh/release-name': 'shop' },
    }),
    replicaSet('shop-prod', 'checkout', '7d9f8c6b5'),
    pod('shop-prod', 'checkout-7d9f8c6b5-x2x4z', { kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5' }),
    pod('shop-prod', 'checkout-7d9f8c6b5-q8r7t', { kind: 'ReplicaSet', name: 'checkout-7d9f8c6b5' }, 'worker-2'),
    workload('Deployment', 'shop-prod', 'cart'),
    replicaSet('shop-prod', 'cart', '5c6d7e8f9'),
    pod('shop-prod', 'cart-5c6d7e8f9-mn3kp', { kind: 'ReplicaSet', name: 'cart-5c6d7e8f9' }),
    workload('StatefulSet', 'shop-prod', 'orders-db'),
    pod('shop-prod', 'orders-db-0', { kind: 'StatefulSet', name: 'orders-db' }),
    workload('Deployment', 'shop-dev', 'checkout'),
    workload('Deployment', 'monitoring', 'kube-state-metrics', { labels: { 'app.kubernetes.io/name': 'kube-state-metrics' } }),
    replicaSet('monitoring', 'kube-state-metrics', '6d5f9c8b7'),
    pod('monitoring', 'kube-state-metrics-6d5f9c8b7-hj4kl', { kind: 'ReplicaSet', name: 'kube-state-metrics-6d5f9c8b7' }),
    workload('StatefulSet', 'monitoring', 'alertmanager-main', { labels: { 'app.kubernetes.io/name': 'alertmanager' } }),
    pod('monitoring', 'alertmanager-main-0', { kind: 'StatefulSet', name: 'alertmanager-main' }),
    workload('DaemonSet', 'monitoring', 'node-exporter', { labels: { 'app.kubernetes.io/name': 'node-exporter' } }),
    pod('monitoring', 'node-exporter-7xk2p', { kind: 'DaemonSet', name: 'node-exporter' }, 'worker-1'),
    pod('monitoring', 'node-exporter-9bq4d', { kind: 'DaemonSet', name: 'node-exporter' }, 'worker-2'),
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly-report', namespace: 'batch', uid: 'uid-cj-nightly', labels: { app: 'nightly-report' } },
      spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'report', image: 'registry.example.com/report:3' }] } } } } },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly-report-28973160', namespace: 'batch', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly-report', controller: true }] },
      spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'report', image: 'x' }] } } },
      status: { succeeded: 1 },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'nightly-report-28973160-k8s2p', namespace: 'batch', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'nightly-report-28973160', controller: true }] },
      spec: { nodeName: 'worker-2', restartPolicy: 'OnFailure', containers: [{ name: 'report', image: 'x' }] },
      status: { phase: 'Succeeded' },
    },
    node('worker-1', '10.0.0.11', { 'eks.amazonaws.com/nodegroup': 'general' }),
    node('worker-2', '10.0.0.12', { 'eks.amazonaws.com/nodegroup': 'general' }),
  ];
}

/** Refs of the fixture assets. */
export const REFS = {
  checkout: 'shop-prod/Deployment/checkout',
  cart: 'shop-prod/Deployment/cart',
  ordersDb: 'shop-prod/StatefulSet/orders-db',
  devCheckout: 'shop-dev/Deployment/checkout',
  ksm: 'monitoring/Deployment/kube-state-metrics',
  alertmanager: 'monitoring/StatefulSet/alertmanager-main',
  nodeExporter: 'monitoring/DaemonSet/node-exporter',
  nightly: 'batch/CronJob/nightly-report',
  worker1: 'Node/worker-1',
  worker2: 'Node/worker-2',
} as const;

/**
 * A proposer that records proposals and hands out ids, with an outcome hub the test drives
 * (`notify`; `current` answers nothing, as for proposals still open) — unit tests; e2e uses the
 * real Agent.
 */
export function recordingProposer(): ActionProposer & {
  calls: Array<Parameters<ActionProposer['proposeAction']>[0]>;
  outcomes: Pick<RemediationOutcomes, 'subscribe' | 'current' | 'notify'>;
} {
  const calls: Array<Parameters<ActionProposer['proposeAction']>[0]> = [];
  return {
    calls,
    outcomes: createOutcomeHub(pino({ level: 'silent' }), { byIds: async () => [] }),
    async proposeAction(input) {
      calls.push(input);
      return { incidentId: 100 + calls.length, remediationId: 200 + calls.length };
    },
  };
}

/** A running coverage harness. */
export interface CoverageHarness {
  db: TestDatabase;
  fake: K8sFake;
  prom: PrometheusStub;
  service: CoverageService;
  proposer: ReturnType<typeof recordingProposer>;
  /** Moves the harness clock. */
  clock: { now(): Date; set(d: Date): void };
  /** `ref → 7 statuses` of the latest evaluation, straight from coverage_cell. */
  cells(): Promise<Record<string, Record<string, { status: string; why: string; source: string }>>>;
  stop(): Promise<void>;
}

/** Starts PostgreSQL (fresh database), the Kubernetes fake seeded with {@link clusterObjects}, the Prometheus stub and the service. */
export async function startCoverageHarness(options: { settings?: Partial<CoverageSettings>; notifier?: CoverageNotifier; prometheus?: boolean } = {}): Promise<CoverageHarness> {
  const db = await createTestDatabase();
  const fake = await startK8sFake({ autoTick: false });
  fake.seed(clusterObjects());
  const prom = await startPrometheusStub({ targets: recordedTargets(), groups: recordedRuleGroups(), liveGroups: undefined });
  let now = new Date('2026-11-21T08:07:00Z');
  const clock = { now: () => now, set: (d: Date) => void (now = d) };
  const proposer = recordingProposer();
  const service = new CoverageService(
    {
      orm: db.orm,
      cluster: new KubernetesCluster(fake.kubeConfig()),
      prometheus: options.prometheus === false ? undefined : new PrometheusHttp({ url: prom.url, timeoutMs: 2000 }),
      proposer,
      notifier: options.notifier,
      clock,
      log: pino({ level: process.env.COVERAGE_LOG ?? 'silent' }),
    },
    { chatId: -100123, criticalNamespaces: ['*-prod', 'production'], ...options.settings },
  );
  return {
    db,
    fake,
    prom,
    service,
    proposer,
    clock,
    async cells() {
      const rows = await db.query<{ kind: string; namespace: string; name: string; dimension: string; status: string; evidence: { why: string; source: string } }>(
        `select a.kind, a.namespace, a.name, c.dimension, c.status, c.evidence from coverage_cell c join coverage_asset a on a.id = c.asset_id where a.gone_at is null`,
      );
      const out: Record<string, Record<string, { status: string; why: string; source: string }>> = {};
      for (const r of rows) {
        const ref = r.namespace ? `${r.namespace}/${r.kind}/${r.name}` : `${r.kind}/${r.name}`;
        (out[ref] ??= {})[r.dimension] = { status: r.status, why: r.evidence.why, source: r.evidence.source };
      }
      return out;
    },
    async stop() {
      await prom.close();
      await fake.close();
      await db.drop();
    },
  };
}
