/**
 * Workload, node and HPA analyzers, and the registry: analyze / bestFinding / rulesOnlyDiagnosis
 * over whole fixtures (test/fixtures/analyzers/SOURCES.md).
 */
import { describe, expect, it } from 'vitest';
import { badRolloutAnalyzer, rolloutStuckAnalyzer } from '../../domain/analyzers/deployment.ts';
import { hpaMaxedAnalyzer } from '../../domain/analyzers/hpa.ts';
import { ANALYZERS, CATEGORY_PRIORITY, analyze, bestFinding, rulesOnlyDiagnosis } from '../../domain/analyzers/index.ts';
import { jobFailedAnalyzer } from '../../domain/analyzers/job.ts';
import { nodeNotReadyAnalyzer, nodePressureAnalyzer } from '../../domain/analyzers/node.ts';
import { findBadRollout, templateChanges } from '../../domain/analyzers/revisions.ts';
import { CATEGORIES, type Evidence } from '../../domain/diagnosis.ts';
import type { Deployment, HorizontalPodAutoscaler, KObject, ReplicaSet } from '../../domain/k8s-objects.ts';
import { evidenceFrom, loadLogs, loadObjects, objectsForPod } from '../fixtures/analyzers/evidence.ts';

const NOW = '2026-03-02T10:30:00Z';
const PDE = 'deployment-ProgressDeadlineExceeded.holmesgpt.kubectl-get-yaml.yaml';
const PENDING_GPU = 'pod-Pending-FailedScheduling-Insufficient-gpu.holmesgpt.translated.yaml';
const BAD_ROLLOUT = 'bad-rollout.synthetic.yaml';

function badRolloutEvidence(): Evidence {
  return evidenceFrom(loadObjects(BAD_ROLLOUT), { collectedAt: NOW, logs: loadLogs('bad-rollout.synthetic.logs.yaml') });
}

function healthy(): Evidence {
  return evidenceFrom(loadObjects('healthy.synthetic.yaml'), { collectedAt: NOW });
}

describe('deployment.rollout_stuck', () => {
  it('real HolmesGPT Deployment: ProgressDeadlineExceeded, single revision → escalate', () => {
    const [finding, ...rest] = rolloutStuckAnalyzer.analyze(evidenceFrom(loadObjects(PDE)));
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'rollout_stuck',
      actions: ['escalate'],
      subject: 'Deployment/user-profile-resources',
      params: { desired: 1, available: 0 },
    });
    expect(finding!.cause).toContain('600s deadline (ProgressDeadlineExceeded): 0 of 1 replicas available');
    expect(finding!.evidence).toEqual([
      'Deployment user-profile-resources: 1 desired | 1 updated | 1 total | 0 available | 1 unavailable',
      'Deployment user-profile-resources: condition Available=False (MinimumReplicasUnavailable): Deployment does not have minimum availability.',
      'Deployment user-profile-resources: condition Progressing=False (ProgressDeadlineExceeded): ReplicaSet "user-profile-resources-659d4dd659" has timed out progressing.',
    ]);
  });

  it.each([
    {
      name: 'paused with the template not rolled out',
      mutate: (d: Deployment) => {
        d.spec!.paused = true;
        d.status!.conditions = [{ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }];
        d.status!.updatedReplicas = 0;
      },
      says: 'is paused',
      confidence: 0.75,
    },
    {
      name: 'replicas mismatch',
      mutate: (d: Deployment) => {
        d.spec!.replicas = 3;
        d.status = { replicas: 3, updatedReplicas: 3, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 2, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] };
      },
      says: 'has 1 of 3 replicas available',
      confidence: 0.5,
    },
    {
      name: 'ReplicaFailure (quota)',
      mutate: (d: Deployment) => {
        d.status!.conditions!.push({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "user-profile-resources-659d4dd659-x" is forbidden: exceeded quota: compute, requested: limits.memory=5Gi, used: limits.memory=0, limited: limits.memory=4Gi' });
      },
      says: 'cannot create pods: pods "user-profile-resources-659d4dd659-x" is forbidden: exceeded quota',
      confidence: 0.85,
    },
  ])('real Deployment made $name → rollout_stuck', ({ mutate, says, confidence }) => {
    const evidence = evidenceFrom(loadObjects(PDE));
    mutate(evidence.deployment!);
    const [finding] = rolloutStuckAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ category: 'rollout_stuck', actions: ['escalate'], confidence });
    expect(finding!.cause).toContain(says);
  });

  it('a healthy Deployment → no finding', () => {
    expect(rolloutStuckAnalyzer.analyze(healthy())).toEqual([]);
  });
});

