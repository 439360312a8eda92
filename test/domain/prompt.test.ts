import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MODEL_ACTION_KINDS, CATEGORIES } from '../../domain/diagnosis.ts';
import type { Evidence, Finding } from '../../domain/diagnosis.ts';
import type { Deployment, KEvent, Pod, ReplicaSet } from '../../domain/k8s-objects.ts';
import {
  ACTION_DESCRIPTIONS,
  buildDiagnosisPrompt,
  collapseLogLines,
  estimateTokens,
  evidenceIdentifiers,
  formatActionCatalog,
} from '../../domain/prompt.ts';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/k8s-failure-states/', import.meta.url));

/** The kuberay issue 4356 pod: lastState OOMKilled (exit 137), env with a secretKeyRef. */
function kuberayPod(): Pod {
  return parse(readFileSync(`${FIXTURES}pod-OOMKilled-exit137.kuberay-issue-4356.kubectl-get-yaml.yaml`, 'utf8')) as Pod;
}

function rs(name: string, revision: number, image: string, env: NonNullable<NonNullable<NonNullable<ReplicaSet['spec']>['template']>['spec']>['containers'][number]['env'], memory: string): ReplicaSet {
  return {
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'shop',
      creationTimestamp: `2024-05-0${revision}T10:00:00Z`,
      annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      ownerReferences: [{ kind: 'Deployment', name: 'api' }],
    },
    spec: {
      replicas: revision === 4 ? 3 : 0,
      template: { spec: { containers: [{ name: 'api', image, env, command: ['/api'], args: [`--mode=${revision}`], resources: { limits: { memory } } }] } },
    },
    status: { readyReplicas: 0 },
  };
}

function event(reason: string, message: string, time: string, extra: Partial<KEvent> = {}): KEvent {
  return { type: 'Warning', reason, message, lastTimestamp: time, count: 1, involvedObject: { kind: 'Pod', name: 'api-7c9-x2', namespace: 'shop' }, ...extra };
}

function crashPod(name: string): Pod {
  return {
    kind: 'Pod',
    metadata: { name, namespace: 'shop' },
    spec: { nodeName: 'node-a', containers: [{ name: 'api', image: 'acme/api:2.0', resources: { limits: { memory: '256Mi' } } }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'api',
          ready: false,
          restartCount: 7,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=api' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-04T10:05:00Z' } },
        },
      ],
    },
  };
}

/** A Deployment whose latest revision (4) changed the image and env and crash-loops. */
function deploymentEvidence(logLines = 0): Evidence {
  const deployment: Deployment = {
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'shop', annotations: { 'deployment.kubernetes.io/revision': '4' } },
    spec: { replicas: 3 },
    status: {
      updatedReplicas: 3,
      readyReplicas: 0,
      availableReplicas: 0,
      unavailableReplicas: 3,
      conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
    },
  };
  const secretEnv = { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db-creds', key: 'db-password-key' } } };
  const lines: string[] = [];
  for (let i = 0; i < logLines; i++) {
    lines.push(i % 50 === 7 ? `2024-05-04T10:04:${String(i % 60).padStart(2, '0')}Z ERROR connection refused to db:5432 attempt ${i}` : `2024-05-04T10:04:00Z INFO request ${i} served in ${i % 13}ms path=/items/${i}`);
  }
  return {
    target: { kind: 'Deployment', namespace: 'shop', name: 'api', container: 'api' },
    collectedAt: '2024-05-04T10:06:00Z',
    deployment,
    replicaSets: [
      rs('api-6b8', 3, 'acme/api:1.9', [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'OLD_FLAG', value: 'x' }, { ...secretEnv, valueFrom: { secretKeyRef: { name: 'db-creds-old', key: 'pw' } } }], '512Mi'),
      rs('api-7c9', 4, 'acme/api:2.0', [{ name: 'LOG_LEVEL', value: 'plain-value-never-shown' }, { name: 'NEW_FLAG', value: 'y' }, secretEnv], '256Mi'),
    ],
    pods: [crashPod('api-7c9-x2'), crashPod('api-7c9-y3'), crashPod('api-7c9-z4')],
    events: [
      event('BackOff', 'Back-off restarting failed container api in pod api-7c9-x2', '2024-05-04T10:05:30Z', { count: 5 }),
      event('BackOff', 'Back-off restarting failed container api in pod api-7c9-x2', '2024-05-04T10:02:00Z', { count: 3 }),
      event('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', '2024-05-04T10:01:00Z'),
      { ...event('Pulled', 'Successfully pulled image "acme/api:2.0"', '2024-05-04T10:06:00Z'), type: 'Normal' },
    ],
    logs: [{ pod: 'api-7c9-x2', container: 'api', previous: true, lines }],
    nodes: [
      {
        kind: 'Node',
        metadata: { name: 'node-a' },
        status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory' }] },
      },
    ],
    hpa: { kind: 'HorizontalPodAutoscaler', metadata: { name: 'api' }, spec: { minReplicas: 2, maxReplicas: 3 }, status: { currentReplicas: 3, desiredReplicas: 3 } },
    gaps: [],
  };
}

