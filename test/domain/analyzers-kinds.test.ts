/**
 * The failure kinds and rules of issue 14 on fixtures (test/fixtures/analyzers/new-kinds.synthetic.yaml
 * and the existing ones): misconfigured probes, volumes, quota, PDB, CPU throttling, image
 * architecture, revision attribution for every failure kind, ranking by target, and the
 * StatefulSet crash-loop fallback.
 */
import { describe, expect, it } from 'vitest';
import { configErrorAnalyzer } from '../../domain/analyzers/container-config.ts';
import { analyze, isAboutTarget } from '../../domain/analyzers/index.ts';
import { pdbBlockingAnalyzer } from '../../domain/analyzers/pdb.ts';
import { crashLoopAnalyzer } from '../../domain/analyzers/pod.ts';
import { probeMisconfiguredAnalyzer, probeMistake } from '../../domain/analyzers/probes.ts';
import { parseQuotaMessage, quotaExceededAnalyzer } from '../../domain/analyzers/quota.ts';
import { findBadRollout } from '../../domain/analyzers/revisions.ts';
import { cpuThrottledAnalyzer } from '../../domain/analyzers/throttling.ts';
import { volumeMountFailedAnalyzer, volumeUnboundAnalyzer } from '../../domain/analyzers/volumes.ts';
import { egressAllows, networkBlockedAnalyzer } from '../../domain/analyzers/network.ts';
import { ACTION_KINDS, actionAppliesTo, type Evidence } from '../../domain/diagnosis.ts';
import type { NetworkPolicy, Node, PersistentVolumeClaim, Pod, PodDisruptionBudget, StatefulSet } from '../../domain/k8s-objects.ts';
import { evidenceFrom, loadObjects, objectsForPod } from '../fixtures/analyzers/evidence.ts';

const NOW = '2026-03-02T10:30:00Z';
const KINDS = 'new-kinds.synthetic.yaml';

function podCase(pod: string): Evidence {
  return evidenceFrom(objectsForPod(loadObjects(KINDS), pod), { collectedAt: NOW });
}

function healthy(): Evidence {
  return evidenceFrom(loadObjects('healthy.synthetic.yaml'), { collectedAt: NOW });
}

describe('pod.probe_misconfigured', () => {
  it.each([
    ['api-port-5d8f7c9b6-p1', 'liveness', 'undeclared_port', 'port 8081, which no container of the pod declares (ports 8080)'],
    ['api-named-5d8f7c9b6-p2', 'readiness', 'unknown_port_name', 'the named port "metrics", which the container does not declare (names http)'],
    ['worker-exec-6c9d-p3', 'liveness', 'exec_command_missing', 'exec command "curl -f http://localhost:9000/health" does not exist in the image'],
  ])('%s: %s probe, %s → escalate', (pod, probe, mistake, says) => {
    const findings = analyze(podCase(pod));
    expect(findings[0]).toMatchObject({ analyzer: 'pod.probe_misconfigured', category: 'probe_misconfigured', actions: ['escalate'], params: { probe, mistake } });
    expect(findings[0]!.cause).toContain(says);
    expect(findings[0]!.cause).toContain('a restart cannot fix it');
  });

  it('a probe on a declared port, or a pod that declares no ports, is not misconfigured', () => {
    const evidence = podCase('api-port-5d8f7c9b6-p1');
    const container = evidence.pods[0]!.spec!.containers[0]!;
    expect(probeMistake({ httpGet: { port: 8080 } }, container, evidence.pods[0]!, [])).toBeUndefined();
    delete container.ports;
    expect(probeMisconfiguredAnalyzer.analyze(evidence)).toEqual([]);
  });

  it('the existing failing probes (HTTP 500, refused on the declared port) stay probe_failure', () => {
    const evidence = evidenceFrom(loadObjects('probes.synthetic.yaml'), { collectedAt: NOW });
    expect(probeMisconfiguredAnalyzer.analyze(evidence)).toEqual([]);
  });

  it('rollback first when the healthy revision had a different probe', () => {
    const evidence = badRolloutWith((pod) => {
      pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { running: {} } }] };
    });
    const template = evidence.replicaSets.find((rs) => rs.metadata?.name === 'web-8f9a0b1c2')!.spec!.template!.spec!.containers[0]!;
    template.readinessProbe = { httpGet: { path: '/ready', port: 9090 } };
    template.ports = [{ containerPort: 8080 }];
    const pod = evidence.pods.find((p) => p.metadata?.name === 'web-8f9a0b1c2-n3w1')!;
    pod.spec!.containers[0] = structuredClone(template);
    evidence.events.push({
      kind: 'Event',
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: Get "http://10.244.1.9:9090/ready": dial tcp 10.244.1.9:9090: connect: connection refused',
      lastTimestamp: NOW,
      involvedObject: { kind: 'Pod', name: 'web-8f9a0b1c2-n3w1', fieldPath: 'spec.containers{web}' },
    });
    const [finding] = probeMisconfiguredAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ actions: ['rollback', 'escalate'], params: { toRevision: 3 } });
  });
});

