/**
 * Learning: symptoms-hash stability and sensitivity, EWMA trust scores, runbook drafts,
 * anti-patterns and fine-tuning records.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../domain/analyzers/index.ts';
import type { Finding, TargetRef } from '../../domain/diagnosis.ts';
import type { Pod } from '../../domain/k8s-objects.ts';
import {
  ANTI_PATTERN_TTL_DAYS,
  antiPattern,
  draftRunbook,
  EWMA_PRIOR,
  ewma,
  exitCodeClass,
  finetuneRecord,
  formatDuration,
  isAntiPatternActive,
  normaliseCause,
  signatureOf,
  symptomsHash,
  trustScore,
  workloadNameOf,
  type FinetuneIncident,
  type RunbookInput,
  type SymptomSignature,
} from '../../domain/learning.ts';
import { evidenceFrom, loadObjects } from '../fixtures/analyzers/evidence.ts';

const WEB: TargetRef = { kind: 'Deployment', namespace: 'shop', name: 'web' };

const SIG: SymptomSignature = {
  targetKind: 'Deployment',
  namespace: 'shop',
  workload: 'web',
  category: 'crash_loop',
  analyzer: 'pod.crash_loop',
  cause: 'Container api keeps crashing with exit code 1 (application error)',
};

function finding(over: Partial<Finding> = {}): Finding {
  return {
    analyzer: 'pod.crash_loop',
    category: 'crash_loop',
    cause: 'Container api keeps crashing with exit code 1 (application error)',
    evidence: ['Pod web-5d4f8c9b7-x2kqz: container api restarted 12 times, last exit code 1'],
    actions: ['restart', 'rollback'],
    confidence: 0.9,
    subject: 'Pod/web-5d4f8c9b7-x2kqz',
    ...over,
  };
}

describe('symptomsHash: shape', () => {
  it('is 16 lowercase hex digits and deterministic', () => {
    const h = symptomsHash(SIG);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(symptomsHash({ ...SIG })).toBe(h);
  });

  it('hashes findings like the equivalent signature', () => {
    expect(symptomsHash({ target: WEB, findings: [finding()] })).toBe(symptomsHash({ ...SIG, exitCode: 1 }));
    expect(signatureOf({ target: WEB, findings: [finding()] })).toEqual({ ...SIG, exitCode: 1 });
  });
});

describe('symptomsHash: stable across what changes between recurrences', () => {
  const base = symptomsHash({ target: WEB, findings: [finding()] });
  it.each<[string, Finding[], TargetRef?]>([
    ['another pod name and restart count in evidence and subject', [finding({ subject: 'Pod/web-5d4f8c9b7-b7wqp', evidence: ['Pod web-5d4f8c9b7-b7wqp: container api restarted 40 times, last exit code 1'] })]],
    ['a different confidence and action order', [finding({ confidence: 0.6, actions: ['rollback', 'restart'] })]],
    ['secondary findings that come and go', [finding(), finding({ analyzer: 'events.probe_failure', category: 'probe_failure', cause: 'Liveness probe fails' })]],
  ])('%s', (_name, findings, target = WEB) => {
    expect(symptomsHash({ target, findings })).toBe(base);
  });

  it('exit codes of the same class hash alike; the class is part of the hash', () => {
    const cause = (code: number) => `Container api keeps crashing with exit code ${code}`;
    expect(symptomsHash({ ...SIG, cause: cause(1) })).toBe(symptomsHash({ ...SIG, cause: cause(2) }));
    expect(symptomsHash({ ...SIG, cause: cause(1) })).not.toBe(symptomsHash({ ...SIG, cause: cause(137) }));
  });

  it.each<[string, string, string]>([
    ['pod names (ReplicaSet hash + suffix)', 'Pod web-5d4f8c9b7-x2kqz failed', 'Pod web-7b9c6d4f8-zq2lw failed'],
    ['DaemonSet/Job pod suffixes', 'Pod agent-x2kqz failed', 'Pod agent-r9tzl failed'],
    ['StatefulSet ordinals', 'Pod db-0 failed', 'Pod db-2 failed'],
    ['ISO timestamps', 'Back-off since 2024-05-01T10:00:00Z', 'Back-off since 2025-12-31T23:59:59.123+02:00'],
    ['clock times', 'failed at 10:00:01', 'failed at 23:14:59'],
    ['IPv4 with port', 'dial tcp 10.0.0.7:5432: connection refused', 'dial tcp 10.42.1.19:5432: connection refused'],
    ['IPv6', 'dial tcp [fd00::1]:5432: refused', 'dial tcp [2001:db8::42]:5432: refused'],
    ['restart counts', 'restarted 3 times', 'restarted 117 times'],
    ['memory limits', 'exceeding its memory limit of 512Mi', 'exceeding its memory limit of 768Mi'],
    ['replica counts', 'has 1 of 3 replicas available', 'has 2 of 5 replicas available'],
    ['UIDs', 'owner 1b4e28ba-2fa1-11d2-883f-0016d3cca427 gone', 'owner 6fa459ea-ee8a-3ca4-894e-db77e160355e gone'],
    ['image digests', 'image sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', 'image sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9'],
    ['case and spacing', 'Container  api   failed', 'container api failed'],
  ])('cause text: %s', (_name, a, b) => {
    expect(normaliseCause(a)).toBe(normaliseCause(b));
    expect(symptomsHash({ ...SIG, cause: a })).toBe(symptomsHash({ ...SIG, cause: b }));
  });

  it.each<[string, string]>([
    ['web-5d4f8c9b7-x2kqz', 'web'],
    ['agent-x2kqz', 'agent'],
    ['db-0', 'db'],
    ['api-gateway-7b9c6d4f8-zq2lw', 'api-gateway'],
    ['solo', 'solo'],
  ])('pod %s belongs to workload %s', (pod, workload) => {
    expect(workloadNameOf('Pod', pod)).toBe(workload);
    expect(symptomsHash({ ...SIG, targetKind: 'Pod', workload: pod })).toBe(symptomsHash({ ...SIG, targetKind: 'Pod', workload }));
  });

  it('keeps workload names of other kinds as they are, except CronJob-created Jobs', () => {
    expect(workloadNameOf('Deployment', 'web-x2kqz')).toBe('web-x2kqz');
    expect(workloadNameOf('Job', 'db-backup-29012345')).toBe('db-backup');
    expect(workloadNameOf('Job', 'migrate-2')).toBe('migrate-2');
  });

  it.each<[string, string]>([
    ['Pod web-7c9d8f6b4-x2kqz restarted 12 times at 2024-05-01T10:00:00Z', 'pod web-<pod> restarted # times at <time>'],
    ['Container memory-eater is killed for exceeding its memory limit of 100Mi (OOMKilled, exit code 137)', 'container memory-eater is killed for exceeding its memory limit of #mi (oomkilled, exit code #)'],
    ['Readiness probe fails (Get "http://10.244.1.23:8080/ready": dial tcp 10.244.1.23:8080: connect: connection refused)', 'readiness probe fails (get "http://<ip>/ready": dial tcp <ip>: connect: connection refused)'],
    ['dial [fd00::1]:443 failed', 'dial [<ip>]:# failed'],
    ['owner 1b4e28ba-2fa1-11d2-883f-0016d3cca427, image sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', 'owner <uid>, image <hash>'],
    ['ConfigMap api-config does not exist', 'configmap api-config does not exist'],
  ])('normaliseCause(%j)', (cause, normalised) => {
    expect(normaliseCause(cause)).toBe(normalised);
  });

  it('a pod alert hashes like the deployment alert when the owner is passed', () => {
    const podTarget: TargetRef = { kind: 'Pod', namespace: 'shop', name: 'web-5d4f8c9b7-x2kqz' };
    expect(symptomsHash({ target: podTarget, findings: [finding()], workload: { kind: 'Deployment', name: 'web' } })).toBe(base);
  });

  it('is stable on a real fixture after the pod is recreated with a new name, restart count and timestamps', () => {
    const FILE = 'pod-OOMKilled-exit137-CrashLoopBackOff.holmesgpt.translated.yaml';
    const first = evidenceFrom(loadObjects(FILE), { collectedAt: '2026-03-02T10:30:00Z' });
    const second = evidenceFrom(loadObjects(FILE), { collectedAt: '2026-03-09T18:00:00Z' });
    const pod = second.pods[0] as Pod;
    const oldName = pod.metadata!.name!;
    pod.metadata!.name = `${oldName}-b7wqp`;
    pod.metadata!.uid = '6fa459ea-ee8a-3ca4-894e-db77e160355e';
    for (const s of pod.status?.containerStatuses ?? []) {
      s.restartCount = (s.restartCount ?? 0) + 17;
      const t = s.lastState?.terminated;
      if (t) {
        t.startedAt = '2026-03-09T17:58:00Z';
        t.finishedAt = '2026-03-09T17:59:00Z';
      }
    }
    pod.status!.podIP = '10.244.9.9';
    for (const e of second.events) {
      e.lastTimestamp = '2026-03-09T17:59:30Z';
      e.count = (e.count ?? 1) + 40;
      if (e.involvedObject) e.involvedObject.name = pod.metadata!.name;
    }
    const a = analyze(first);
    const b = analyze(second);
    expect(a[0]?.category).toBe('oom_killed');
    expect(b[0]?.category).toBe('oom_killed');
    const target = { kind: 'Deployment', namespace: 'shop', name: 'worker' } as const;
    expect(symptomsHash({ target, findings: b })).toBe(symptomsHash({ target, findings: a }));
  });
});

describe('symptomsHash: sensitive to what identifies the failure', () => {
  const base = symptomsHash(SIG);
  it.each<[string, Partial<SymptomSignature>]>([
    ['another category', { category: 'oom_killed' }],
    ['another analyzer', { analyzer: 'pod.oom_killed' }],
    ['another workload', { workload: 'api' }],
    ['another namespace', { namespace: 'shop-prod' }],
    ['another workload kind', { targetKind: 'StatefulSet' }],
    ['another container in the cause', { cause: 'Container worker keeps crashing with exit code 1 (application error)' }],
    ['another exit code class (SIGKILL)', { exitCode: 137 }],
    ['another exit code class (not found)', { exitCode: 127 }],
  ])('%s changes the hash', (_name, over) => {
    expect(symptomsHash({ ...SIG, ...over })).not.toBe(base);
  });

  it('findings about a different category differ', () => {
    expect(symptomsHash({ target: WEB, findings: [finding({ category: 'oom_killed', analyzer: 'pod.oom_killed' })] })).not.toBe(
      symptomsHash({ target: WEB, findings: [finding()] }),
    );
  });

  it('no findings hash as unknown', () => {
    expect(signatureOf({ target: WEB, findings: [] })).toEqual({ targetKind: 'Deployment', namespace: 'shop', workload: 'web', category: 'unknown', analyzer: 'none', cause: '' });
  });
});

describe('exitCodeClass', () => {
  it.each<[number | undefined, string]>([
    [undefined, 'none'],
    [0, 'success'],
    [1, 'app_error'],
    [2, 'app_error'],
    [125, 'app_error'],
    [126, 'not_executable'],
    [127, 'not_found'],
    [128, 'start_failure'],
    [137, 'signal_9'],
    [139, 'signal_11'],
    [143, 'signal_15'],
    [255, 'app_error'],
  ])('%s → %s', (code, cls) => {
    expect(exitCodeClass(code)).toBe(cls);
  });
});

describe('ewma', () => {
  it.each<[number | undefined, 0 | 1, number, number]>([
    [undefined, 1, 0.3, 0.65],
    [undefined, 0, 0.3, 0.35],
    [undefined, 1, 1, 1],
    [0.65, 1, 0.3, 0.755],
    [0.65, 0, 0.3, 0.455],
    [1, 0, 0.5, 0.5],
    [0, 1, 0.1, 0.1],
    [0.8, 1, 1, 1],
    [0.8, 0, 1, 0],
  ])('ewma(%s, %d, %s) = %s', (prev, outcome, alpha, expected) => {
    expect(ewma(prev, outcome, alpha)).toBeCloseTo(expected, 12);
  });

  it.each<[ReadonlyArray<0 | 1>, number, number]>([
    [[], 0.3, EWMA_PRIOR],
    [[1], 0.5, 0.75],
    [[1, 1], 0.5, 0.875],
    [[1, 1, 0], 0.5, 0.4375],
    [[1, 1, 1, 1, 1], 0.3, 1 - 0.5 * 0.7 ** 5],
    [[0, 0, 0], 0.3, 0.5 * 0.7 ** 3],
    [[0, 1, 0, 1], 1, 1],
  ])('trustScore(%j, %s) = %s', (outcomes, alpha, expected) => {
    expect(trustScore(outcomes, alpha)).toBeCloseTo(expected, 12);
  });

  it('a long run of successes approaches 1 but one failure costs α of it', () => {
    const high = trustScore(Array.from({ length: 30 }, () => 1 as const), 0.3);
    expect(high).toBeGreaterThan(0.9999);
    expect(ewma(high, 0, 0.3)).toBeCloseTo(0.7 * high, 12);
  });

  it.each([0, -0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY])('rejects alpha %s', (alpha) => {
    expect(() => ewma(0.5, 1, alpha)).toThrow(RangeError);
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects previous %s', (prev) => {
    expect(() => ewma(prev, 1, 0.3)).toThrow(RangeError);
  });

  it('rejects an outcome other than 0 or 1', () => {
    expect(() => ewma(0.5, 2 as 0 | 1, 0.3)).toThrow(RangeError);
  });
});

describe('draftRunbook', () => {
  const input: RunbookInput = {
    symptomsHash: 'a1b2c3d4e5f60718',
    target: WEB,
    category: 'crash_loop',
    cause: 'Container api keeps crashing with exit code 1 (application error)',
    evidence: ['Pod web-5d4f8c9b7-x2kqz: container api restarted 12 times', 'log: connecting with password=hunter2 failed'],
    action: 'restart',
    actionDescription: 'rollout restart deployment/web',
    verification: 'rollout complete, 3/3 pods ready, no restarts in 120 s',
    detectedAt: new Date('2024-05-01T10:00:00Z'),
    recoveredAt: new Date('2024-05-01T10:04:05Z'),
  };

  it('writes title, symptoms, redacted evidence, action, verification and time to recover', () => {
    const d = draftRunbook(input);
    expect(d.title).toBe('crash_loop on shop/Deployment/web: restart');
    expect(d.timeToRecoverMs).toBe(245_000);
    expect(d.symptomsHash).toBe('a1b2c3d4e5f60718');
    expect(d.markdown).toBe(
      [
        '# crash_loop on shop/Deployment/web: restart',
        '',
        'Symptoms hash: `a1b2c3d4e5f60718`',
        '',
        '## Symptoms',
        'Container api keeps crashing with exit code 1 (application error)',
        '',
        '## Evidence',
        '```',
        'Pod web-5d4f8c9b7-x2kqz: container api restarted 12 times',
        'log: connecting with password=[REDACTED:password] failed',
        '```',
        '',
        '## Action taken',
        'rollout restart deployment/web (`restart`)',
        '',
        '## Verification',
        'rollout complete, 3/3 pods ready, no restarts in 120 s',
        '',
        '## Time to recover',
        '4 min 5 s',
        '',
      ].join('\n'),
    );
  });

  it('fences evidence that contains backticks with a longer fence', () => {
    const d = draftRunbook({ ...input, evidence: ['a ``` b'] });
    expect(d.markdown).toContain('````\na ``` b\n````');
  });

  it('says when there is no evidence, and clamps a negative time to recover', () => {
    const d = draftRunbook({ ...input, evidence: [], recoveredAt: new Date('2024-05-01T09:59:00Z') });
    expect(d.markdown).toContain('## Evidence\n(none recorded)\n');
    expect(d.timeToRecoverMs).toBe(0);
  });

  it.each<[number, string]>([
    [0, '0 s'],
    [12_400, '12 s'],
    [240_000, '4 min 0 s'],
    [3_725_000, '1 h 2 min 5 s'],
  ])('formatDuration(%d) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('antiPattern', () => {
  const now = new Date('2024-05-01T12:00:00Z');

  it('records the failure with expiresAt = now + 7 days', () => {
    expect(antiPattern({ symptomsHash: 'a1b2c3d4e5f60718', action: 'restart', target: WEB, reason: ' verification: 0/3 pods ready after 120 s ', now })).toEqual({
      symptomsHash: 'a1b2c3d4e5f60718',
      action: 'restart',
      target: WEB,
      reason: 'verification: 0/3 pods ready after 120 s',
      recordedAt: new Date('2024-05-01T12:00:00Z'),
      expiresAt: new Date('2024-05-08T12:00:00Z'),
    });
    expect(ANTI_PATTERN_TTL_DAYS).toBe(7);
  });

  it('fills an empty reason and honours ttlDays', () => {
    const r = antiPattern({ symptomsHash: 'h', action: 'rollback', target: WEB, reason: '  ', now, ttlDays: 1 });
    expect(r.reason).toBe('no reason recorded');
    expect(r.expiresAt).toEqual(new Date('2024-05-02T12:00:00Z'));
  });

  it.each<[string, boolean]>([
    ['2024-05-08T11:59:59.999Z', true],
    ['2024-05-08T12:00:00Z', false],
    ['2024-05-09T00:00:00Z', false],
  ])('is active at %s: %s', (at, active) => {
    const r = antiPattern({ symptomsHash: 'h', action: 'restart', target: WEB, reason: 'x', now });
    expect(isAntiPatternActive(r, new Date(at))).toBe(active);
  });

  it.each<[Date, number | undefined]>([
    [new Date('nope'), undefined],
    [now, 0],
    [now, -1],
  ])('rejects now=%s ttlDays=%s', (at, ttlDays) => {
    expect(() => antiPattern({ symptomsHash: 'h', action: 'restart', target: WEB, reason: 'x', now: at, ...(ttlDays !== undefined ? { ttlDays } : {}) })).toThrow(RangeError);
  });
});

describe('finetuneRecord', () => {
  const incident: FinetuneIncident = {
    evidence: [
      'env DB_PASSWORD=hunter2 from secret db-creds',
      'connecting to postgres://app:s3cr3t@db.shop:5432/app',
      'Authorization: Bearer abcdefghijklmnop',
      'container api restarted 12 times',
    ],
    diagnosis: { category: 'crash_loop', cause: 'Container api cannot reach the database', confidence: 0.9, summary: 'token=abc123def456 rejected by db' },
    action: { kind: 'restart', target: WEB, params: { container: 'api', api_token: 'tok_live_123456' } },
    outcome: { result: 'succeeded', verification: 'rollout complete, 3/3 ready', timeToRecoverMs: 245_000 },
  };

  it('keeps evidence, diagnosis, action and outcome with secret values removed and names kept', () => {
    expect(finetuneRecord(incident)).toEqual({
      evidence: [
        'env DB_PASSWORD=[REDACTED:password] from secret db-creds',
        'connecting to postgres://[REDACTED:url_credentials]@db.shop:5432/app',
        'Authorization: [REDACTED:authorization]',
        'container api restarted 12 times',
      ],
      diagnosis: { category: 'crash_loop', cause: 'Container api cannot reach the database', confidence: 0.9, summary: 'token=[REDACTED:token] rejected by db' },
      action: { kind: 'restart', target: 'shop/Deployment/web', params: { container: 'api', api_token: '[REDACTED:token]' } },
      outcome: { result: 'succeeded', verification: 'rollout complete, 3/3 ready', timeToRecoverMs: 245_000 },
    });
  });

  it('serialises to exactly one JSONL line with the four keys', () => {
    const line = JSON.stringify(finetuneRecord({ ...incident, evidence: ['line one\nline two'] }));
    expect(line.split('\n')).toHaveLength(1);
    expect(Object.keys(JSON.parse(line))).toEqual(['evidence', 'diagnosis', 'action', 'outcome']);
    expect(line).not.toMatch(/hunter2|s3cr3t|tok_live/);
  });
});