describe('deployment.bad_rollout', () => {
  it('names both revisions and what changed, rollback first', () => {
    const [finding, ...rest] = badRolloutAnalyzer.analyze(badRolloutEvidence());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'bad_rollout',
      actions: ['rollback', 'escalate'],
      confidence: 0.95,
      subject: 'Deployment/checkout',
      params: { fromRevision: 2, toRevision: 1, replicaSet: 'checkout-6d4cf56db6' },
    });
    expect(finding!.cause).toContain('The failure began with revision 2');
    expect(finding!.cause).toContain('while revision 1 was healthy');
    expect(finding!.cause).toContain('image registry.example.com/shop/checkout:1.4.2 → registry.example.com/shop/checkout:1.5.0');
    expect(finding!.evidence).toEqual([
      'Latest revision 2 (ReplicaSet checkout-7f9b8c5d4): 0 available, 0 ready of 1; image registry.example.com/shop/checkout:1.5.0',
      'Healthy revision 1 (ReplicaSet checkout-6d4cf56db6): 3 available, 3 ready of 3; image registry.example.com/shop/checkout:1.4.2',
      'Changed from revision 1 to 2: container checkout image registry.example.com/shop/checkout:1.4.2 → registry.example.com/shop/checkout:1.5.0',
      'Changed from revision 1 to 2: container checkout env added PAYMENT_API_URL',
      'Changed from revision 1 to 2: container checkout limits.memory 256Mi → 192Mi',
      'Pod checkout-7f9b8c5d4-p7m2x (revision 2): container checkout CrashLoopBackOff',
    ]);
  });

  it('makes the crash loop of the new revision rollback-first, with the log hint attached', () => {
    const crash = analyze(badRolloutEvidence()).find((f) => f.category === 'crash_loop')!;
    expect(crash.actions).toEqual(['rollback', 'restart', 'escalate']);
    expect(crash.params).toMatchObject({ toRevision: 1, exitCode: 1 });
    expect(crash.evidence).toContain('Log checkout (previous instance): 2026-03-02T10:27:41.733Z ERROR config: PAYMENT_API_URL "payments.shop.svc:8443" is not a valid URL: missing scheme');
  });

  it.each([
    {
      name: 'the older revision never had available replicas or healthy pods',
      mutate: (objects: KObject[]) => objects.filter((o) => !(o.kind === 'Pod' && o.metadata!.name!.startsWith('checkout-6d4cf56db6'))).map((o) => {
        if (o.kind === 'ReplicaSet' && o.metadata!.name === 'checkout-6d4cf56db6') (o as ReplicaSet).status = { replicas: 0 };
        return o;
      }),
    },
    { name: 'there is a single revision', mutate: (objects: KObject[]) => objects.filter((o) => !(o.kind === 'ReplicaSet' && o.metadata!.name === 'checkout-6d4cf56db6')) },
    { name: 'the newest revision is healthy', mutate: () => loadObjects('healthy.synthetic.yaml') },
  ])('no bad_rollout when $name', ({ mutate }) => {
    const evidence = evidenceFrom(mutate(loadObjects(BAD_ROLLOUT)), { collectedAt: NOW });
    expect(badRolloutAnalyzer.analyze(evidence)).toEqual([]);
  });

  it('is less sure when only some pods of the new revision fail', () => {
    const objects = loadObjects(BAD_ROLLOUT);
    const healthyNew = structuredClone(objects.find((o) => o.metadata?.name === 'checkout-6d4cf56db6-4x2lq')!);
    healthyNew.metadata = { ...healthyNew.metadata, name: 'checkout-7f9b8c5d4-ok001', ownerReferences: [{ kind: 'ReplicaSet', name: 'checkout-7f9b8c5d4' }] };
    const [finding] = badRolloutAnalyzer.analyze(evidenceFrom([...objects, healthyNew], { collectedAt: NOW }));
    expect(finding).toMatchObject({ confidence: 0.8, actions: ['rollback', 'escalate'] });
    expect(finding!.cause).toContain('1 of 2 of its pods fail');
  });

  it('a restart-only revision (identical pod spec) is not rolled back', () => {
    const objects = loadObjects(BAD_ROLLOUT);
    const [oldRs, newRs] = ['checkout-6d4cf56db6', 'checkout-7f9b8c5d4'].map((n) => objects.find((o) => o.metadata?.name === n) as ReplicaSet);
    newRs!.spec!.template = structuredClone(oldRs!.spec!.template);
    const evidence = evidenceFrom(objects, { collectedAt: NOW });
    expect(badRolloutAnalyzer.analyze(evidence)[0]).toMatchObject({ actions: ['escalate'], confidence: 0.6 });
    expect(analyze(evidence).find((f) => f.category === 'crash_loop')!.actions[0]).toBe('restart');
  });

  it('finds the newest healthy revision, skipping a failed one in between', () => {
    const objects = loadObjects(BAD_ROLLOUT);
    const middle = structuredClone(objects.find((o) => o.metadata?.name === 'checkout-7f9b8c5d4')) as ReplicaSet;
    middle.metadata!.name = 'checkout-55c6d7e8f9';
    middle.metadata!.annotations = { 'deployment.kubernetes.io/revision': '2' };
    const newest = objects.find((o) => o.metadata?.name === 'checkout-7f9b8c5d4') as ReplicaSet;
    newest.metadata!.annotations = { 'deployment.kubernetes.io/revision': '3' };
    const bad = findBadRollout(evidenceFrom([...objects, middle], { collectedAt: NOW }));
    expect([bad?.latest.number, bad?.healthy.number]).toEqual([3, 1]);
  });
});

