/**
 * `rollback`: `kubectl rollout undo` of a Deployment — to the previous revision, or to
 * `params.toRevision` (`--to-revision`). The chosen ReplicaSet's template (without its
 * `pod-template-hash` label) replaces the Deployment's template by JSON patch carrying the
 * resourceVersion. Undo: roll back to the revision it replaced.
 */
import { jsonEqual } from '../../domain/actions/workload.ts';
import { templateChanges } from '../../domain/analyzers/revisions.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { Deployment, KObject, PodTemplateSpec, ReplicaSet } from '../../domain/k8s-objects.ts';
import { ownedReplicaSets, planUndo, revisionOf, templateWithoutHash, undoPatch } from '../../domain/rollout.ts';
import { selectorString } from '../../domain/selectors.ts';
import { applyPatch, dryRunPatch, pollVerify, refOf, requireSupported, rolloutProbe, shortRef, type PatchPlan } from './shared.ts';
import { ActionImpossible, type ActionContext, type ActionParams, type Applied, type CatalogAction } from './types.ts';

/** The rollback target chosen from the history. */
export type RollbackChoice =
  | { kind: 'undo'; fromRevision: number; toRevision: number; template: PodTemplateSpec }
  | { kind: 'impossible'; reason: string };

/**
 * Chooses the revision to roll back to, as `kubectl rollout undo [--to-revision=N]` does.
 * @param toRevision explicit revision; absent or 0 → the previous one.
 */
export function chooseRollback(deployment: Deployment, replicaSets: ReplicaSet[], toRevision: number | undefined): RollbackChoice {
  if (!toRevision) {
    const undo = planUndo(deployment, replicaSets);
    return undo.kind === 'impossible' ? undo : { kind: 'undo', fromRevision: undo.fromRevision, toRevision: undo.toRevision, template: undo.template };
  }
  if (deployment.spec?.paused) return { kind: 'impossible', reason: 'the deployment is paused; resume it before rolling back' };
  const owned = ownedReplicaSets(deployment, replicaSets);
  const current = revisionOf(deployment) || Math.max(0, ...owned.map(revisionOf));
  const rs = owned.find((r) => revisionOf(r) === toRevision);
  if (!rs?.spec?.template) {
    const known = owned.map(revisionOf).filter((n) => n > 0).sort((a, b) => a - b);
    return { kind: 'impossible', reason: `revision ${toRevision} is not in the rollout history (revisions: ${known.join(', ') || 'none'})` };
  }
  return { kind: 'undo', fromRevision: current, toRevision, template: templateWithoutHash(rs.spec.template) };
}

function toRevisionParam(params: ActionParams): number | undefined {
  const n = Number(params.toRevision ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function plan(ctx: ActionContext, target: TargetRef, params: ActionParams) {
  return async (live: KObject): Promise<PatchPlan<Applied>> => {
    const dep = live as Deployment;
    const rsList = (await ctx.cluster.list('ReplicaSet', target.namespace, { labelSelector: selectorString(dep.spec?.selector) })) as ReplicaSet[];
    const choice = chooseRollback(dep, rsList, toRevisionParam(params));
    if (choice.kind === 'impossible') throw new ActionImpossible('rollback', refOf(target), choice.reason);
    const fromRevision = revisionOf(dep) || choice.fromRevision;
    const applied = (detail: string, inverse: Applied['inverse']): Applied => ({
      preState: live,
      params: { ...params, fromRevision, toRevision: choice.toRevision },
      inverse,
      detail,
    });
    if (jsonEqual(templateWithoutHash(dep.spec?.template ?? {}), choice.template)) {
      return {
        kind: 'skip',
        result: applied(`skipped rollback (current template already matches revision ${choice.toRevision})`, null),
      };
    }
    return {
      kind: 'patch',
      patch: { type: 'json', body: undoPatch(choice.template, dep.metadata?.resourceVersion) },
      done: () =>
        applied(
          `rolled back ${shortRef(target)} from revision ${fromRevision} to revision ${choice.toRevision}; undo rolls back to revision ${fromRevision}`,
          fromRevision > 0 ? { action: 'rollback', params: { toRevision: fromRevision } } : null,
        ),
    };
  };
}

/** The `rollback` catalog action. */
export const rollbackAction: CatalogAction = {
  kind: 'rollback',
  supports: (target) => target.kind === 'Deployment',
  prepare(evidence, params) {
    const target = evidence.target;
    if (target.kind !== 'Deployment') return { kind: 'impossible', reason: `rollout undo works on Deployments, not ${target.kind}` };
    const dep = evidence.deployment;
    if (!dep) return { kind: 'impossible', reason: `${refOf(target)} was not found when gathering evidence` };
    const choice = chooseRollback(dep, evidence.replicaSets, toRevisionParam(params));
    if (choice.kind === 'impossible') return choice;
    if (choice.toRevision === choice.fromRevision) return { kind: 'impossible', reason: `the deployment is already at revision ${choice.toRevision}` };
    const changes = templateChanges(dep.spec?.template, choice.template);
    const replicas = dep.spec?.replicas ?? 1;
    return {
      kind: 'ok',
      params: { ...params, fromRevision: choice.fromRevision, toRevision: choice.toRevision },
      description:
        `rollout undo ${shortRef(target)} from revision ${choice.fromRevision} to revision ${choice.toRevision}` +
        (changes.length ? ` (${changes.slice(0, 3).join('; ')})` : ''),
      affectedPods: replicas,
    };
  },
  async dryRun(ctx, target, params) {
    requireSupported('rollback', target, ['Deployment']);
    await dryRunPatch(ctx, 'Deployment', target, plan(ctx, target, params));
  },
  async apply(ctx, target, params) {
    requireSupported('rollback', target, ['Deployment']);
    return applyPatch(ctx, 'Deployment', target, plan(ctx, target, params));
  },
  async verify(ctx, target, _params, _applied) {
    if (target.kind !== 'Deployment') return { ok: false, message: `cannot verify a rollback of ${target.kind}` };
    return pollVerify(ctx, () => rolloutProbe(ctx, { ...target, kind: 'Deployment' }));
  },
};
