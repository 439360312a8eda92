/**
 * Diagnosis benchmark (issue 3):
 *
 * - `diagnosis_cpu_ms`: CPU time (`process.cpuUsage`, user + system) of evidence assembly and the
 *   rule analyzers for one large incident — a Deployment with 50 pods (40 healthy on revision 1,
 *   10 crash-looping on revision 2), 500 events (400 Warning) and 10,000 log lines in the failing
 *   containers' logs the gatherer reads (3 logs, `tailLines` 10,000, the configuration's maximum).
 *   The production gatherer (`agent/evidence.ts`) reads from an in-memory cluster, so the figure is
 *   the gatherer's and analyzers' own work (selectors, event filtering and sorting, log condensing,
 *   every analyzer, merging and ranking), without network time. Median of 25 runs after 5 warm-ups.
 * - `prompt_tokens_median` / `prompt_tokens_max`: estimated tokens (system + user) of the diagnosis
 *   prompt (`buildDiagnosisPrompt`, default budget) for every scenario of `test/scenarios/`, with
 *   evidence gathered by the offline path (`gatherOfflineEvidence`).
 */
import { gatherOfflineEvidence } from '../agent/diagnose-offline.ts';
import { diagnose } from '../agent/diagnose.ts';
import { gatherEvidence } from '../agent/evidence.ts';
import { DEFAULT_BUDGET_TOKENS } from '../agent/llm/router.ts';
import { MemoryCluster, type SavedPodLog } from '../agent/memory-cluster.ts';
import { analyze } from '../domain/analyzers/index.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import type { KObject } from '../domain/k8s-objects.ts';
import { buildDiagnosisPrompt } from '../domain/prompt.ts';
import { loadScenarios } from '../eval/scenarios.ts';
import { type Bench, percentile } from './support.ts';

const PODS = 50;
const FAILING_PODS = 10;
const EVENTS = 500;
const LOG_LINES = 10_000;
const LOGS_READ = 3;
const WARMUP_RUNS = 5;
const MEASURED_RUNS = 25;
const NOW = new Date('2026-03-02T10:30:00Z');

