/**
 * Pod-level rule analyzers on fixtures built from real Kubernetes objects
 * (test/fixtures/analyzers/SOURCES.md says where each one comes from).
 */
import { describe, expect, it } from 'vitest';
import { configErrorAnalyzer, explainStartError, parseMissingReference } from '../../domain/analyzers/container-config.ts';
import { probeFailureAnalyzer } from '../../domain/analyzers/events.ts';
import { evictedAnalyzer, evictionResource } from '../../domain/analyzers/eviction.ts';
import { describeExitCode, explainExitCode } from '../../domain/analyzers/exit-codes.ts';
import { classifyPullFailure, imagePullAnalyzer } from '../../domain/analyzers/image-pull.ts';
import { initFailureAnalyzer } from '../../domain/analyzers/init-containers.ts';
import { crashLoopAnalyzer, oomKilledAnalyzer } from '../../domain/analyzers/pod.ts';
import { parseSchedulingMessage, unschedulableAnalyzer } from '../../domain/analyzers/scheduling.ts';
import type { Evidence } from '../../domain/diagnosis.ts';
import type { KEvent, Pod } from '../../domain/k8s-objects.ts';
import { evidenceFrom, loadLogs, loadObjects, objectsForPod } from '../fixtures/analyzers/evidence.ts';

const CRASH_255 = 'pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml';
const OOM_KUBERAY = 'pod-OOMKilled-exit137.kuberay-issue-4356.kubectl-get-yaml.yaml';
const OOM_HOLMES = 'pod-OOMKilled-exit137-CrashLoopBackOff.holmesgpt.translated.yaml';
const OOM_NARWHAL = 'pod-OOMKilled.holmesgpt.02_what_is_wrong_with_pod.translated.yaml';
const PULL_KNE = 'pod-ErrImagePull.openconfig-kne.ceos7data.json';
const PULL_HOLMES = 'pod-ImagePullBackOff-ErrImagePull.holmesgpt.translated.yaml';
const PENDING_CPU = 'pod-Pending-FailedScheduling-Insufficient-cpu.translated.yaml';
const PENDING_GPU = 'pod-Pending-FailedScheduling-Insufficient-gpu.holmesgpt.translated.yaml';
const NOW = '2026-03-02T10:30:00Z';

function podOf(evidence: Evidence): Pod {
  return evidence.pods[0]!;
}

function healthyPodEvidence(): Evidence {
  return evidenceFrom(loadObjects('healthy.synthetic.yaml'), { collectedAt: NOW });
}

describe('exit codes (128 + signal convention)', () => {
  it.each([
    [0, 'exited successfully', false],
    [1, 'application error', true],
    [2, 'application error', true],
    [126, 'not executable', false],
    [127, 'command not found', false],
    [137, 'SIGKILL', true],
    [139, 'segmentation fault', true],
    [143, 'SIGTERM', true],
    [130, 'SIGINT', true],
    [135, 'SIGBUS', true],
    [255, 'fatal application error', true],
  ])('%i → %s (restart helps: %s)', (code, meaning, restartHelps) => {
    expect(explainExitCode(code).meaning).toContain(meaning);
    expect(explainExitCode(code).restartHelps).toBe(restartHelps);
    expect(describeExitCode(code)).toMatch(new RegExp(`^exit code ${code} \\(`));
  });
});