describe('volumes', () => {
  it('unbound PVC: volume_unbound, naming the claim and why it does not bind', () => {
    const objects = loadObjects(KINDS);
    const evidence = evidenceFrom([...objectsForPod(objects, 'db-0'), ...objectsForPod(objects, 'data-db-0')], { collectedAt: NOW });
    const [finding] = volumeUnboundAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ category: 'volume_unbound', actions: ['escalate'], params: { claims: 'data-db-0' } });
    expect(finding!.cause).toContain('PersistentVolumeClaim data-db-0 is not bound to a volume: storageclass.storage.k8s.io "fast-ssd" not found');
    expect(analyze(evidence)[0]!.category).toBe('volume_unbound');
  });

  it('Multi-Attach: volume_mount_failed with the specific message, not the generic timeout', () => {
    const [finding] = volumeMountFailedAnalyzer.analyze(podCase('grafana-7f6d8c9b5-m4'));
    expect(finding).toMatchObject({ category: 'volume_mount_failed', actions: ['escalate'], params: { multiAttach: 1, volume: 'pvc-0f3c2a1e-9b7d-4e55-8d2a-1c6f0e9b7a31' } });
    expect(finding!.cause).toContain('cannot be attached');
  });

  it('a missing ConfigMap volume stays config_error', () => {
    const evidence = evidenceFrom(loadObjects('config-errors.synthetic.yaml'), { collectedAt: NOW });
    expect(volumeMountFailedAnalyzer.analyze(evidence)).toEqual([]);
  });
});

describe('workload.quota_exceeded', () => {
  it.each([
    [
      'Error creating: pods "x" is forbidden: exceeded quota: compute-resources, requested: limits.memory=1Gi, used: limits.memory=7680Mi, limited: limits.memory=8Gi',
      { quota: 'compute-resources', requested: 'limits.memory=1Gi', used: 'limits.memory=7680Mi', limited: 'limits.memory=8Gi' },
    ],
    ['Error creating: pods "x" is forbidden: failed quota: compute: must specify limits.cpu for: app; requests.cpu for: app', { quota: 'compute', mustSpecify: 'limits.cpu for: app; requests.cpu for: app' }],
    ['Error creating: pods "x" is forbidden: exceeded quota: pods-max', { quota: 'pods-max' }],
  ])('parses %s', (message, parsed) => {
    expect(parseQuotaMessage(message)).toEqual(parsed);
  });

  it('FailedCreate on the ReplicaSet → quota_exceeded, outranking the stuck rollout', () => {
    const evidence = healthy();
    evidence.events = loadObjects(KINDS).filter((o) => o.kind === 'Event' && o.reason === 'FailedCreate') as Evidence['events'];
    const [finding] = quotaExceededAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ category: 'quota_exceeded', actions: ['escalate'], subject: 'ReplicaSet/checkout-6b7c8d9f4', params: { quota: 'compute-resources' } });
    expect(finding!.cause).toBe('Pods cannot be created in namespace shop: ResourceQuota compute-resources is used up (requested limits.memory=1Gi; used limits.memory=7680Mi of limits.memory=8Gi)');
  });
});

