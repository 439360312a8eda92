/**
 * Shared set-up of the action catalog tests: the Kubernetes API fake with the real adapter
 * (`KubernetesCluster` over @kubernetes/client-node), an {@link ActionContext} that records its
 * steps, and builders of StatefulSets, DaemonSets and evidence.
 */
import { KubernetesCluster } from '../../agent/k8s/cluster.ts';
import { gatherEvidence } from '../../agent/evidence.ts';
import { DEFAULT_ACTION_POLICY, type ActionContext, type ActionPolicy, type StepDetail } from '../../agent/actions/index.ts';
import type { Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { startK8sFake, type K8sFake, type RecordedRequest } from '../support/k8s-fake/index.ts';

export const NS = 'shop';

/** A fake API server and the real adapter talking to it. */
export async function startCluster(): Promise<{ fake: K8sFake; cluster: KubernetesCluster }> {
  const fake = await startK8sFake({ rolloutStepMs: 5 });
  return { fake, cluster: new KubernetesCluster(fake.kubeConfig()) };
}

/** Fast verification for tests: 5 s deadline, 10 ms polling. */
export const TEST_POLICY: ActionPolicy = { ...DEFAULT_ACTION_POLICY, verifyTimeoutMs: 5_000, pollMs: 10, maxMemoryBytes: 1024 ** 3 };

/** An ActionContext whose steps are kept in `steps`. */
export function context(cluster: KubernetesCluster, policy: Partial<ActionPolicy> = {}): ActionContext & { steps: Array<{ name: string } & StepDetail> } {
  const steps: Array<{ name: string } & StepDetail> = [];
  return {
    cluster,
    policy: { ...TEST_POLICY, ...policy },
    now: () => new Date(),
    step: async (name, d) => {
      steps.push({ name, ...d });
    },
    steps,
  };
}

/** Evidence as the agent gathers it, through the same adapter. */
export function evidence(cluster: KubernetesCluster, target: TargetRef): Promise<Evidence> {
  return gatherEvidence(cluster, target, { logTailLines: 20, now: new Date() });
}

/** Hand-built evidence for pure `prepare` tests. */
export function bareEvidence(target: TargetRef, extra: Partial<Evidence> = {}): Evidence {
  return { target, collectedAt: '2026-11-21T06:00:00Z', replicaSets: [], pods: [], events: [], logs: [], nodes: [], gaps: [], ...extra };
}

/** Write requests (PATCH/DELETE/POST/PUT) the fake received, optionally only dry-runs or only real ones. */
export function writes(fake: K8sFake, which: 'dry' | 'real' | 'all' = 'all'): RecordedRequest[] {
  return fake.requests.filter(
    (r) => r.method !== 'GET' && (which === 'all' || (which === 'dry') === (r.query.dryRun === 'All')),
  );
}

const container = (image: string) => ({
  name: 'app',
  image,
  resources: { limits: { memory: '256Mi', cpu: '500m' }, requests: { memory: '128Mi', cpu: '100m' } },
});

/** A StatefulSet without status: the fake's controller creates `<name>-0…` in order. */
export function statefulSet(name: string, opts: { replicas?: number; image?: string; podManagementPolicy?: string; updateStrategy?: unknown } = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas: opts.replicas ?? 2,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      ...(opts.podManagementPolicy ? { podManagementPolicy: opts.podManagementPolicy } : {}),
      ...(opts.updateStrategy ? { updateStrategy: opts.updateStrategy } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [container(opts.image ?? `registry.example.com/${name}:1.0`)] } },
    },
  };
}

/** A DaemonSet without status: one pod per seeded Node. */
export function daemonSet(name: string, opts: { image?: string } = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [container(opts.image ?? `registry.example.com/${name}:1.0`)] } },
    },
  };
}

/** Ready Nodes. */
export function nodes(...names: string[]): KObject[] {
  return names.map((name) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }));
}