describe('pod.crash_loop', () => {
  it('explains the real HolmesGPT pod (exit 255, malformed timestamps) with the exact evidence line', () => {
    const evidence = evidenceFrom(loadObjects(CRASH_255), { collectedAt: '2025-08-23T12:20:00Z' });
    const [finding, ...rest] = crashLoopAnalyzer.analyze(evidence);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'crash_loop',
      actions: ['restart', 'escalate'],
      subject: 'Pod/frontend-service',
      params: { pod: 'frontend-service', container: 'stress', exitCode: 255 },
    });
    expect(finding!.cause).toContain('exit code 255');
    expect(finding!.evidence).toContain(
      'Pod frontend-service: container stress terminated: exit code 255, reason Error, restarts 7, finished 2025-08-2312:13:39Z',
    );
    expect(finding!.evidence.some((l) => l.includes('waiting: CrashLoopBackOff (back-off 5m0s'))).toBe(true);
  });

  it.each([
    { exitCode: 1, says: 'application error', actions: ['restart', 'escalate'] },
    { exitCode: 2, says: 'application error', actions: ['restart', 'escalate'] },
    { exitCode: 126, says: 'not executable', actions: ['escalate', 'restart'] },
    { exitCode: 127, says: 'command not found', actions: ['escalate', 'restart'] },
    { exitCode: 137, says: 'SIGKILL', actions: ['restart', 'escalate'] },
    { exitCode: 139, says: 'segmentation fault', actions: ['restart', 'escalate'] },
    { exitCode: 143, says: 'SIGTERM', actions: ['restart', 'escalate'] },
  ])('last exit code $exitCode → cause says "$says", actions $actions', ({ exitCode, says, actions }) => {
    const evidence = evidenceFrom(loadObjects(CRASH_255));
    podOf(evidence).status!.containerStatuses![0]!.lastState!.terminated!.exitCode = exitCode;
    const [finding] = crashLoopAnalyzer.analyze(evidence);
    expect(finding!.category).toBe('crash_loop');
    expect(finding!.cause).toContain(`exit code ${exitCode}`);
    expect(finding!.cause).toContain(says);
    expect(finding!.actions).toEqual(actions);
    expect(finding!.evidence[0]).toContain(`exit code ${exitCode}, reason Error`);
  });

  it('keeps at most five error lines of the crashed instance, preferring the previous log', () => {
    const errors = Array.from({ length: 8 }, (_, i) => `ERROR worker ${i}: connection refused`);
    const evidence = evidenceFrom(loadObjects(CRASH_255), {
      logs: [
        { pod: 'frontend-service', container: 'stress', previous: false, lines: ['ERROR from the current instance'] },
        { pod: 'frontend-service', container: 'stress', previous: true, lines: ['stress: info: dispatching hogs', ...errors, 'bye'] },
      ],
    });
    const logLines = crashLoopAnalyzer.analyze(evidence)[0]!.evidence.filter((l) => l.startsWith('Log '));
    expect(logLines).toHaveLength(5);
    expect(logLines[0]).toBe('Log stress (previous instance): ERROR worker 3: connection refused');
    expect(logLines.join('\n')).not.toContain('current instance');
  });

  it('counts a container restarting repeatedly between back-offs (running, not ready, restarts ≥ 3)', () => {
    const evidence = evidenceFrom(loadObjects(CRASH_255));
    podOf(evidence).status!.containerStatuses![0]!.state = { running: { startedAt: '2025-08-23T12:14:00Z' } };
    expect(crashLoopAnalyzer.analyze(evidence).map((f) => f.category)).toEqual(['crash_loop']);
  });

  it.each([
    ['an OOM kill (left to pod.oom_killed)', OOM_HOLMES],
    ['a healthy pod', 'healthy.synthetic.yaml'],
    ['a pending pod', PENDING_CPU],
  ])('ignores %s', (_, file) => {
    expect(crashLoopAnalyzer.analyze(evidenceFrom(loadObjects(file)))).toEqual([]);
  });
});