describe('pdb.blocking', () => {
  function withPdb(): Evidence {
    const evidence = healthy();
    evidence.pdb = loadObjects(KINDS).find((o) => o.kind === 'PodDisruptionBudget') as PodDisruptionBudget;
    return evidence;
  }

  it('a budget allowing no disruption of healthy pods, with a cordoned node waiting to drain → 0.85', () => {
    const evidence = withPdb();
    evidence.nodes = [{ kind: 'Node', metadata: { name: 'worker-3' }, spec: { unschedulable: true } } as Node];
    const [finding] = pdbBlockingAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ category: 'pdb_blocking', actions: ['escalate'], confidence: 0.85, subject: 'PodDisruptionBudget/web' });
    expect(finding!.cause).toContain('(minAvailable 2) allows no voluntary disruption with 2 of 2 pods healthy');
    expect(finding!.cause).toContain('node worker-3 is cordoned');
  });

  it('without a drain waiting it is a standing risk (0.55); with unhealthy pods it is not the cause', () => {
    expect(pdbBlockingAnalyzer.analyze(withPdb())[0]!.confidence).toBe(0.55);
    const unhealthy = withPdb();
    unhealthy.pdb!.status!.currentHealthy = 1;
    expect(pdbBlockingAnalyzer.analyze(unhealthy)).toEqual([]);
  });
});

describe('container.cpu_throttled', () => {
  it('CPUThrottlingHigh names the container and its CPU limit; other alerts say nothing', () => {
    const evidence = healthy();
    evidence.deployment!.spec!.template!.spec!.containers[0]!.resources = { limits: { cpu: '250m', memory: '256Mi' } };
    expect(cpuThrottledAnalyzer.analyze(evidence)).toEqual([]);
    evidence.alertname = 'CPUThrottlingHigh';
    const [finding] = analyze(evidence);
    expect(finding).toMatchObject({ category: 'cpu_throttled', actions: ['escalate'], params: { container: 'web', cpuLimit: '250m' } });
    expect(finding!.cause).toContain('limit of 250m');
  });
});

