/**
 * The action catalog: every remediation Watchkeeper may run, one module per action, behind
 * {@link CatalogAction} — pure `prepare` for planning, then `dryRun`, `apply` (live re-read,
 * dry-run, snapshot, resourceVersion precondition, retry on 409) and awaited `verify`.
 *
 * @example
 * const action = ACTION_CATALOG[plan.action];
 * const prepared = action.prepare(evidence, diagnosis.params, policy);           // planning
 * if (prepared.kind === 'ok') await action.dryRun(ctx, target, prepared.params);  // plan-time dry-run
 * const applied = await action.apply(ctx, target, prepared.params);              // after approval
 * const outcome = await action.verify(ctx, target, prepared.params, applied);    // awaited
 * // Undo: applied.inverse → ACTION_CATALOG[inverse.action].apply(ctx, target, inverse.params)
 */
import type { ActionKind } from '../../domain/diagnosis.ts';
import { applyManifestAction } from './apply-manifest.ts';
import { deletePodAction } from './delete-pod.ts';
import { escalateAction, noneAction } from './escalate.ts';
import { raiseMemoryAction } from './raise-memory.ts';
import { restartAction } from './restart.ts';
import { rollbackAction } from './rollback.ts';
import { scaleAction } from './scale.ts';
import type { CatalogAction } from './types.ts';

/** Every catalog action by kind. */
export const ACTION_CATALOG: Readonly<Record<ActionKind, CatalogAction>> = Object.freeze({
  restart: restartAction,
  rollback: rollbackAction,
  scale: scaleAction,
  delete_pod: deletePodAction,
  raise_memory: raiseMemoryAction,
  escalate: escalateAction,
  none: noneAction,
  apply_manifest: applyManifestAction,
});

export { applyManifestAction, FIELD_MANAGER, manifestObjects, manifestParams } from './apply-manifest.ts';
export { deletePodAction, escalateAction, noneAction, raiseMemoryAction, restartAction, rollbackAction, scaleAction };
export { chooseRollback, type RollbackChoice } from './rollback.ts';
export { orderedReadyStall, whyNotRestartable } from './restart.ts';
export { memoryChange } from './raise-memory.ts';
export {
  ActionImpossible,
  DEFAULT_ACTION_POLICY,
  type ActionContext,
  type ActionParams,
  type ActionPolicy,
  type Applied,
  type CatalogAction,
  type InverseAction,
  type Prepared,
  type StepDetail,
  type Verified,
} from './types.ts';