describe('pod.oom_killed', () => {
  it.each([
    { file: OOM_KUBERAY, pod: 'raycluster-auth-token-head-vbjrq', container: 'ray-head', limit: '2G', restarts: 1 },
    { file: OOM_HOLMES, pod: 'analytics-exporter-fast-76897854c-cw5wh', container: 'memory-eater', limit: '100Mi', restarts: 6 },
    { file: OOM_NARWHAL, pod: 'giant-narwhal-6958c5bdd8-69gtn', container: 'main', limit: '50Mi', restarts: 16 },
  ])('$pod: raise_memory for $container above $limit', ({ file, pod, container, limit, restarts }) => {
    const [finding, ...rest] = oomKilledAnalyzer.analyze(evidenceFrom(loadObjects(file)));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'oom_killed',
      actions: ['raise_memory', 'restart'],
      subject: `Pod/${pod}`,
      params: { container, currentLimit: limit },
    });
    expect(finding!.cause).toContain(`memory limit of ${limit}`);
    expect(finding!.cause).toContain('exit code 137');
    expect(finding!.evidence[0]).toMatch(new RegExp(`^Pod ${pod}: container ${container} terminated: exit code 137, reason OOMKilled, restarts ${restarts}`));
  });

  it('without a memory limit blames the node and does not offer raise_memory', () => {
    const evidence = evidenceFrom(loadObjects(OOM_NARWHAL));
    delete podOf(evidence).spec!.containers[0]!.resources;
    const [finding] = oomKilledAnalyzer.analyze(evidence);
    expect(finding!.actions).toEqual(['restart', 'escalate']);
    expect(finding!.cause).toContain('without a memory limit');
    expect(finding!.params).not.toHaveProperty('currentLimit');
  });

  it('is less sure once the container runs and is ready again', () => {
    const evidence = evidenceFrom(loadObjects(OOM_KUBERAY));
    podOf(evidence).status!.containerStatuses![0]!.ready = true;
    expect(oomKilledAnalyzer.analyze(evidence)[0]!.confidence).toBeLessThan(oomKilledAnalyzer.analyze(evidenceFrom(loadObjects(OOM_KUBERAY)))[0]!.confidence);
  });

  it('ignores a crash that is not an OOM kill', () => {
    expect(oomKilledAnalyzer.analyze(evidenceFrom(loadObjects(CRASH_255)))).toEqual([]);
  });
});

