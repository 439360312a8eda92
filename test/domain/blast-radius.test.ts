/**
 * Blast-radius scoring: hard rules, every contribution, tier boundaries, PDB arithmetic and the
 * evidence adapter.
 */
import { describe, expect, it } from 'vitest';
import type { ActionKind, Evidence } from '../../domain/diagnosis.ts';
import type { PodDisruptionBudget } from '../../domain/k8s-objects.ts';
import {
  blastRadiusInputFromEvidence,
  DEFAULT_BLAST_RADIUS_POLICY,
  DEFAULT_BLAST_RADIUS_WEIGHTS,
  deploymentMaxUnavailable,
  pdbAllowedDisruptions,
  scaledIntOrPercent,
  scoreBlastRadius,
  sensitiveParams,
  tierForScore,
  volumeFactsOf,
  type BlastRadiusInput,
  type BlastRadiusPolicy,
  type HardRule,
} from '../../domain/blast-radius.ts';

const POLICY: BlastRadiusPolicy = {
  protectedNamespaces: ['kube-public', 'infra-*'],
  criticalNamespaces: ['*-prod', 'production'],
  deniedActions: ['raise_memory'],
};

/** A healthy 3-replica Deployment `shop/web` in a non-critical namespace. */
function input(over: Partial<BlastRadiusInput> = {}): BlastRadiusInput {
  return {
    action: 'restart',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    desiredReplicas: 3,
    availableReplicas: 3,
    ...over,
  };
}

function pdb(spec: PodDisruptionBudget['spec'], status: PodDisruptionBudget['status'] = {}): PodDisruptionBudget {
  return { metadata: { name: 'web-pdb', namespace: 'shop' }, spec, status };
}