const FINDINGS: Finding[] = [
  {
    analyzer: 'deployment.bad_rollout',
    category: 'bad_rollout',
    cause: 'Pods of revision 4 crash-loop; revision 3 was healthy',
    evidence: ['image acme/api:1.9 -> acme/api:2.0', 'restarts 7'],
    actions: ['rollback', 'escalate'],
    confidence: 0.85,
    subject: 'Deployment/api',
  },
  {
    analyzer: 'pod.crash_loop',
    category: 'crash_loop',
    cause: 'Container api exits with code 1 (application error)',
    evidence: ['CrashLoopBackOff', 'exit code 1'],
    actions: ['restart', 'escalate'],
    confidence: 0.9,
    subject: 'Pod/api-7c9-x2',
    params: { container: 'api' },
  },
];

describe('action catalog', () => {
  it('describes every catalog action in one line', () => {
    const text = formatActionCatalog();
    for (const kind of MODEL_ACTION_KINDS) {
      expect(ACTION_DESCRIPTIONS[kind].summary).not.toContain('\n');
      expect(text).toContain(`- ${kind}: `);
    }
    expect(text.split('\n')).toHaveLength(MODEL_ACTION_KINDS.length);
    expect(text).not.toContain('apply_manifest');
  });
});

describe('buildDiagnosisPrompt', () => {
  it('lists categories, catalog and answer fields in the system prompt, and no cluster data', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    for (const c of CATEGORIES) expect(p.system).toContain(c);
    expect(p.system).toContain(formatActionCatalog());
    for (const field of ['summary', 'probableCause', 'category', 'confidence', 'action', 'params', 'reasoning']) expect(p.system).toContain(`"${field}"`);
    expect(p.system).not.toContain('shop');
  });

  it('puts target and findings first, best finding first', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    expect(p.user.startsWith('## Target\nTarget: shop/Deployment/api (container api)')).toBe(true);
    const order = ['## Target', '## Findings', '## Pods', '## Warning events', '## Rollout', '## Cluster context'].map((h) => p.user.indexOf(h));
    expect(order.every((pos, i) => pos >= 0 && (i === 0 || pos > (order[i - 1] ?? 0)))).toBe(true);
    expect(p.user.indexOf('1. crash_loop (confidence 0.90')).toBeLessThan(p.user.indexOf('2. bad_rollout (confidence 0.85'));
    expect(p.user).toContain('fitting actions: restart, escalate params {"container":"api"}');
    expect(p.truncated).toEqual([]);
  });

  it('never includes secret values, secretKeyRef sources, env values, or command args', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    const text = p.system + p.user;
    for (const hidden of ['db-creds', 'db-password-key', 'secretKeyRef', 'plain-value-never-shown', '--mode=']) expect(text).not.toContain(hidden);
    expect(p.user).toContain('container api: env added NEW_FLAG; removed OLD_FLAG; changed LOG_LEVEL, DB_PASSWORD (names only)');
    expect(p.user).toContain('container api: command/args changed');
  });

  it('renders the rollout diff between the latest and the previous revision', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    expect(p.user).toContain('Latest revision 4: ReplicaSet api-7c9 created 2024-05-04T10:00:00Z, ready 0/3');
    expect(p.user).toContain('Previous revision 3: ReplicaSet api-6b8');
    expect(p.user).toContain('container api: image acme/api:1.9 -> acme/api:2.0');
    expect(p.user).toContain('container api: resources limits memory=512Mi -> limits memory=256Mi');
  });

  it('merges identical pods and shows container states', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    expect(p.user).toContain('Pod api-7c9-x2, api-7c9-y3, api-7c9-z4 on node node-a: phase Running');
    expect(p.user).toContain(
      'container api: waiting CrashLoopBackOff: back-off 5m0s restarting failed container=api; last terminated Error (exit 1) at 2024-05-04T10:05:00Z; restarts 7; not ready; limits memory=256Mi',
    );
  });

  it('shows the OOMKilled state and memory limit of a real pod (kuberay fixture) without its secret env', () => {
    const pod = kuberayPod();
    const evidence: Evidence = {
      target: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' },
      collectedAt: '2026-01-08T08:08:00Z',
      replicaSets: [],
      pods: [pod],
      events: [],
      logs: [],
      nodes: [],
      gaps: ['logs: 500 from API'],
    };
    const p = buildDiagnosisPrompt(evidence, [], { budgetTokens: 3000 });
    expect(p.user).toMatch(/container ray-head: .*last terminated OOMKilled \(exit 137\) at 2026-01-08T08:07:10Z/);
    expect(p.user).toContain('limits cpu=500m memory=2G');
    expect(p.user).toContain('None: no analyzer matched the evidence.');
    expect(p.user).toContain('Evidence gaps (could not be read): logs: 500 from API');
    expect(p.user).not.toContain('auth_token');
    expect(p.user).not.toContain('RAY_AUTH_TOKEN');
  });

  it('deduplicates warning events, newest first, and leaves out Normal events', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    const section = p.user.slice(p.user.indexOf('## Warning events'), p.user.indexOf('## Rollout'));
    const lines = section.trim().split('\n').slice(1);
    expect(lines).toEqual([
      '2024-05-04T10:05:30Z BackOff on Pod/api-7c9-x2 (x8): Back-off restarting failed container api in pod api-7c9-x2',
      '2024-05-04T10:01:00Z Unhealthy on Pod/api-7c9-x2 (x1): Readiness probe failed: HTTP probe failed with statuscode: 503',
    ]);
    expect(p.user).not.toContain('Successfully pulled');
  });

  it('groups pods that differ only in restart counts and times, showing the most restarted', () => {
    const e = deploymentEvidence();
    e.pods = [3, 12, 7].map((restarts, i) => {
      const pod = crashPod(`api-7c9-p${i}`);
      const cs = pod.status?.containerStatuses?.[0];
      if (cs) {
        cs.restartCount = restarts;
        if (cs.lastState?.terminated) cs.lastState.terminated.finishedAt = `2024-05-04T10:0${i}:00Z`;
      }
      return pod;
    });
    const p = buildDiagnosisPrompt(e, FINDINGS, { budgetTokens: 3000 });
    expect(p.user).toContain('Pod api-7c9-p1, api-7c9-p2, api-7c9-p0 on node node-a (restarts per pod 3-12; details of the most restarted): phase Running');
    expect(p.user).toContain('at 2024-05-04T10:01:00Z; restarts 12;');
    expect(p.user.match(/^Pod /gm)).toHaveLength(1);
  });

  it('merges the same event on many pods and caps distinct events at 25', () => {
    const e = deploymentEvidence();
    const onPods = Array.from({ length: 10 }, (_, i) =>
      event('BackOff', `Back-off restarting failed container api in pod api-7c9-p${i}`, `2024-05-04T11:00:0${i}Z`, { involvedObject: { kind: 'Pod', name: `api-7c9-p${i}` } }),
    );
    const distinct = Array.from({ length: 40 }, (_, i) => event('FailedMount', `volume v${i} not ready`, `2024-05-04T09:${String(i).padStart(2, '0')}:00Z`));
    e.events = [...onPods, ...distinct];
    const p = buildDiagnosisPrompt(e, FINDINGS, { budgetTokens: 8000 });
    expect(p.user).toContain(
      '2024-05-04T11:00:09Z BackOff on Pod/api-7c9-p0, Pod/api-7c9-p1 (+8 more) (x10): Back-off restarting failed container api in pod api-7c9-p9',
    );
    const section = p.user.slice(p.user.indexOf('## Warning events'), p.user.indexOf('## Rollout'));
    expect(section.match(/FailedMount/g)).toHaveLength(24);
    expect(section).toContain('… 16 older distinct warning events not shown');
    expect(section).toContain('volume v39 not ready');
    expect(section).not.toContain('volume v15 not ready');
  });

  it('shows node pressure and HPA limits as context', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 3000 });
    expect(p.user).toContain('Node node-a: MemoryPressure=True (KubeletHasInsufficientMemory)');
    expect(p.user).toContain('HPA api: min 2, max 3, current 3, desired 3');
  });

  it.each([650, 800, 1200, 2000, 3000, 8000])('fits a budget of %i tokens', (budgetTokens) => {
    const p = buildDiagnosisPrompt(deploymentEvidence(2000), FINDINGS, { budgetTokens });
    expect(p.tokens).toBeLessThanOrEqual(budgetTokens);
    expect(p.tokens).toBe(estimateTokens(p.system) + estimateTokens(p.user));
    expect(p.user).toContain('Target: shop/Deployment/api');
    expect(p.user).toContain('1. crash_loop');
  });

  it('cuts the log tail first and keeps its error lines longest', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(2000), FINDINGS, { budgetTokens: 1500 });
    expect(p.truncated).toEqual(['logs']);
    expect(p.user).toContain('## Rollout history');
    expect(p.user).toContain('## Cluster context');
    expect(p.user).toMatch(/… \d+ more omitted to fit the token budget/);
    const logPart = p.user.slice(p.user.indexOf('## Log tail'));
    const kept = logPart.split('\n').filter((l) => l.startsWith('2024-'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.every((l) => l.includes('ERROR'))).toBe(true);
    // The newest error line is among those kept.
    expect(logPart).toContain('attempt 1957');
  });

  it('truncates lowest-priority sections first', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(2000), FINDINGS, { budgetTokens: 800 });
    expect(p.truncated.slice(0, 3)).toEqual(['logs', 'context', 'rollout']);
    expect(p.user).not.toContain('## Log tail');
    expect(p.user).not.toContain('## Cluster context');
  });

  it('reports honestly when the system prompt alone exceeds the budget', () => {
    const p = buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 100 });
    expect(p.tokens).toBeGreaterThan(100);
    expect(p.truncated).toContain('target');
    expect(p.user).toContain('[cut to fit the token budget]');
  });

  it('throws RangeError for a non-positive budget', () => {
    expect(() => buildDiagnosisPrompt(deploymentEvidence(), FINDINGS, { budgetTokens: 0 })).toThrow(RangeError);
  });

  it('cuts very long lines', () => {
    const e = deploymentEvidence();
    e.logs = [{ pod: 'p', container: 'c', previous: false, lines: [`ERROR ${'x'.repeat(5000)}`] }];
    const p = buildDiagnosisPrompt(e, FINDINGS, { budgetTokens: 3000, maxLineChars: 200 });
    const longest = Math.max(...p.user.split('\n').map((l) => l.length));
    expect(longest).toBeLessThanOrEqual(200);
  });
});