describe('pod.image_pull', () => {
  it.each([
    { file: PULL_KNE, pod: 'ceos', image: 'ceos:latest' },
    { file: PULL_HOLMES, pod: 'customer-relations-webapp-5d98ffcfd-tz4nc', image: 'yourcompany/crw:latest' },
  ])('real $pod: pull access denied → unauthorized, escalate', ({ file, pod, image }) => {
    const [finding, ...rest] = imagePullAnalyzer.analyze(evidenceFrom(loadObjects(file), { collectedAt: '2024-11-18T08:22:32Z' }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ category: 'image_pull', actions: ['escalate'], subject: `Pod/${pod}`, params: { image, pullFailure: 'unauthorized' } });
    expect(finding!.cause).toContain(`cannot pull image ${image}`);
    expect(finding!.cause).toContain('needs credentials');
  });

  it('quotes the registry answer from the kubelet Failed event when the waiting message is empty', () => {
    const [finding] = imagePullAnalyzer.analyze(evidenceFrom(loadObjects(PULL_HOLMES), { collectedAt: '2024-11-18T08:22:32Z' }));
    expect(finding!.evidence).toContain('Pod customer-relations-webapp-5d98ffcfd-tz4nc: container crw-main-container waiting: ErrImagePull');
    expect(finding!.evidence.some((l) => l.startsWith('Event Warning Failed') && l.includes('pull access denied') && l.includes('(x3)'))).toBe(true);
  });

  it.each([
    {
      kind: 'not_found',
      says: 'does not exist',
      message:
        'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/ceos:latest": failed to resolve reference "docker.io/library/ceos:latest": docker.io/library/ceos:latest: not found',
    },
    {
      kind: 'rate_limited',
      says: 'rate-limits',
      message:
        'failed to pull and unpack image "docker.io/library/ceos:latest": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/ceos/manifests/sha256:81fc: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit',
    },
    { kind: 'unauthorized', says: 'refuses access', message: 'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized' },
    { kind: 'unreachable', says: 'cannot be reached', message: 'dial tcp: lookup registry.local on 10.96.0.10:53: no such host' },
  ])('ErrImagePull message → $kind', ({ kind, says, message }) => {
    const evidence = evidenceFrom(loadObjects(PULL_KNE));
    podOf(evidence).status!.containerStatuses![0]!.state!.waiting!.message = message;
    const [finding] = imagePullAnalyzer.analyze(evidence);
    expect(finding!.params).toMatchObject({ pullFailure: kind });
    expect(finding!.cause).toContain(says);
    expect(classifyPullFailure([message])).toBe(kind);
  });

  it('offers rollback first when an older, healthy revision ran a different image', () => {
    const objects = loadObjects('bad-rollout.synthetic.yaml');
    const evidence = evidenceFrom(objects, { collectedAt: NOW });
    const pod = evidence.pods.find((p) => p.metadata!.name === 'checkout-7f9b8c5d4-p7m2x')!;
    pod.status!.containerStatuses![0]!.state = { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example.com/shop/checkout:1.5.0"' } };
    delete pod.status!.containerStatuses![0]!.lastState;
    const [finding] = imagePullAnalyzer.analyze(evidence);
    expect(finding!.actions).toEqual(['rollback', 'escalate']);
    expect(finding!.params).toMatchObject({ toRevision: 1 });
    expect(finding!.evidence).toContain('Revision 1 (ReplicaSet checkout-6d4cf56db6) ran image registry.example.com/shop/checkout:1.4.2 and was healthy');
  });

  it('ignores pods whose images are pulled', () => {
    expect(imagePullAnalyzer.analyze(healthyPodEvidence())).toEqual([]);
  });
});

describe('pod.config_error', () => {
  const objects = loadObjects('config-errors.synthetic.yaml');
  it.each([
    { pod: 'api-5c8d7b9f6-cm4qz', says: 'ConfigMap api-config does not exist', params: { missingKind: 'ConfigMap', missingName: 'api-config' } },
    { pod: 'api-5c8d7b9f6-sk8wd', says: 'Secret api-db-credentials does not exist', params: { missingKind: 'Secret', missingName: 'api-db-credentials' } },
    {
      pod: 'worker-7d5f8c9b4-k2l9m',
      says: 'key DB_URL is missing from Secret worker-secrets',
      params: { missingKind: 'Secret key', missingName: 'worker-secrets', missingKey: 'DB_URL' },
    },
    { pod: 'web-6b7c8d9f5-v5n8p', says: 'volume config needs ConfigMap web-config does not exist', params: { volume: 'config', missingName: 'web-config' } },
    { pod: 'gateway-5f6d7c8b9-r4t6y', says: 'the command "/app/server" does not exist in the image', params: { container: 'gateway' } },
    { pod: 'gateway-5f6d7c8b9-u8i9o', says: 'the command "/app/server" is not executable', params: { container: 'gateway' } },
  ])('$pod → config_error: $says', ({ pod, says, params }) => {
    const evidence = evidenceFrom(objectsForPod(objects, pod), { collectedAt: NOW });
    const [finding, ...rest] = configErrorAnalyzer.analyze(evidence);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ category: 'config_error', actions: ['escalate'], subject: `Pod/${pod}`, params });
    expect(finding!.cause).toContain(says);
    expect(finding!.evidence.length).toBeGreaterThan(0);
    // The start failure is this analyzer's, not a crash loop's.
    expect(crashLoopAnalyzer.analyze(evidence)).toEqual([]);
  });

  it.each([
    ['configmap "app-config" not found', { kind: 'ConfigMap', name: 'app-config' }],
    ['Error: secret "db" not found', { kind: 'Secret', name: 'db' }],
    ["couldn't find key password in ConfigMap default/app", { kind: 'key', key: 'password', in: 'ConfigMap', name: 'app' }],
    ['failed to sync configmap cache: timed out waiting for the condition', undefined],
  ])('parseMissingReference(%j)', (message, expected) => {
    expect(parseMissingReference(message)).toEqual(expected);
  });

  it('reads an OCI start error in plain language', () => {
    expect(explainStartError('exec: "node": executable file not found in $PATH: unknown')).toBe('the command "node" does not exist in the image');
  });

  it('ignores a healthy pod', () => {
    expect(configErrorAnalyzer.analyze(healthyPodEvidence())).toEqual([]);
  });
});

