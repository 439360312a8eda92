/**
 * Drift benchmark (issue 5): one drift scan of 2,000 live objects against 2,000 manifests, 5% of
 * them drifted, without network time.
 *
 * The manifests are 200 multi-document YAML files (800 Deployments, 600 Services, 600 ConfigMaps,
 * with comments) written to a temp folder; the live objects are the same objects as the API server
 * returns them (uid, resourceVersion, managedFields, status, defaulted fields such as
 * `imagePullPolicy`, `protocol: TCP`, `clusterIP`) in an in-memory cluster (`agent/memory-cluster.ts`),
 * one object in twenty drifted (an image, a ConfigMap value, a Service targetPort). The scan is the
 * service's own (`scanDesiredState`): read and parse every manifest, read the live objects (Deployments
 * listed, Services and ConfigMaps read one by one, as for a real cluster), detect, fingerprint.
 *
 * - `drift_scan_ms`: wall time of one scan, median of 5 after 1 warm-up (target ≤ 2,000 ms);
 *   `drift_scan_cold_ms` is the first (cold) run, for reference.
 * - `drift_scan_rss_mb`: the process's peak resident set size over the runs (target ≤ 300 MB).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanDesiredState } from '../agent/drift/scan.ts';
import { MemoryCluster } from '../agent/memory-cluster.ts';
import type { KObject } from '../domain/k8s-objects.ts';
import { type Bench, percentile } from './support.ts';

const FILES = 200;
const PER_FILE = 10;
const DRIFT_EVERY = 20;
const RUNS = 5;

const bench: Bench = async (reporter) => {
  const dir = await mkdtemp(join(tmpdir(), 'wk-bench-drift-'));
  try {
    const { live, drifted } = await writeManifests(dir);
    const cluster = new MemoryCluster(live);
    const scan = () =>
      scanDesiredState({ dir, folders: ['.'], namespaces: [], detection: { defaultNamespace: 'default', ownershipLabel: null }, manifests: { kubectl: null } }, cluster);
    const baseRss = process.memoryUsage().rss;
    let peakRss = baseRss;
    const times: number[] = [];
    let outcome: Awaited<ReturnType<typeof scan>> | undefined;
    for (let i = 0; i <= RUNS; i++) {
      const t0 = performance.now();
      outcome = await scan();
      times.push(performance.now() - t0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const [cold, ...warm] = times;
    const o = outcome!;
    const objects = new Set(o.items.map((i) => `${i.kind}/${i.namespace}/${i.name}`)).size;
    reporter.note(
      `${o.desiredCount} manifests vs ${o.liveCount} live objects: ${o.items.length} item(s) in ${objects} object(s) (${drifted} drifted on purpose), ` +
        `${o.problems.errors.length} manifest error(s); runs (ms): ${times.map((t) => t.toFixed(0)).join(', ')}; RSS before the first scan ${(baseRss / (1024 * 1024)).toFixed(0)} MB`,
    );
    if (objects !== drifted || o.desiredCount !== FILES * PER_FILE) throw new Error(`the scan found ${objects} drifted objects of ${o.desiredCount}, expected ${drifted} of ${FILES * PER_FILE}`);
    reporter.figure('drift_scan_ms', percentile(warm, 50), 'ms', { op: '<=', value: 2000 });
    reporter.figure('drift_scan_cold_ms', cold!, 'ms');
    reporter.figure('drift_scan_rss_mb', peakRss / (1024 * 1024), 'MB', { op: '<=', value: 300 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

export default bench;

/** Writes the manifests and returns the live objects (every twentieth drifted). */
export async function writeManifests(dir: string): Promise<{ live: KObject[]; drifted: number }> {
  const live: KObject[] = [];
  let n = 0;
  let drifted = 0;
  for (let f = 0; f < FILES; f++) {
    const docs: string[] = [];
    for (let d = 0; d < PER_FILE; d++, n++) {
      const ns = `team-${n % 25}`;
      const name = `svc-${n}`;
      const drift = n % DRIFT_EVERY === 7;
      if (drift) drifted++;
      const kind = n % 10 < 4 ? 'Deployment' : n % 10 < 7 ? 'Service' : 'ConfigMap';
      const server = { uid: `uid-${n}`, resourceVersion: String(1000 + n), creationTimestamp: '2026-11-01T00:00:00Z', managedFields: [{ manager: 'kubectl', operation: 'Apply' }] };
      if (kind === 'Deployment') {
        docs.push(deploymentYaml(ns, name, n));
        live.push({
          apiVersion: 'apps/v1',
          kind,
          metadata: { name, namespace: ns, labels: { app: name, tier: 'backend' }, generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' }, ...server },
          spec: {
            replicas: 3,
            revisionHistoryLimit: 10,
            progressDeadlineSeconds: 600,
            selector: { matchLabels: { app: name } },
            strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                dnsPolicy: 'ClusterFirst',
                restartPolicy: 'Always',
                schedulerName: 'default-scheduler',
                terminationGracePeriodSeconds: 30,
                containers: [
                  {
                    name: 'app',
                    image: drift ? `registry.example.com/${name}:1.${n % 7}.1-hotfix` : `registry.example.com/${name}:1.${n % 7}.0`,
                    imagePullPolicy: 'IfNotPresent',
                    terminationMessagePath: '/dev/termination-log',
                    terminationMessagePolicy: 'File',
                    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                    env: [
                      { name: 'LOG_LEVEL', value: 'info' },
                      { name: 'REGION', value: 'eu-west-1' },
                    ],
                    resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
                    readinessProbe: { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
                  },
                ],
              },
            },
          },
          status: { observedGeneration: 2, replicas: 3, readyReplicas: 3, availableReplicas: 3, updatedReplicas: 3 },
        });
      } else if (kind === 'Service') {
        docs.push(serviceYaml(ns, name));
        live.push({
          apiVersion: 'v1',
          kind,
          metadata: { name, namespace: ns, labels: { app: name }, ...server },
          spec: {
            type: 'ClusterIP',
            clusterIP: `10.96.${n % 250}.${n % 200}`,
            clusterIPs: [`10.96.${n % 250}.${n % 200}`],
            selector: { app: name },
            sessionAffinity: 'None',
            ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: drift ? 9090 : 8080 }],
          },
          status: { loadBalancer: {} },
        });
      } else {
        docs.push(configMapYaml(ns, name));
        live.push({
          apiVersion: 'v1',
          kind,
          metadata: { name, namespace: ns, ...server },
          data: { 'app.properties': `timeout=30s\nretries=${drift ? 5 : 3}\n`, mode: 'production' },
        });
      }
    }
    await writeFile(join(dir, `apps-${String(f).padStart(3, '0')}.yaml`), docs.join('---\n'));
  }
  return { live, drifted };
}

function deploymentYaml(ns: string, name: string, n: number): string {
  return `# ${name}: owned by ${ns}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${name}
    tier: backend
spec:
  replicas: 3
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: registry.example.com/${name}:1.${n % 7}.0 # pinned by CI
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
            - name: REGION
              value: eu-west-1
          resources:
            limits: {cpu: 500m, memory: 256Mi}
            requests: {cpu: 100m, memory: 128Mi}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 10
`;
}

function serviceYaml(ns: string, name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;
}

function configMapYaml(ns: string, name: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${ns}
data:
  app.properties: |
    timeout=30s
    retries=3
  mode: production
`;
}
