/**
 * Execution of an approved remediation against the cluster: live re-read, server-side dry-run,
 * pre-state snapshot, apply with the resourceVersion precondition (re-read and retry on 409), then
 * awaited verification of the rollout. Each step is reported through `step` for the audit log.
 */
import type { Deployment, Pod, ReplicaSet } from '../domain/k8s-objects.ts';
import {
  deploymentRolloutStatus,
  describeUnhealthyPods,
  RESTARTED_AT_ANNOTATION,
  revisionOf,
  totalRestarts,
} from '../domain/rollout.ts';
import { selectorString } from '../domain/selectors.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import { actionPatch } from './plan.ts';
import { K8sConflict, type ClusterPort } from './ports.ts';

/** Options for {@link applyAction} and {@link verifyRollout}. */
export interface ExecuteOptions {
  /** Verification deadline, ms. */
  verifyTimeoutMs: number;
  /** Interval between status reads, ms. */
  pollMs: number;
  /** Attempts on 409 Conflict (default 3). */
  conflictRetries?: number;
  now: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Records a step (audit). */
  step: (name: string, detail: { input?: unknown; output?: unknown; durationMs: number; error?: string }) => Promise<void>;
}

/** What was applied. */
export interface Applied {
  preState: Deployment;
  /** Revision before the action. */
  fromRevision: number;
  /** restartedAt stamp written (restart only), to recognise our rollout after a crash. */
  restartedAt?: string;
}

/** Outcome of an action run. */
export type ExecutionOutcome = { ok: true; message: string } | { ok: false; message: string };

/**
 * Re-reads the Deployment, dry-runs the patch (`dryRun=All`), then applies it with the live
 * resourceVersion as precondition, retrying on 409 with a fresh read.
 * @throws K8sCallFailed when the cluster refuses (dry-run rejected, not found, RBAC, network).
 */
export async function applyAction(
  cluster: ClusterPort,
  action: 'restart' | 'rollback',
  target: TargetRef,
  opts: ExecuteOptions,
): Promise<Applied> {
  const retries = opts.conflictRetries ?? 3;
  for (let attempt = 1; ; attempt++) {
    const t0 = Date.now();
    const live = (await cluster.get('Deployment', target.namespace, target.name)) as Deployment | undefined;
    if (!live) throw new Error(`deployment ${target.namespace}/${target.name} not found`);
    const replicaSets =
      action === 'rollback'
        ? ((await cluster.list('ReplicaSet', target.namespace, {
            labelSelector: selectorString(live.spec?.selector),
          })) as ReplicaSet[])
        : [];
    const now = opts.now();
    const patch = actionPatch(action, live, replicaSets, now);
    await cluster.patch('Deployment', target.namespace, target.name, patch, { dryRun: true });
    await opts.step('k8s.dry_run', { input: patch, output: 'accepted', durationMs: Date.now() - t0 });
    const t1 = Date.now();
    try {
      const applied = await cluster.patch('Deployment', target.namespace, target.name, patch);
      await opts.step('k8s.apply', {
        input: patch,
        output: { resourceVersion: applied.metadata?.resourceVersion, generation: applied.metadata?.generation },
        durationMs: Date.now() - t1,
      });
      const restartedAt =
        action === 'restart'
          ? (applied as Deployment).spec?.template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]
          : undefined;
      return { preState: live, fromRevision: revisionOf(live), restartedAt };
    } catch (err) {
      if (err instanceof K8sConflict && attempt < retries) {
        await opts.step('k8s.conflict', { error: err.message, durationMs: Date.now() - t1 });
        continue;
      }
      throw err;
    }
  }
}

/**
 * Awaits the rollout: complete (kubectl's rollout status), every pod of the new revision ready
 * and none restarted. Fails early on ProgressDeadlineExceeded; fails at the deadline with what
 * was last seen.
 */
export async function verifyRollout(cluster: ClusterPort, target: TargetRef, opts: ExecuteOptions): Promise<ExecutionOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + opts.verifyTimeoutMs;
  let lastSeen = 'no status read yet';
  for (;;) {
    try {
      const dep = (await cluster.get('Deployment', target.namespace, target.name)) as Deployment | undefined;
      if (!dep) return { ok: false, message: 'deployment disappeared during verification' };
      const status = deploymentRolloutStatus(dep);
      const selector = selectorString(dep.spec?.selector);
      const revision = revisionOf(dep);
      // Only the current revision's live pods count: old pods may linger while Terminating
      // (with the restarts that caused the incident) on a real cluster.
      const replicaSets = (await cluster.list('ReplicaSet', target.namespace, { labelSelector: selector })) as ReplicaSet[];
      const currentRs = replicaSets.find((rs) => revisionOf(rs) === revision)?.metadata?.name;
      const pods = ((await cluster.list('Pod', target.namespace, { labelSelector: selector })) as Pod[]).filter(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          (!currentRs || p.metadata?.ownerReferences?.some((o) => o.kind === 'ReplicaSet' && o.name === currentRs)),
      );
      if (status.kind === 'failed') {
        return { ok: false, message: `${status.message}; ${describeUnhealthyPods(pods).join('; ') || 'no pod detail'}` };
      }
      if (status.kind === 'complete') {
        const restarts = totalRestarts(pods);
        const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
        if (restarts > 0) return { ok: false, message: `rollout complete but pods restarted ${restarts} time(s): ${describeUnhealthyPods(pods).join('; ')}` };
        if (ready >= (dep.spec?.replicas ?? 1)) {
          return { ok: true, message: `rollout complete: revision ${revision}, ${ready}/${dep.spec?.replicas ?? 1} pods ready, no restarts` };
        }
        lastSeen = `${ready}/${dep.spec?.replicas ?? 1} pods ready`;
      } else {
        const unhealthy = describeUnhealthyPods(pods);
        lastSeen = `${status.message}${unhealthy.length ? `; ${unhealthy.join('; ')}` : ''}`;
      }
    } catch (err) {
      lastSeen = `status read failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      return { ok: false, message: `not verified within ${Math.round(opts.verifyTimeoutMs / 1000)} s: ${lastSeen}` };
    }
    await sleep(Math.min(opts.pollMs, Math.max(0, deadline - Date.now())));
  }
}