describe('pod.probe_failure', () => {
  const objects = loadObjects('probes.synthetic.yaml');
  it.each([
    { pod: 'search-7c9d8f6b5-l1v3n', probe: 'liveness', says: 'HTTP probe failed with statuscode: 500', confidence: 0.9, restarting: true },
    { pod: 'search-7c9d8f6b5-r8d2q', probe: 'readiness', says: 'connection refused', confidence: 0.75, restarting: false },
  ])('$pod: $probe probe fails → probe_failure, restart', ({ pod, probe, says, confidence, restarting }) => {
    const evidence = evidenceFrom(objectsForPod(objects, pod), { collectedAt: NOW });
    const [finding, ...rest] = probeFailureAnalyzer.analyze(evidence);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ category: 'probe_failure', actions: ['restart', 'escalate'], confidence, params: { container: 'search', probe } });
    expect(finding!.cause).toContain(says);
    expect(finding!.cause.includes('keeps restarting')).toBe(restarting);
    expect(finding!.evidence[0]).toMatch(/^Event Warning Unhealthy on Pod\/search-.* \(x\d+\): \w+ probe failed/);
  });

  it('ignores Unhealthy events older than the one-hour window', () => {
    expect(probeFailureAnalyzer.analyze(healthyPodEvidence())).toEqual([]);
  });
});

describe('pod.unschedulable', () => {
  it.each([
    {
      file: PENDING_CPU,
      collectedAt: '2026-01-20T10:00:00Z',
      says: ['any of 3 nodes', '2 node(s) lack cpu (pod requests 10)', '1 node(s) have a taint the pod does not tolerate'],
      actions: ['escalate', 'scale'],
      params: { obstacles: 'taint,insufficient', resource: 'cpu' },
    },
    {
      file: PENDING_GPU,
      collectedAt: '2025-06-03T17:13:30Z',
      says: ['any of 1 nodes', '1 node(s) lack nvidia.com/gpu (pod requests 5)'],
      actions: ['escalate', 'scale'],
      params: { obstacles: 'insufficient', resource: 'nvidia.com/gpu' },
    },
  ])('real $file', ({ file, collectedAt, says, actions, params }) => {
    const [finding, ...rest] = unschedulableAnalyzer.analyze(evidenceFrom(loadObjects(file), { collectedAt }));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ category: 'unschedulable', actions, params });
    for (const s of says) expect(finding!.cause).toContain(s);
    expect(finding!.evidence[0]).toMatch(/^Event Warning FailedScheduling on Pod\/.*: 0\/\d nodes are available/);
  });

  it.each([
    { message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', says: 'PersistentVolumeClaim is not bound', kind: 'volume' },
    { message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.", says: 'node selector/affinity', kind: 'node_selector' },
    { message: '0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling..', says: 'taint the pod does not tolerate (node-role.kubernetes.io/control-plane)', kind: 'taint' },
    { message: "0/3 nodes are available: 3 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate.", says: 'node-role.kubernetes.io/master', kind: 'taint' },
    { message: '0/2 nodes are available: 2 Insufficient memory.', says: 'lack memory', kind: 'insufficient' },
  ])('scheduler message → $kind', ({ message, says, kind }) => {
    const objects = loadObjects(PENDING_CPU);
    (objects.find((o) => o.kind === 'Event' && (o as KEvent).reason === 'FailedScheduling') as KEvent).message = message;
    const [finding] = unschedulableAnalyzer.analyze(evidenceFrom(objects, { collectedAt: '2026-01-20T10:00:00Z' }));
    expect(finding!.cause).toContain(says);
    expect(finding!.params!['obstacles']).toBe(kind);
    expect(finding!.actions[0]).toBe('escalate');
  });

  it('offers scale first when other replicas are running (scale down to what fits)', () => {
    const objects = [...loadObjects(PENDING_CPU), ...loadObjects('healthy.synthetic.yaml').filter((o) => o.kind === 'Pod')];
    const [finding] = unschedulableAnalyzer.analyze(evidenceFrom(objects, { collectedAt: '2026-01-20T10:00:00Z' }));
    expect(finding!.actions).toEqual(['scale', 'escalate']);
    expect(finding!.params).toMatchObject({ replicas: 2 });
  });

  it('parses counts and ignores the preemption part', () => {
    expect(parseSchedulingMessage('0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.')).toEqual({
      totalNodes: 3,
      obstacles: [
        { kind: 'taint', nodes: 1, text: '1 node(s) had untolerated taint(s)' },
        { kind: 'insufficient', nodes: 2, resource: 'cpu', text: '2 Insufficient cpu' },
      ],
    });
  });

  it('ignores scheduled pods', () => {
    expect(unschedulableAnalyzer.analyze(healthyPodEvidence())).toEqual([]);
  });
});