describe('templateChanges', () => {
  it('lists env names but never env values', () => {
    const before = { spec: { containers: [{ name: 'app', image: 'a:1', env: [{ name: 'TOKEN', value: 's3cr3t-old' }, { name: 'GONE', value: 'x' }] }] } };
    const after = { spec: { containers: [{ name: 'app', image: 'a:1', env: [{ name: 'TOKEN', value: 's3cr3t-new' }, { name: 'NEW', value: 'y' }] }] } };
    const changes = templateChanges(before, after);
    expect(changes).toEqual(['container app env added NEW', 'container app env removed GONE', 'container app env value changed: TOKEN']);
    expect(changes.join(' ')).not.toMatch(/s3cr3t/);
  });

  it.each([
    [{ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }, { containers: [{ name: 'a', resources: { requests: { cpu: '3' } } }] }, ['container a requests.cpu 100m → 3']],
    [{ containers: [{ name: 'a' }] }, { containers: [{ name: 'a' }, { name: 'sidecar', image: 'envoy:1.30' }] }, ['container sidecar added (image envoy:1.30)']],
    [{ containers: [{ name: 'a', livenessProbe: { periodSeconds: 10 } }] }, { containers: [{ name: 'a', livenessProbe: { periodSeconds: 1 } }] }, ['container a changed: livenessProbe']],
    [{ containers: [{ name: 'a' }], serviceAccountName: 'x' }, { containers: [{ name: 'a' }], serviceAccountName: 'y' }, ['pod spec changed: serviceAccountName']],
    [{ containers: [{ name: 'a' }] }, { containers: [{ name: 'a' }] }, []],
  ])('%j → %j', (before, after, expected) => {
    expect(templateChanges({ spec: before }, { spec: after })).toEqual(expected);
  });
});

describe('job.failed', () => {
  it('BackoffLimitExceeded with the newest pod exit code and log lines → escalate', () => {
    const evidence = evidenceFrom(loadObjects('job-backoff-limit.synthetic.yaml'), { collectedAt: NOW, logs: loadLogs('job-backoff-limit.synthetic.logs.yaml') });
    const [finding, ...rest] = jobFailedAnalyzer.analyze(evidence);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({
      category: 'job_failed',
      actions: ['escalate'],
      subject: 'Job/db-backup-29012345',
      params: { job: 'db-backup-29012345', failed: 3, backoffLimit: 2, exitCode: 1 },
    });
    expect(finding!.cause).toBe(
      "Job db-backup-29012345 reached its backoff limit after 3 failed pod(s) (backoffLimit 2); its pods' container backup ended with exit code 1 (application error)",
    );
    expect(finding!.evidence[0]).toBe('Job db-backup-29012345: condition Failed=True (BackoffLimitExceeded): Job has reached the specified backoff limit');
    expect(finding!.evidence.at(-1)).toContain('password authentication failed for user "backup"');
    expect(bestFinding(evidence)!.category).toBe('job_failed');
  });

  it('a running Job → no finding', () => {
    const evidence = evidenceFrom(loadObjects('job-backoff-limit.synthetic.yaml'));
    evidence.job!.status = { active: 1 };
    expect(jobFailedAnalyzer.analyze(evidence)).toEqual([]);
  });
});