describe('scoreBlastRadius: hard rules score exactly 100', () => {
  it.each<[string, Partial<BlastRadiusInput>, HardRule, string]>([
    ['kube-system is always protected', { target: { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' } }, 'protected_namespace', 'namespace kube-system is protected (kube-system): no action may run there'],
    ['policy-listed namespace', { target: { kind: 'Deployment', namespace: 'kube-public', name: 'x' } }, 'protected_namespace', 'namespace kube-public is protected (kube-public): no action may run there'],
    ['policy glob', { target: { kind: 'Deployment', namespace: 'infra-dns', name: 'x' } }, 'protected_namespace', 'namespace infra-dns is protected (infra-*): no action may run there'],
    ['denied action', { action: 'raise_memory' }, 'denied_action', 'action raise_memory is denied by policy'],
    ['target is a Secret', { target: { kind: 'Secret', namespace: 'shop', name: 'db' } }, 'sensitive_kind', 'the target is a Secret (Secret/db): actions never touch Secrets'],
    ['target is a PVC', { target: { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data-0' } }, 'sensitive_kind', 'the target is a PersistentVolumeClaim (PersistentVolumeClaim/data-0): actions never touch PersistentVolumeClaims'],
    ['target is a Namespace', { target: { kind: 'Namespace', namespace: '', name: 'shop' } }, 'sensitive_kind', 'the target is a Namespace (Namespace/shop): actions never touch Namespaces'],
    ['params key secretName', { params: { secretName: 'db-creds' } }, 'sensitive_params', "the action's params name a Secret (params.secretName): actions never touch Secrets"],
    ['params key claimName (nested)', { params: { volume: { claimName: 'data-0' } } }, 'sensitive_params', "the action's params name a PersistentVolumeClaim (params.volume.claimName): actions never touch PersistentVolumeClaims"],
    ['params value kind Secret', { params: { kind: 'Secret' } }, 'sensitive_params', "the action's params name a Secret (params.kind): actions never touch Secrets"],
    ['params value ref pvc/…', { params: { objects: ['deployment/web', 'pvc/data-0'] } }, 'sensitive_params', "the action's params name a PersistentVolumeClaim (params.objects[1]): actions never touch PersistentVolumeClaims"],
    ['params value ref namespaces/…', { params: { ref: 'namespaces/shop' } }, 'sensitive_params', "the action's params name a Namespace (params.ref): actions never touch Namespaces"],
    ['params name another namespace', { params: { namespace: 'payments' } }, 'foreign_namespace', "the action's params name namespace payments (params.namespace), not the target's shop"],
    ['NaN replicas', { desiredReplicas: Number.NaN }, 'invalid_input', 'invalid input: desiredReplicas is NaN, not a count; refusing to score'],
    ['negative available', { availableReplicas: -1 }, 'invalid_input', 'invalid input: availableReplicas is -1, not a count; refusing to score'],
    ['fractional affected pods', { affectedPods: 1.5 }, 'invalid_input', 'invalid input: affectedPods is 1.5, not a count; refusing to score'],
    ['scale without replicas', { action: 'scale', params: {} }, 'invalid_input', 'invalid input: scale needs params.replicas as a count, got undefined'],
    ['scale to negative replicas', { action: 'scale', params: { replicas: -2 } }, 'invalid_input', 'invalid input: scale needs params.replicas as a count, got -2'],
  ])('%s', (_name, over, rule, reason) => {
    const r = scoreBlastRadius(input(over), POLICY);
    expect(r.score).toBe(100);
    expect(r.tier).toBe('blocked');
    expect(r.hardRules).toEqual([{ rule, reason }]);
    expect(r.reasons).toEqual([reason]);
    expect(r.contributions).toEqual([]);
  });

  it('lists every hard rule that fires', () => {
    const r = scoreBlastRadius(
      input({ action: 'raise_memory', target: { kind: 'Secret', namespace: 'kube-system', name: 'x' } }),
      POLICY,
    );
    expect(r.hardRules.map((h) => h.rule)).toEqual(['denied_action', 'protected_namespace', 'sensitive_kind']);
    expect(r.score).toBe(100);
  });

  it.each<[string, Partial<BlastRadiusInput>]>([
    ['a namespace param equal to the target namespace', { params: { namespace: 'shop' } }],
    ['a container named like a secret', { params: { container: 'secret-sync' } }],
    ['a Deployment target in a namespace called secrets', { target: { kind: 'Deployment', namespace: 'secrets', name: 'vault' } }],
  ])('does not block %s', (_name, over) => {
    expect(scoreBlastRadius(input(over), POLICY).tier).not.toBe('blocked');
  });

  it.each<[ActionKind, number, string]>([
    ['escalate', 0, 'auto'],
    ['none', 0, 'auto'],
  ])('%s changes nothing: not blocked in a protected namespace (score %d)', (action, score, tier) => {
    const r = scoreBlastRadius(input({ action, target: { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' } }), POLICY);
    expect(r).toMatchObject({ score, tier, reasons: [`${action}: base risk 0`] });
  });

  it('a denied escalate is still blocked (the denylist is explicit)', () => {
    const r = scoreBlastRadius(input({ action: 'escalate' }), { ...POLICY, deniedActions: ['escalate'] });
    expect(r.score).toBe(100);
  });
});

describe('scoreBlastRadius: contributions', () => {
  it.each<[ActionKind, number]>([
    ['delete_pod', 5],
    ['restart', 10],
    ['rollback', 20],
    ['escalate', 0],
    ['none', 0],
  ])('base risk of %s on a healthy 3-replica Deployment is %d', (action, score) => {
    const r = scoreBlastRadius(input({ action }), { ...POLICY, deniedActions: [] });
    expect(r.score).toBe(score);
    expect(r.reasons).toEqual([`${action}: base risk ${score}`]);
  });

  it.each<[string, Partial<BlastRadiusInput>, number, string[]]>([
    ['critical namespace (glob)', { target: { kind: 'Deployment', namespace: 'shop-prod', name: 'web' } }, 35, ['restart: base risk 10', 'namespace shop-prod is critical (matches *-prod) (+25)']],
    ['critical namespace (literal)', { target: { kind: 'Deployment', namespace: 'production', name: 'web' } }, 35, ['restart: base risk 10', 'namespace production is critical (matches production) (+25)']],
    ['single replica', { desiredReplicas: 1, availableReplicas: 1 }, 25, ['restart: base risk 10', 'single replica: a restart means downtime (+15)']],
    ['single replica that is already down (nothing more to lose)', { desiredReplicas: 1, availableReplicas: 0 }, 10, ['restart: base risk 10']],
    ['degraded: 2 of 3 available', { availableReplicas: 2 }, 20, ['restart: base risk 10', 'only 2 of 3 replicas available, and the action takes 1 pod down (+10)']],
    ['degraded but the action takes no healthy pod down', { action: 'delete_pod', availableReplicas: 2, disruptedHealthyPods: 0 }, 5, ['delete_pod: base risk 5']],
    ['4 pods affected', { desiredReplicas: 4, availableReplicas: 4 }, 15, ['restart: base risk 10', '4 pods affected (+5)']],
    ['11 pods affected', { desiredReplicas: 11, availableReplicas: 11 }, 20, ['restart: base risk 10', '11 pods affected (+10)']],
    ['51 pods affected', { desiredReplicas: 51, availableReplicas: 51 }, 30, ['restart: base risk 10', '51 pods affected (+20)']],
    ['StatefulSet', { target: { kind: 'StatefulSet', namespace: 'shop', name: 'db' } }, 25, ['restart: base risk 10', 'StatefulSet: pods have stable identities and ordered start-up (+15)']],
    ['pod owned by a StatefulSet', { action: 'delete_pod', target: { kind: 'Pod', namespace: 'shop', name: 'db-0' }, workloadKind: 'StatefulSet' }, 20, ['delete_pod: base risk 5', 'StatefulSet: pods have stable identities and ordered start-up (+15)']],
    ['PVC volumes', { volumes: { persistent: 2, local: 0 } }, 25, ['restart: base risk 10', 'pods mount 2 PersistentVolumeClaims (+15)']],
    ['local volumes', { volumes: { persistent: 0, local: 1 } }, 15, ['restart: base risk 10', 'pods mount 1 emptyDir/hostPath volume whose data is tied to the pod or node (+5)']],
    ['scale up', { action: 'scale', params: { replicas: 5 } }, 10, ['scale: base risk 10']],
    ['scale to 0', { action: 'scale', params: { replicas: 0 } }, 40, ['scale: base risk 10', 'scale to 0 takes the workload offline (+30)']],
  ])('%s → %d', (_name, over, score, reasons) => {
    const r = scoreBlastRadius(input(over), POLICY);
    expect(r.score).toBe(score);
    expect(r.reasons).toEqual(reasons);
    expect(r.contributions.reduce((s, c) => s + c.points, 0)).toBe(score);
  });

  it('caps the sum at 99: only hard rules reach 100', () => {
    const r = scoreBlastRadius(
      input({
        action: 'rollback',
        target: { kind: 'StatefulSet', namespace: 'db-prod', name: 'pg' },
        desiredReplicas: 60,
        availableReplicas: 59,
        volumes: { persistent: 1, local: 1 },
        pdb: pdb({ minAvailable: 60 }),
      }),
      POLICY,
    );
    expect(r.contributions.reduce((s, c) => s + c.points, 0)).toBe(20 + 25 + 10 + 20 + 15 + 15 + 5 + 40);
    expect(r.score).toBe(99);
    expect(r.tier).toBe('dual');
    expect(r.hardRules).toEqual([]);
  });

  it('uses weights from the policy', () => {
    const r = scoreBlastRadius(input(), { ...POLICY, weights: { baseRisk: { ...DEFAULT_BLAST_RADIUS_WEIGHTS.baseRisk, restart: 3 } } });
    expect(r.score).toBe(3);
  });
});

describe('scoreBlastRadius: tier boundaries', () => {
  // Each case is built from real contributions so that the boundary is reached by scoring.
  it.each<[string, Partial<BlastRadiusInput>, BlastRadiusPolicy, number, string]>([
    ['10 → auto', {}, POLICY, 10, 'auto'],
    ['11 → human', {}, { ...POLICY, weights: { baseRisk: { ...DEFAULT_BLAST_RADIUS_WEIGHTS.baseRisk, restart: 11 } } }, 11, 'human'],
    ['50 → human', { pdb: pdb({ minAvailable: 3 }) }, POLICY, 50, 'human'],
    ['51 → dual', { pdb: pdb({ minAvailable: 3 }) }, { ...POLICY, weights: { baseRisk: { ...DEFAULT_BLAST_RADIUS_WEIGHTS.baseRisk, restart: 11 } } }, 51, 'dual'],
    ['99 → dual (capped)', { target: { kind: 'StatefulSet', namespace: 'x-prod', name: 'db' }, desiredReplicas: 60, availableReplicas: 60, volumes: { persistent: 1, local: 0 }, pdb: pdb({ minAvailable: 60 }) }, POLICY, 99, 'dual'],
    ['100 → blocked (hard rule)', { target: { kind: 'Deployment', namespace: 'kube-system', name: 'x' } }, POLICY, 100, 'blocked'],
  ])('%s', (_name, over, policy, score, tier) => {
    const r = scoreBlastRadius(input(over), policy);
    expect(r.score).toBe(score);
    expect(r.tier).toBe(tier);
  });

  it.each([
    [10, 'auto'],
    [11, 'human'],
    [50, 'human'],
    [51, 'dual'],
    [99, 'dual'],
    [100, 'blocked'],
  ])('tierForScore(%d) is %s (re-exported)', (score, tier) => {
    expect(tierForScore(score)).toBe(tier);
  });
});

describe('pdbAllowedDisruptions', () => {
  it.each<[string, PodDisruptionBudget, number, number, number]>([
    // [name, pdb, expected pods, current healthy, allowed]
    ['minAvailable int, room for one', pdb({ minAvailable: 2 }), 3, 3, 1],
    ['minAvailable int, none left', pdb({ minAvailable: 3 }), 3, 3, 0],
    ['minAvailable int, already below', pdb({ minAvailable: 2 }), 3, 1, 0],
    ['minAvailable 50% of 3 rounds up to 2', pdb({ minAvailable: '50%' }), 3, 3, 1],
    ['minAvailable 50% of 4 = 2', pdb({ minAvailable: '50%' }), 4, 4, 2],
    ['minAvailable 100%', pdb({ minAvailable: '100%' }), 5, 5, 0],
    ['minAvailable 0%', pdb({ minAvailable: '0%' }), 5, 5, 5],
    ['maxUnavailable int 1', pdb({ maxUnavailable: 1 }), 3, 3, 1],
    ['maxUnavailable int 1 with one already down', pdb({ maxUnavailable: 1 }), 3, 2, 0],
    ['maxUnavailable 0', pdb({ maxUnavailable: 0 }), 3, 3, 0],
    ['maxUnavailable 25% of 3 rounds up to 1', pdb({ maxUnavailable: '25%' }), 3, 3, 1],
    ['maxUnavailable 30% of 10 = 3', pdb({ maxUnavailable: '30%' }), 10, 10, 3],
    ['maxUnavailable larger than expected', pdb({ maxUnavailable: 5 }), 3, 3, 3],
    ['maxUnavailable as digit string', pdb({ maxUnavailable: '2' }), 4, 4, 2],
    ['neither set: everything may go', pdb({}), 3, 3, 3],
    ['no expected pods', pdb({ minAvailable: 0 }), 0, 0, 0],
    ['status.expectedPods and currentHealthy win over the fallback', pdb({ minAvailable: 2 }, { expectedPods: 5, currentHealthy: 5 }), 3, 3, 3],
    ['status.disruptionsAllowed wins', pdb({ minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 3 }), 3, 3, 0],
  ])('%s → %d', (_name, budget, expectedPods, currentHealthy, allowed) => {
    expect(pdbAllowedDisruptions(budget, { expectedPods, currentHealthy })).toMatchObject({ kind: 'ok', allowed });
  });

  it('explains its basis', () => {
    expect(pdbAllowedDisruptions(pdb({ minAvailable: '50%' }), { expectedPods: 3, currentHealthy: 3 })).toEqual({
      kind: 'ok',
      allowed: 1,
      basis: 'minAvailable 50% of 3 = 2; 3 healthy',
    });
  });

  it.each<[PodDisruptionBudget['spec'], string]>([
    [{ minAvailable: 'half' }, 'minAvailable "half"'],
    [{ maxUnavailable: -1 }, 'maxUnavailable -1'],
    [{ maxUnavailable: 1.5 }, 'maxUnavailable 1.5'],
  ])('%j is unreadable', (spec, reason) => {
    expect(pdbAllowedDisruptions(pdb(spec), { expectedPods: 3, currentHealthy: 3 })).toEqual({ kind: 'unreadable', reason });
  });

  it.each<[number | string, number, number | undefined]>([
    [2, 10, 2],
    ['50%', 3, 2],
    ['10%', 5, 1],
    ['0%', 5, 0],
    ['7', 9, 7],
    ['x%', 5, undefined],
    [-1, 5, undefined],
  ])('scaledIntOrPercent(%j, %d) = %s', (value, total, scaled) => {
    expect(scaledIntOrPercent(value, total)).toBe(scaled);
  });
});

describe('scoreBlastRadius: PodDisruptionBudget', () => {
  it.each<[string, Partial<BlastRadiusInput>, boolean]>([
    ['restart, minAvailable 2 of 3 healthy: 1 down is fine', { pdb: pdb({ minAvailable: 2 }) }, false],
    ['restart, minAvailable 3 of 3: 1 down violates', { pdb: pdb({ minAvailable: 3 }) }, true],
    ['restart, minAvailable 67% of 3 (=3) violates', { pdb: pdb({ minAvailable: '67%' }) }, true],
    ['restart, minAvailable 66% of 3 (=2) is fine', { pdb: pdb({ minAvailable: '66%' }) }, false],
    ['restart, maxUnavailable 0 violates', { pdb: pdb({ maxUnavailable: 0 }) }, true],
    ['restart, maxUnavailable 1 with 2 of 3 healthy violates', { availableReplicas: 2, pdb: pdb({ maxUnavailable: 1 }) }, true],
    ['restart taking 2 down at once, maxUnavailable 1 violates', { disruptedHealthyPods: 2, pdb: pdb({ maxUnavailable: 1 }) }, true],
    ['restart taking 2 down at once, maxUnavailable 50% of 3 (=2) is fine', { disruptedHealthyPods: 2, pdb: pdb({ maxUnavailable: '50%' }) }, false],
    ['delete of an unready pod never violates', { action: 'delete_pod', disruptedHealthyPods: 0, pdb: pdb({ minAvailable: 3 }) }, false],
    ['scale 3 → 1 with minAvailable 2 violates', { action: 'scale', params: { replicas: 1 }, pdb: pdb({ minAvailable: 2 }) }, true],
    ['scale 3 → 2 with minAvailable 2 is fine', { action: 'scale', params: { replicas: 2 }, pdb: pdb({ minAvailable: 2 }) }, false],
    ['status.disruptionsAllowed 0 violates', { pdb: pdb({ maxUnavailable: 1 }, { disruptionsAllowed: 0 }) }, true],
    ['unreadable budget fails closed', { pdb: pdb({ minAvailable: 'most' }) }, true],
  ])('%s', (_name, over, violated) => {
    const r = scoreBlastRadius(input(over), POLICY);
    expect(r.contributions.some((c) => c.rule === 'pdb_violation')).toBe(violated);
  });

  it('says which budget and why', () => {
    const r = scoreBlastRadius(input({ pdb: pdb({ minAvailable: 3 }) }), POLICY);
    expect(r.score).toBe(50);
    expect(r.reasons).toContain(
      'PodDisruptionBudget web-pdb allows 0 disruptions (minAvailable 3; 3 healthy); the action takes 1 pod down at once (+40)',
    );
  });
});

describe('sensitiveParams', () => {
  it.each<[Record<string, unknown>, Array<{ path: string; kind: string }>]>([
    [{ replicas: 3 }, []],
    [{ container: 'api', pod: 'web-1' }, []],
    [{ secret_ref: 'x' }, [{ path: 'secret_ref', kind: 'Secret' }]],
    [{ 'secret-name': 'x' }, [{ path: 'secret-name', kind: 'Secret' }]],
    [{ target: { kind: 'PersistentVolumeClaim', name: 'd' } }, [{ path: 'target.kind', kind: 'PersistentVolumeClaim' }]],
    [{ what: 'secrets/db' }, [{ path: 'what', kind: 'Secret' }]],
    [{ what: 'ns/shop' }, [{ path: 'what', kind: 'Namespace' }]],
  ])('%j → %j', (params, found) => {
    expect(sensitiveParams(params)).toEqual(found);
  });
});

describe('volumeFactsOf and deploymentMaxUnavailable', () => {
  it('counts PVCs and claim templates as persistent, emptyDir/hostPath/ephemeral as local, ignores config volumes', () => {
    const spec = {
      containers: [],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
        { name: 'tmp', emptyDir: {} },
        { name: 'host', hostPath: { path: '/var/log' } },
        { name: 'scratch', ephemeral: {} },
        { name: 'cfg', configMap: { name: 'cfg' } },
        { name: 'creds', secret: { secretName: 'creds' } },
        { name: 'token', projected: {} },
      ],
    };
    expect(volumeFactsOf(spec, [{ metadata: { name: 'www' } }])).toEqual({ persistent: 2, local: 3 });
    expect(volumeFactsOf(undefined)).toEqual({ persistent: 0, local: 0 });
  });

  it.each<[Record<string, unknown> | undefined, number, number]>([
    [undefined, 4, 1], // 25% of 4
    [undefined, 3, 0], // floor(0.75) = 0; surge 1 keeps it up
    [undefined, 1, 0],
    [{ type: 'Recreate' }, 3, 3],
    [{ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }, 5, 2],
    [{ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } }, 5, 2],
    [{ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }, 5, 1],
  ])('deploymentMaxUnavailable(%j, %d) = %d', (strategy, replicas, down) => {
    expect(deploymentMaxUnavailable(strategy, replicas)).toBe(down);
  });
});

describe('blastRadiusInputFromEvidence', () => {
  const ready = (name: string, isReady: boolean) => ({
    metadata: { name, namespace: 'shop' },
    status: { conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False' }] },
  });
  const evidence = (over: Partial<Evidence> = {}): Evidence => ({
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    collectedAt: '2024-05-01T10:00:00Z',
    deployment: {
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 4,
        template: { spec: { containers: [{ name: 'api' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'd' } }] } },
      },
      status: { availableReplicas: 3 },
    },
    replicaSets: [],
    pods: [ready('web-5d4f8c9b7-x2kqz', true), ready('web-5d4f8c9b7-b7wqp', true), ready('web-5d4f8c9b7-r9tzl', true), ready('web-5d4f8c9b7-zzk2m', false)],
    events: [],
    logs: [],
    nodes: [],
    gaps: [],
    ...over,
  });

  it('reads replicas, volumes and the rolling maxUnavailable of a Deployment', () => {
    expect(blastRadiusInputFromEvidence(evidence(), 'restart')).toEqual({
      action: 'restart',
      target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
      params: {},
      workloadKind: 'Deployment',
      desiredReplicas: 4,
      availableReplicas: 3,
      disruptedHealthyPods: 1,
      affectedPods: 4,
      volumes: { persistent: 1, local: 0 },
    });
  });

  it.each<[string, string, number]>([
    ['a ready pod', 'web-5d4f8c9b7-x2kqz', 1],
    ['a pod that is not ready', 'web-5d4f8c9b7-zzk2m', 0],
  ])('delete_pod of %s takes %d healthy pods down', (_name, pod, down) => {
    const i = blastRadiusInputFromEvidence(evidence(), 'delete_pod', { pod });
    expect(i.disruptedHealthyPods).toBe(down);
    expect(i.affectedPods).toBe(1);
  });

  it('scores a restart of the degraded, PVC-backed Deployment as human', () => {
    const r = scoreBlastRadius(blastRadiusInputFromEvidence(evidence(), 'restart'), POLICY);
    expect(r.reasons).toEqual([
      'restart: base risk 10',
      'only 3 of 4 replicas available, and the action takes 1 pod down (+10)',
      '4 pods affected (+5)',
      'pods mount 1 PersistentVolumeClaim (+15)',
    ]);
    expect(r).toMatchObject({ score: 40, tier: 'human' });
  });

  it('reads a StatefulSet with claim templates', () => {
    const i = blastRadiusInputFromEvidence(
      evidence({
        target: { kind: 'StatefulSet', namespace: 'shop', name: 'db' },
        deployment: undefined,
        statefulSet: {
          metadata: { name: 'db' },
          spec: { replicas: 3, template: { spec: { containers: [] } }, volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
          status: { readyReplicas: 3 },
        },
        pods: [],
      }),
      'scale',
      { replicas: 1 },
    );
    expect(i).toMatchObject({ workloadKind: 'StatefulSet', desiredReplicas: 3, availableReplicas: 3, disruptedHealthyPods: 2, affectedPods: 2, volumes: { persistent: 1, local: 0 } });
  });

  it('treats a bare pod as one replica, available when ready', () => {
    const i = blastRadiusInputFromEvidence(
      evidence({ target: { kind: 'Pod', namespace: 'shop', name: 'solo' }, deployment: undefined, pods: [ready('solo', true)] }),
      'delete_pod',
    );
    expect(i).toMatchObject({ workloadKind: 'Pod', desiredReplicas: 1, availableReplicas: 1, disruptedHealthyPods: 1 });
    expect(scoreBlastRadius(i, POLICY)).toMatchObject({ score: 20, tier: 'human' });
  });

  it('defaults to the documented policy', () => {
    expect(DEFAULT_BLAST_RADIUS_POLICY.protectedNamespaces).toEqual(['kube-system', 'kube-public', 'kube-node-lease']);
    expect(scoreBlastRadius(input({ target: { kind: 'Deployment', namespace: 'kube-node-lease', name: 'x' } }), DEFAULT_BLAST_RADIUS_POLICY).score).toBe(100);
  });
});