describe('pod.evicted', () => {
  it('reports each evicted pod with the starved resource and delete_pod', () => {
    const findings = evictedAnalyzer.analyze(evidenceFrom(loadObjects('evicted.synthetic.yaml'), { collectedAt: NOW }));
    expect(findings.map((f) => [f.subject, f.params!['resource'], f.actions])).toEqual([
      ['Pod/report-7b9c6d5f4-e1v7c', 'memory', ['delete_pod']],
      ['Pod/report-7b9c6d5f4-q3z8x', 'ephemeral-storage', ['delete_pod']],
    ]);
    expect(findings[0]!.cause).toBe('Pod was evicted by the kubelet of node worker-2 because the node ran low on memory');
    expect(findings[0]!.evidence[0]).toContain('phase Failed, reason Evicted, node worker-2: The node was low on resource: memory.');
  });

  it.each([
    ['The node had condition: [DiskPressure].', 'disk'],
    ['The node was low on resource: ephemeral-storage. ', 'ephemeral-storage'],
    ['Pod was rejected', undefined],
  ])('evictionResource(%j) = %s', (message, resource) => {
    expect(evictionResource(message)).toBe(resource);
  });

  it('ignores running pods', () => {
    expect(evictedAnalyzer.analyze(healthyPodEvidence())).toEqual([]);
  });
});

describe('pod.init_failure', () => {
  const objects = loadObjects('init-containers.synthetic.yaml');
  const logs = loadLogs('init-containers.synthetic.logs.yaml');

  it('a failing init container: exit code, log lines, escalate', () => {
    const evidence = evidenceFrom(objectsForPod(objects, 'orders-6f7d9c8b5-m1g8r'), { collectedAt: NOW, logs });
    const [finding, ...rest] = initFailureAnalyzer.analyze(evidence);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ category: 'init_failure', actions: ['escalate', 'restart'], params: { container: 'db-migrate', exitCode: 1 } });
    expect(finding!.cause).toContain('Init container db-migrate fails with exit code 1 (application error)');
    expect(finding!.evidence).toContain('Pod orders-6f7d9c8b5-m1g8r: init container db-migrate terminated: exit code 1, reason Error, restarts 5, finished 2026-03-02T10:26:04Z');
    expect(finding!.evidence).toContain('Log db-migrate (previous instance): ERROR: relation "order_items" does not exist');
    // Init containers are not app-container crash loops.
    expect(crashLoopAnalyzer.analyze(evidence)).toEqual([]);
  });

  it.each([
    { collectedAt: NOW, found: true },
    { collectedAt: '2026-03-02T10:10:00Z', found: false },
  ])('an init container running since 10:05 at $collectedAt is stuck: $found', ({ collectedAt, found }) => {
    const evidence = evidenceFrom(objectsForPod(objects, 'orders-6f7d9c8b5-w7x2c'), { collectedAt, logs });
    const findings = initFailureAnalyzer.analyze(evidence);
    expect(findings.length).toBe(found ? 1 : 0);
    if (found) {
      expect(findings[0]!.cause).toContain('Init container wait-for-db has been running for 25 min');
      expect(findings[0]!.evidence).toContain("Log wait-for-db: nc: bad address 'postgres'");
    }
  });

  it('ignores init containers that completed (real kne pod: init-ceos exit 0)', () => {
    expect(initFailureAnalyzer.analyze(evidenceFrom(loadObjects(PULL_KNE)))).toEqual([]);
  });
});