describe('node analyzers', () => {
  const evidence = evidenceFrom(loadObjects('nodes.synthetic.yaml'), { collectedAt: NOW, target: { kind: 'Node', namespace: '', name: 'worker-1' } });

  it.each([
    { node: 'worker-1', status: 'Unknown', says: 'its kubelet stopped reporting status' },
    { node: 'worker-4', status: 'False', says: 'cni plugin not initialized' },
  ])('$node Ready=$status → node_not_ready, escalate', ({ node, status, says }) => {
    const finding = nodeNotReadyAnalyzer.analyze(evidence).find((f) => f.subject === `Node/${node}`)!;
    expect(finding).toMatchObject({ category: 'node_not_ready', actions: ['escalate'], params: { node, status } });
    expect(finding.cause).toContain(`Node ${node} is NotReady (Ready=${status})`);
    expect(finding.cause).toContain(says);
  });

  it('lists the affected pods and taints of a NotReady node', () => {
    const finding = nodeNotReadyAnalyzer.analyze(evidence).find((f) => f.subject === 'Node/worker-1')!;
    expect(finding.evidence).toContain('Node worker-1: runs pods of the target: ledger-0');
    expect(finding.evidence).toContain('Node worker-1: taints node.kubernetes.io/unreachable:NoSchedule, node.kubernetes.io/unreachable:NoExecute');
  });

  it.each([
    { node: 'worker-2', pressure: 'DiskPressure', says: 'low on disk' },
    { node: 'worker-4', pressure: 'MemoryPressure,PIDPressure', says: 'low on memory and process IDs' },
  ])('$node $pressure → node_pressure', ({ node, pressure, says }) => {
    const finding = nodePressureAnalyzer.analyze(evidence).find((f) => f.subject === `Node/${node}`)!;
    expect(finding).toMatchObject({ category: 'node_pressure', actions: ['escalate'], params: { pressure } });
    expect(finding.cause).toContain(says);
  });

  it('healthy nodes and Unknown pressure conditions → no finding', () => {
    expect(nodeNotReadyAnalyzer.analyze(evidence).map((f) => f.subject)).toEqual(['Node/worker-1', 'Node/worker-4']);
    expect(nodePressureAnalyzer.analyze(evidence).map((f) => f.subject)).toEqual(['Node/worker-2', 'Node/worker-4']);
  });
});

describe('hpa.maxed', () => {
  const hpas = loadObjects('hpa.synthetic.yaml') as HorizontalPodAutoscaler[];
  it.each([
    { name: 'web', found: true, confidence: 0.8, says: 'capped at its maximum of 10 replicas while the load asks for more' },
    { name: 'worker', found: true, confidence: 0.5, says: 'runs Deployment/worker at its maximum of 6 replicas' },
    { name: 'api', found: false },
  ])('HPA $name → found: $found', ({ name, found, confidence, says }) => {
    const evidence = evidenceFrom([hpas.find((h) => h.metadata!.name === name)!]);
    const findings = hpaMaxedAnalyzer.analyze(evidence);
    expect(findings.length).toBe(found ? 1 : 0);
    if (found) {
      expect(findings[0]).toMatchObject({ category: 'hpa_maxed', actions: ['escalate', 'scale'], confidence, subject: `HorizontalPodAutoscaler/${name}` });
      expect(findings[0]!.cause).toContain(says);
    }
  });
});

