/**
 * deploy/: every kustomize overlay renders with `kubectl kustomize` (kubectl must be on PATH), and
 * what it renders fits together — the quickstart's DATABASE_URL names its PostgreSQL, the
 * ServiceMonitor finds the Service's port, and every Watchkeeper metric the PrometheusRule alerts
 * on is one the code registers.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createAgentMetrics } from '../../agent/metrics.ts';

const DEPLOY = fileURLToPath(new URL('../../deploy/', import.meta.url));
const OVERLAYS = ['base', 'overlays/quickstart', 'overlays/ha', 'overlays/with-prometheus-operator'] as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

/** Renders one kustomization with `kubectl kustomize` and parses the YAML stream. */
function render(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', DEPLOY + dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not on PATH: the deploy/ tests render the overlays with `kubectl kustomize`; install kubectl');
    throw new Error(`kubectl kustomize deploy/${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(out).map((d) => {
    if (d.errors.length) throw new Error(`${dir}: ${d.errors[0].message}`);
    return d.toJS() as K8sObject;
  });
}

const find = (objs: K8sObject[], kind: string, name?: string) => objs.find((o) => o.kind === kind && (!name || o.metadata.name === name));

describe('kustomize overlays', () => {
  it.each(OVERLAYS)('%s renders valid, namespaced objects', (dir) => {
    const objs = render(dir);
    expect(objs.length).toBeGreaterThanOrEqual(9);
    for (const o of objs) {
      expect(o.apiVersion, JSON.stringify(o.metadata)).toBeTruthy();
      expect(o.metadata?.name, o.kind).toBeTruthy();
      if (!CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('watchkeeper');
    }
    expect(find(objs, 'Deployment', 'watchkeeper')).toBeDefined();
    // Never Secrets in the rendered output: credentials are created by hand (secret.example.yaml).
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('quickstart points DATABASE_URL at its own PostgreSQL, password from the Secret', () => {
    const objs = render('overlays/quickstart');
    const dep = find(objs, 'Deployment', 'watchkeeper')!;
    const container = (dep.spec as any).template.spec.containers[0];
    const env: Array<{ name: string; value?: string; valueFrom?: unknown }> = container.env;
    const names = env.map((e) => e.name);
    const url = env.find((e) => e.name === 'DATABASE_URL')!.value!;
    // $(VAR) expands only from variables defined earlier in the list (Kubernetes dependent env vars).
    expect(names.indexOf('POSTGRES_PASSWORD')).toBeLessThan(names.indexOf('DATABASE_URL'));
    const parsed = new URL(url.replace('$(POSTGRES_PASSWORD)', 'pw'));
    const sts = find(objs, 'StatefulSet', 'watchkeeper-postgres')!;
    const svc = find(objs, 'Service', parsed.hostname)!;
    expect(svc, `Service ${parsed.hostname}`).toBeDefined();
    expect((svc.spec as any).selector).toEqual((sts.spec as any).selector.matchLabels);
    expect((svc.spec as any).ports.map((p: { port: number }) => String(p.port))).toContain(parsed.port);
    const pgEnv: Array<{ name: string; value?: string }> = (sts.spec as any).template.spec.containers[0].env;
    expect(pgEnv.find((e) => e.name === 'POSTGRES_USER')?.value).toBe(parsed.username);
    expect(pgEnv.find((e) => e.name === 'POSTGRES_DB')?.value).toBe(parsed.pathname.slice(1));
  });

  it('with-prometheus-operator scrapes the Service and alerts only on metrics the code registers', async () => {
    const objs = render('overlays/with-prometheus-operator');
    const svc = find(objs, 'Service', 'watchkeeper')!;
    const sm = find(objs, 'ServiceMonitor')!;
    const selector: Record<string, string> = (sm.spec as any).selector.matchLabels;
    for (const [k, v] of Object.entries(selector)) expect(svc.metadata.labels?.[k]).toBe(v);
    const portNames = (svc.spec as any).ports.map((p: { name: string }) => p.name);
    for (const ep of (sm.spec as any).endpoints) expect(portNames).toContain(ep.port);

    // What main.ts registers: the default process metrics and the agent's.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    createAgentMetrics(registry);
    const registered = new Set<string>();
    for (const m of await registry.getMetricsAsJSON()) {
      registered.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) registered.add(m.name + s);
    }
    const rule = find(objs, 'PrometheusRule')!;
    const exprs: string[] = (rule.spec as any).groups.flatMap((g: { rules: Array<{ expr: string }> }) => g.rules.map((r) => r.expr));
    const used = new Set(exprs.flatMap((e) => e.match(/\b(watchkeeper_[a-z0-9_]+|process_[a-z0-9_]+)\b/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(registered.has(name), `${name} is not registered by Watchkeeper`).toBe(true);
  });

  it('ha runs two spread replicas behind a PodDisruptionBudget, elects on a Lease it may get, create and update', () => {
    const objs = render('overlays/ha');
    const dep = find(objs, 'Deployment', 'watchkeeper')!;
    const spec = dep.spec as any;
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const podLabels = spec.template.metadata.labels;
    const spread = spec.template.spec.topologySpreadConstraints as Array<{ topologyKey: string; whenUnsatisfiable: string; labelSelector: { matchLabels: Record<string, string> } }>;
    expect(spread.find((c) => c.topologyKey === 'kubernetes.io/hostname')?.whenUnsatisfiable).toBe('DoNotSchedule');
    for (const c of spread) for (const [k, v] of Object.entries(c.labelSelector.matchLabels)) expect(podLabels[k]).toBe(v);
    const pdb = find(objs, 'PodDisruptionBudget', 'watchkeeper')!;
    expect((pdb.spec as any).minAvailable).toBe(1);
    for (const [k, v] of Object.entries((pdb.spec as any).selector.matchLabels as Record<string, string>)) expect(podLabels[k]).toBe(v);
    // The container keeps the base's settings and gains its pod name for the Lease.
    const container = spec.template.spec.containers[0];
    expect(container.envFrom).toHaveLength(2);
    expect(container.env.find((e: { name: string }) => e.name === 'POD_NAME').valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    const cm = find(objs, 'ConfigMap', 'watchkeeper-config')!;
    expect((cm as any).data.LEADER_ELECTION).toBe('kubernetes');
    expect((cm as any).data.TELEGRAM_CHAT_IDS).toBeDefined();
    // Lease RBAC: exactly get/create/update on leases, in the namespace, bound to the pods' account.
    const role = find(objs, 'Role', 'watchkeeper-leader-election')!;
    expect((role as any).rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    const binding = find(objs, 'RoleBinding', 'watchkeeper-leader-election')!;
    expect((binding as any).roleRef.name).toBe('watchkeeper-leader-election');
    expect((binding as any).subjects).toEqual([{ kind: 'ServiceAccount', name: spec.template.spec.serviceAccountName, namespace: 'watchkeeper' }]);
  });

  it('the base (one replica, no Lease RBAC) elects with PostgreSQL, not a Lease', () => {
    const objs = render('base');
    expect((find(objs, 'ConfigMap', 'watchkeeper-config') as any).data.LEADER_ELECTION).toBe('postgres');
    expect(find(objs, 'Role')).toBeUndefined();
  });
});