describe('collapseLogLines', () => {
  it.each([
    {
      name: 'collapses consecutive lines of the same shape into the newest one',
      lines: ['10:00:01 GET /healthz 200', '10:00:02 GET /healthz 200', '10:00:03 GET /healthz 200', 'panic: nil map'],
      want: [
        { text: '10:00:03 GET /healthz 200 (x3 similar lines)', error: false },
        { text: 'panic: nil map', error: true },
      ],
    },
    {
      name: 'keeps different lines and drops blank ones',
      lines: ['starting', '', 'Error: connect ECONNREFUSED 10.0.0.5:5432', 'starting'],
      want: [
        { text: 'starting', error: false },
        { text: 'Error: connect ECONNREFUSED 10.0.0.5:5432', error: true },
        { text: 'starting', error: false },
      ],
    },
  ])('$name', ({ lines, want }) => {
    expect(collapseLogLines(lines)).toEqual(want);
  });
});

describe('estimateTokens', () => {
  it.each([
    ['', 0],
    ['abc', 1],
    ['abcd', 1],
    ['abcde', 2],
  ])('%j → %i', (text, tokens) => {
    expect(estimateTokens(text)).toBe(tokens);
  });
});

describe('evidenceIdentifiers', () => {
  it('collects namespaces and object names for cloud redaction', () => {
    const ids = evidenceIdentifiers(deploymentEvidence());
    expect(ids.namespaces).toEqual(['shop']);
    expect(ids.names).toEqual(expect.arrayContaining(['api', 'api-6b8', 'api-7c9', 'api-7c9-x2', 'api-7c9-y3', 'node-a']));
  });
});