describe('registry: analyze, bestFinding, rulesOnlyDiagnosis', () => {
  it('has one uniquely named analyzer per line', () => {
    const names = ANALYZERS.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it('ranks every category', () => {
    expect([...CATEGORY_PRIORITY].sort()).toEqual([...CATEGORIES].sort());
  });

  it.each(ANALYZERS.map((a) => [a.name, a] as const))('%s finds nothing in a healthy Deployment', (_, analyzer) => {
    expect(analyzer.analyze(healthy())).toEqual([]);
  });

  it.each([
    { fixture: 'pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml', category: 'crash_loop', action: 'restart', cause: 'exit code 255' },
    { fixture: 'pod-OOMKilled-exit137.kuberay-issue-4356.kubectl-get-yaml.yaml', category: 'oom_killed', action: 'raise_memory', cause: 'memory limit of 2G' },
    { fixture: 'pod-OOMKilled-exit137-CrashLoopBackOff.holmesgpt.translated.yaml', category: 'oom_killed', action: 'raise_memory', cause: 'memory limit of 100Mi' },
    { fixture: 'pod-OOMKilled.holmesgpt.02_what_is_wrong_with_pod.translated.yaml', category: 'oom_killed', action: 'raise_memory', cause: 'memory limit of 50Mi' },
    { fixture: 'pod-ErrImagePull.openconfig-kne.ceos7data.json', category: 'image_pull', action: 'escalate', cause: 'cannot pull image ceos:latest' },
    { fixture: 'pod-ImagePullBackOff-ErrImagePull.holmesgpt.translated.yaml', category: 'image_pull', action: 'escalate', cause: 'yourcompany/crw:latest' },
    { fixture: 'pod-Pending-FailedScheduling-Insufficient-cpu.translated.yaml', category: 'unschedulable', action: 'escalate', cause: 'lack cpu' },
    { fixture: BAD_ROLLOUT, category: 'bad_rollout', action: 'rollback', cause: 'revision 2' },
    { fixture: 'config-errors.synthetic.yaml', category: 'config_error', action: 'escalate', cause: 'cannot' },
    { fixture: 'probes.synthetic.yaml', category: 'probe_failure', action: 'restart', cause: 'Liveness probe of container search fails' },
    { fixture: 'evicted.synthetic.yaml', category: 'evicted', action: 'delete_pod', cause: 'evicted' },
    { fixture: 'init-containers.synthetic.yaml', category: 'init_failure', action: 'escalate', cause: 'Init container db-migrate' },
    { fixture: 'job-backoff-limit.synthetic.yaml', category: 'job_failed', action: 'escalate', cause: 'backoff limit' },
    { fixture: 'nodes.synthetic.yaml', category: 'node_not_ready', action: 'escalate', cause: 'NotReady' },
  ])('$fixture → $category / $action', ({ fixture, category, action, cause }) => {
    const diagnosis = rulesOnlyDiagnosis(evidenceFrom(loadObjects(fixture), { collectedAt: NOW }));
    expect(diagnosis).toMatchObject({ category, action });
    expect(diagnosis.cause).toContain(cause);
    expect(diagnosis.evidence.length).toBeGreaterThan(0);
    expect(diagnosis.finding?.actions[0]).toBe(action);
  });

  it('real HolmesGPT Deployment + its Pending pod: the pod explains the stuck rollout', () => {
    const evidence = evidenceFrom([...loadObjects(PDE), ...loadObjects(PENDING_GPU)], { collectedAt: '2025-06-03T17:13:30Z' });
    expect(analyze(evidence).map((f) => f.category)).toEqual(['unschedulable', 'rollout_stuck']);
    expect(rulesOnlyDiagnosis(evidence)).toMatchObject({ category: 'unschedulable', action: 'escalate' });
  });

  it('sorts by confidence, then category priority (root cause before symptom)', () => {
    const findings = analyze(badRolloutEvidence());
    expect(findings.map((f) => f.category)).toEqual(['bad_rollout', 'crash_loop', 'rollout_stuck']);
    for (let i = 1; i < findings.length; i++) expect(findings[i - 1]!.confidence).toBeGreaterThanOrEqual(findings[i]!.confidence);
  });

  it('merges the same failure across pods into one finding', () => {
    const objects = loadObjects('pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml');
    const copies = ['a', 'b', 'c'].map((suffix) => {
      const pod = structuredClone(objects[0]!);
      pod.metadata!.name = `frontend-service-${suffix}`;
      return pod;
    });
    const findings = analyze(evidenceFrom(copies));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.subject).toBe('Pod/frontend-service-a');
    expect(findings[0]!.params).toMatchObject({ affectedPods: 3 });
    expect(findings[0]!.evidence.filter((l) => l.includes('terminated: exit code 255'))).toHaveLength(3);
  });

  it('no finding → unknown / escalate, naming the evidence gaps', () => {
    const evidence = evidenceFrom(loadObjects('healthy.synthetic.yaml'), { collectedAt: NOW, gaps: ['logs: 500 from API'] });
    expect(bestFinding(evidence)).toBeUndefined();
    expect(rulesOnlyDiagnosis(evidence)).toEqual({
      category: 'unknown',
      action: 'escalate',
      cause: 'No rule matched the evidence; evidence gaps: logs: 500 from API',
      confidence: 0,
      evidence: [],
    });
  });

  it('a config error pod only: one finding per pod, each naming what is missing', () => {
    const objects = loadObjects('config-errors.synthetic.yaml');
    const evidence = evidenceFrom(objectsForPod(objects, 'api-5c8d7b9f6-cm4qz'), { collectedAt: NOW });
    expect(analyze(evidence).map((f) => [f.analyzer, f.category])).toEqual([['pod.config_error', 'config_error']]);
  });
});