describe('image_arch_mismatch from a start error', () => {
  it('StartError "exec format error" → image_arch_mismatch', () => {
    const evidence = podCase('api-port-5d8f7c9b6-p1');
    const status = evidence.pods[0]!.status!.containerStatuses![0]!;
    status.lastState = { terminated: { exitCode: 128, reason: 'StartError', message: 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/app/api": exec format error: unknown' } };
    status.state = { waiting: { reason: 'CrashLoopBackOff' } };
    const [finding] = configErrorAnalyzer.analyze(evidence);
    expect(finding).toMatchObject({ category: 'image_arch_mismatch', actions: ['escalate'] });
    expect(finding!.cause).toContain('another CPU architecture');
  });
});

/** The healthy Deployment with a third revision `web-8f9a0b1c2` whose one pod is set up by `mutate`. */
function badRolloutWith(mutate: (pod: Pod) => void): Evidence {
  const evidence = healthy();
  const old = evidence.replicaSets.find((rs) => rs.metadata?.name === 'web-5d9c7b8f6')!;
  const rs = structuredClone(old);
  rs.metadata = { ...rs.metadata, name: 'web-8f9a0b1c2', annotations: { 'deployment.kubernetes.io/revision': '4' }, labels: { 'pod-template-hash': '8f9a0b1c2' } };
  rs.spec!.template!.spec!.containers[0]!.image = 'nginx:1.28';
  rs.status = { replicas: 1 };
  old.metadata!.annotations = { 'deployment.kubernetes.io/revision': '3' };
  evidence.replicaSets.unshift(rs);
  const pod = structuredClone(evidence.pods[0]!);
  pod.metadata = { name: 'web-8f9a0b1c2-n3w1', namespace: 'shop', ownerReferences: [{ kind: 'ReplicaSet', name: 'web-8f9a0b1c2', controller: true }] };
  pod.spec!.containers[0]!.image = 'nginx:1.28';
  mutate(pod);
  evidence.pods.push(pod);
  return evidence;
}

describe('revision attribution for every failure kind', () => {
  const event = (pod: string, reason: string, message: string) => ({ kind: 'Event', type: 'Warning', reason, message, lastTimestamp: NOW, involvedObject: { kind: 'Pod', name: pod } });

  it.each([
    ['a readiness probe', (p: Pod) => void (p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { running: {} } }] }), event('web-8f9a0b1c2-n3w1', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503'), 'Readiness probe failing'],
    ['scheduling', (p: Pod) => void (p.status = { phase: 'Pending' }), event('web-8f9a0b1c2-n3w1', 'FailedScheduling', '0/3 nodes are available: 3 node(s) didn\'t match Pod\'s node affinity/selector.'), 'unschedulable'],
    ['a volume', (p: Pod) => void (p.status = { phase: 'Pending' }), event('web-8f9a0b1c2-n3w1', 'FailedMount', 'MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found'), 'volume cannot be mounted'],
    ['an init container', (p: Pod) => void (p.status = { phase: 'Pending', initContainerStatuses: [{ name: 'wait-db', ready: false, state: { running: { startedAt: '2026-03-02T10:10:00Z' } } }] }), undefined, 'init container wait-db does not finish'],
  ])('the new revision failing by %s → bad_rollout/rollback naming what changed', (_, mutate, ev, problem) => {
    const evidence = badRolloutWith(mutate);
    if (ev) evidence.events.push(ev as Evidence['events'][number]);
    const bad = findBadRollout(evidence);
    expect(bad?.failing.map((f) => f.problem)).toEqual([problem]);
    const [best] = analyze(evidence);
    expect(best).toMatchObject({ category: 'bad_rollout', actions: ['rollback', 'escalate'], params: { fromRevision: 4, toRevision: 3 } });
    expect(best!.cause).toContain('container web image nginx:1.27 → nginx:1.28');
  });

  it('a Pending pod with no event yet is starting, not failing', () => {
    expect(findBadRollout(badRolloutWith((p) => void (p.status = { phase: 'Pending' })))).toBeUndefined();
  });
});

describe('ranking by target', () => {
  function nodeTarget(): Evidence {
    const nodes = loadObjects('nodes.synthetic.yaml').filter((o) => o.kind === 'Node' && o.metadata?.name === 'worker-2');
    const evicted = loadObjects('evicted.synthetic.yaml').filter((o) => o.kind === 'Pod' && (o as Pod).status?.reason === 'Evicted');
    for (const pod of evicted as Pod[]) pod.spec!.nodeName = 'worker-2';
    return evidenceFrom([...nodes, ...evicted], { collectedAt: NOW, target: { kind: 'Node', namespace: '', name: 'worker-2' } });
  }

  it("on a Node target the node's own pressure outranks the evictions it caused, and no pod-level action is proposed", () => {
    const findings = analyze(nodeTarget());
    expect(findings[0]).toMatchObject({ category: 'node_pressure', subject: 'Node/worker-2', actions: ['escalate'] });
    const evicted = findings.find((f) => f.category === 'evicted')!;
    expect(evicted.confidence).toBeGreaterThan(findings[0]!.confidence);
    expect(evicted.actions).toEqual(['escalate']);
    expect(isAboutTarget(evicted, nodeTarget().target)).toBe(false);
  });

  it.each(ACTION_KINDS.map((a) => [a] as const))('%s applies to a Node only if it is escalate or none', (action) => {
    expect(actionAppliesTo(action, 'Node')).toBe(action === 'escalate' || action === 'none');
  });
});

describe('fallback actions', () => {
  function statefulSetCrash(policy?: string): Evidence {
    const evidence = evidenceFrom(loadObjects('pod-CrashLoopBackOff-exit255.holmesgpt.kubectl-get-yaml.yaml'), { collectedAt: '2025-08-23T12:20:00Z' });
    const pod = evidence.pods[0]!;
    pod.metadata!.ownerReferences = [{ kind: 'StatefulSet', name: 'frontend', controller: true }];
    evidence.target = { kind: 'StatefulSet', namespace: 'default', name: 'frontend' };
    evidence.statefulSet = { kind: 'StatefulSet', metadata: { name: 'frontend' }, spec: policy ? { podManagementPolicy: policy } : {} } as StatefulSet;
    return evidence;
  }

  it('a crash-looping pod of an OrderedReady StatefulSet offers delete_pod after restart (restart stalls there)', () => {
    expect(crashLoopAnalyzer.analyze(statefulSetCrash())[0]!.actions).toEqual(['restart', 'delete_pod', 'escalate']);
    expect(crashLoopAnalyzer.analyze(statefulSetCrash('Parallel'))[0]!.actions).toEqual(['restart', 'escalate']);
  });
});

describe('pod.network_blocked', () => {
  function ordersEvidence(log: string): Evidence {
    const objects = loadObjects(KINDS);
    const evidence = evidenceFrom(objectsForPod(objects, 'orders-7d6c5b4a3-z9'), {
      collectedAt: NOW,
      logs: [{ pod: 'orders-7d6c5b4a3-z9', container: 'orders', previous: true, lines: ['starting', log] }],
    });
    evidence.networkPolicies = objects.filter((o) => o.kind === 'NetworkPolicy') as NetworkPolicy[];
    return evidence;
  }

  it.each([
    ['dial tcp: lookup postgres.shop.svc on 10.96.0.10:53: read udp 10.244.1.9:41234->10.96.0.10:53: i/o timeout', 'DNS (port 53)', 53],
    ['dial tcp 10.96.40.2:6379: i/o timeout', 'port 6379 (10.96.40.2:6379)', 6379],
  ])('egress policy without a rule for the port: %s → network_blocked', (line, says, port) => {
    const [best] = analyze(ordersEvidence(line));
    expect(best).toMatchObject({ analyzer: 'pod.network_blocked', category: 'network_blocked', actions: ['escalate'], params: { policies: 'orders-egress', port } });
    expect(best!.cause).toContain(`NetworkPolicy orders-egress selects pod orders-7d6c5b4a3-z9 for egress and allows no traffic to ${says}`);
  });

  it('an allowed port, a policy that selects other pods, or an Ingress-only policy blocks nothing', () => {
    expect(networkBlockedAnalyzer.analyze(ordersEvidence('dial tcp 10.96.31.4:5432: i/o timeout'))).toEqual([]);
    const other = ordersEvidence('Temporary failure in name resolution');
    other.networkPolicies![0]!.spec!.podSelector = { matchLabels: { app: 'billing' } };
    expect(networkBlockedAnalyzer.analyze(other)).toEqual([]);
    const ingress = ordersEvidence('Temporary failure in name resolution');
    ingress.networkPolicies![0]!.spec!.policyTypes = ['Ingress'];
    expect(networkBlockedAnalyzer.analyze(ingress)).toEqual([]);
  });

  it.each([
    [[{ ports: [{ protocol: 'UDP', port: 53 }] }], 53, true],
    [[{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }], 6379, true],
    [[{ ports: [{ port: 30000, endPort: 32767 }] }], 31000, true],
    [[{ ports: [{ port: 5432 }] }], 53, false],
    [[], 53, false],
  ])('egress rules %j allow port %i: %s', (egress, port, allowed) => {
    expect(egressAllows([{ kind: 'NetworkPolicy', spec: { policyTypes: ['Egress'], egress } } as NetworkPolicy], port)).toBe(allowed);
  });
});

describe('volume_unbound with the claim and StorageClass read', () => {
  it('names the StorageClass the API server does not know', () => {
    const objects = loadObjects(KINDS);
    const evidence = evidenceFrom(objectsForPod(objects, 'db-0'), { collectedAt: NOW });
    evidence.claims = [{ kind: 'PersistentVolumeClaim', metadata: { name: 'data-db-0', namespace: 'data' }, spec: { storageClassName: 'fast-ssd' }, status: { phase: 'Pending' } } as PersistentVolumeClaim];
    evidence.missingStorageClasses = ['fast-ssd'];
    const [finding] = volumeUnboundAnalyzer.analyze(evidence);
    expect(finding!.cause).toBe('Pod cannot be scheduled: its PersistentVolumeClaim data-db-0 is not bound to a volume: its StorageClass fast-ssd does not exist');
    expect(finding!.evidence).toContain('PersistentVolumeClaim data-db-0: phase Pending, storageClassName fast-ssd');
    expect(finding!.params).toMatchObject({ missingStorageClass: 'fast-ssd' });
  });
});