const bench: Bench = async (reporter) => {
  // --- CPU time of evidence assembly + analyzers for a large incident
  const incident = largeIncident();
  const cluster = new MemoryCluster(incident.objects, { logs: incident.logs });
  const target: TargetRef = { kind: 'Deployment', namespace: 'shop', name: 'checkout' };
  const options = { logTailLines: LOG_LINES, now: NOW };
  const run = async () => {
    const evidence = await gatherEvidence(cluster, target, options);
    const diagnosis = await diagnose(evidence);
    return { evidence, diagnosis };
  };
  for (let i = 0; i < WARMUP_RUNS; i++) await run();
  const cpu: number[] = [];
  const wall: number[] = [];
  let last: Awaited<ReturnType<typeof run>> | undefined;
  for (let i = 0; i < MEASURED_RUNS; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = await run();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  const ev = last!.evidence;
  reporter.note(
    `incident: ${PODS} pods (${FAILING_PODS} crash-looping), ${EVENTS} events, ${LOG_LINES} log lines in the ${LOGS_READ} logs read; ` +
      `gathered ${ev.pods.length} pods, ${ev.events.length} warning events, ${ev.logs.reduce((n, l) => n + l.lines.length, 0)} condensed log lines; ` +
      `diagnosis ${last!.diagnosis.category}/${last!.diagnosis.action} from ${last!.diagnosis.findings.length} findings`,
  );
  reporter.note(`wall time median ${percentile(wall, 50).toFixed(2)} ms, CPU p90 ${percentile(cpu, 90).toFixed(2)} ms over ${MEASURED_RUNS} runs`);
  reporter.figure('diagnosis_cpu_ms', percentile(cpu, 50), 'ms', { op: '<=', value: 50 });

  const big = buildDiagnosisPrompt(ev, analyze(ev), { budgetTokens: DEFAULT_BUDGET_TOKENS });
  reporter.note(`large incident prompt: ${big.tokens} tokens${big.truncated.length ? `, truncated sections: ${big.truncated.join(', ')}` : ''}`);

  // --- prompt size over the scenario suite
  const sizes: Array<{ name: string; tokens: number; truncated: string[] }> = [];
  for (const scenario of loadScenarios()) {
    try {
      const { evidence } = await gatherOfflineEvidence({ alertFile: scenario.alertFile, objectFiles: scenario.objectFiles });
      const prompt = buildDiagnosisPrompt(evidence, analyze(evidence), { budgetTokens: DEFAULT_BUDGET_TOKENS });
      sizes.push({ name: scenario.name, tokens: prompt.tokens, truncated: prompt.truncated });
    } catch (err) {
      reporter.note(`scenario ${scenario.name} skipped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const tokens = sizes.map((s) => s.tokens);
  const largest = sizes.reduce((a, b) => (b.tokens > a.tokens ? b : a), sizes[0]!);
  reporter.note(
    `${sizes.length} scenarios, budget ${DEFAULT_BUDGET_TOKENS} tokens; largest ${largest.name} (${largest.tokens})` +
      `; ${sizes.filter((s) => s.truncated.length > 0).length} prompts truncated to fit`,
  );
  reporter.figure('prompt_tokens_median', percentile(tokens, 50), 'tokens');
  reporter.figure('prompt_tokens_max', Math.max(...tokens), 'tokens', { op: '<=', value: 3000 });
};

export default bench;

/** Deterministic pseudo-random numbers (mulberry32), so every run benches the same incident. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The large incident: a bad rollout of `shop/checkout` (revision 2 crash-loops with exit 1 while
 * revision 1 serves), with events and logs at the sizes above.
 */
export function largeIncident(): { objects: KObject[]; logs: SavedPodLog[] } {
  const random = prng(42);
  const iso = (msBefore: number) => new Date(NOW.getTime() - msBefore).toISOString();
  const container = (image: string, memory: string) => ({
    name: 'checkout',
    image,
    env: [{ name: 'DB_HOST', value: 'postgres.shop.svc' }, { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'checkout-db', key: 'password' } } }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory } },
  });
  const rs = (hash: string, revision: number, image: string, memory: string, replicas: number, available: number): KObject => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `checkout-${hash}`,
      namespace: 'shop',
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      labels: { app: 'checkout', 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'checkout', controller: true }],
    },
    spec: { replicas, template: { metadata: { labels: { app: 'checkout', 'pod-template-hash': hash } }, spec: { containers: [container(image, memory)] } } },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  });
  const objects: KObject[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'checkout', namespace: 'shop', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: {
        replicas: PODS - FAILING_PODS,
        selector: { matchLabels: { app: 'checkout' } },
        template: { metadata: { labels: { app: 'checkout' } }, spec: { containers: [container('registry.example.com/shop/checkout:1.5.0', '192Mi')] } },
      },
      status: {
        replicas: PODS,
        updatedReplicas: FAILING_PODS,
        readyReplicas: PODS - FAILING_PODS,
        availableReplicas: PODS - FAILING_PODS,
        unavailableReplicas: FAILING_PODS,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
          { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "checkout-7f9b8c5d4" has timed out progressing.' },
        ],
      },
    },
    rs('6d4cf56db6', 1, 'registry.example.com/shop/checkout:1.4.2', '256Mi', PODS - FAILING_PODS, PODS - FAILING_PODS),
    rs('7f9b8c5d4', 2, 'registry.example.com/shop/checkout:1.5.0', '192Mi', FAILING_PODS, 0),
  ];
  const suffix = (i: number) => `${'bcdfghjklmnpqrstvwxz'[i % 20]}${'2456789'[i % 7]}${'bcdfghjklmnpqrstvwxz'[(i * 7) % 20]}${i.toString(36).padStart(2, '0')}`;
  const podNames: string[] = [];
  const failing: string[] = [];
  for (let i = 0; i < PODS; i++) {
    const bad = i >= PODS - FAILING_PODS;
    const hash = bad ? '7f9b8c5d4' : '6d4cf56db6';
    const name = `checkout-${hash}-${suffix(i)}`;
    podNames.push(name);
    if (bad) failing.push(name);
    objects.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'shop',
        uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        labels: { app: 'checkout', 'pod-template-hash': hash },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `checkout-${hash}`, controller: true }],
      },
      spec: { nodeName: `worker-${(i % 8) + 1}`, containers: [container(`registry.example.com/shop/checkout:${bad ? '1.5.0' : '1.4.2'}`, bad ? '192Mi' : '256Mi')] },
      status: bad
        ? {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }],
            containerStatuses: [
              {
                name: 'checkout',
                ready: false,
                restartCount: 6 + (i % 5),
                state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 5m0s restarting failed container=checkout pod=${name}_shop` } },
                lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: iso(120_000), finishedAt: iso(118_000) } },
              },
            ],
          }
        : {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }],
            containerStatuses: [{ name: 'checkout', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-02-20T07:58:00Z' } } }],
          },
    });
  }
  for (let i = 0; i < 8; i++) {
    objects.push({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `worker-${i + 1}` },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }, { type: 'MemoryPressure', status: 'False' }] },
    });
  }
  const warningKinds = [
    (pod: string) => ({ reason: 'BackOff', message: `Back-off restarting failed container checkout in pod ${pod}_shop`, fieldPath: 'spec.containers{checkout}' }),
    (pod: string) => ({ reason: 'Unhealthy', message: `Readiness probe failed: Get "http://10.244.${pod.length}.7:8080/ready": dial tcp: connect: connection refused`, fieldPath: 'spec.containers{checkout}' }),
    () => ({ reason: 'FailedToUpdateEndpoint', message: 'Failed to update endpoint shop/checkout: Operation cannot be fulfilled on endpoints "checkout": the object has been modified', fieldPath: '' }),
  ];
  for (let i = 0; i < EVENTS; i++) {
    const warning = i < EVENTS * 0.8;
    const pod = warning ? failing[i % failing.length]! : podNames[i % podNames.length]!;
    const body = warning ? warningKinds[i % 3 === 2 && i % 7 === 0 ? 2 : i % 2]!(pod) : { reason: i % 2 ? 'Pulled' : 'Started', message: i % 2 ? 'Container image already present on machine' : 'Started container checkout', fieldPath: 'spec.containers{checkout}' };
    const minutesAgo = Math.floor(random() * 90);
    objects.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${pod}.${(0x17f0000000000000 + i).toString(16)}`, namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: pod, namespace: 'shop', ...(body.fieldPath ? { fieldPath: body.fieldPath } : {}) },
      type: warning ? 'Warning' : 'Normal',
      reason: body.reason,
      message: body.message,
      count: 1 + Math.floor(random() * 40),
      firstTimestamp: iso((minutesAgo + 30) * 60_000),
      lastTimestamp: iso(minutesAgo * 60_000),
    });
  }
  const templates = [
    (n: number) => `INFO  http request method=GET path=/api/cart/${n} status=200 duration_ms=${n % 97}`,
    (n: number) => `INFO  http request method=POST path=/api/checkout status=202 duration_ms=${n % 311}`,
    (n: number) => `DEBUG cache hit key=cart:${n}`,
    (n: number) => `WARN  payment client retry attempt=${n % 5} upstream=payments.shop.svc:8443`,
    () => 'ERROR config: PAYMENT_API_URL "payments.shop.svc:8443" is not a valid URL: missing scheme',
    (n: number) => `INFO  db pool stats open=${n % 20} idle=${n % 7}`,
  ];
  const logs: SavedPodLog[] = [];
  let remaining = LOG_LINES;
  for (const [i, pod] of failing.slice(0, LOGS_READ).entries()) {
    const count = i === LOGS_READ - 1 ? remaining : Math.ceil(LOG_LINES / LOGS_READ);
    remaining -= count;
    const lines: string[] = [];
    for (let n = 0; n < count; n++) {
      const pick = random() < 0.6 ? 0 : Math.floor(random() * templates.length);
      lines.push(`${iso((count - n) * 50)} ${templates[pick]!(Math.floor(random() * 100_000))}`);
    }
    lines.push(`${iso(0)} FATAL cannot start without a payment client`);
    logs.push({ namespace: 'shop', pod, container: 'checkout', previous: true, text: lines.join('\n') });
  }
  return { objects, logs };
}
