/**
 * `escalate` and `none`: no cluster call at all. `escalate` pages humans (the card itself is the
 * page); `none` records that nothing needs doing. Both apply trivially with no inverse.
 */
import type { ActionKind } from '../../domain/diagnosis.ts';
import type { CatalogAction } from './types.ts';

function noAction(kind: Extract<ActionKind, 'escalate' | 'none'>, description: string, detail: string, verified: string): CatalogAction {
  return {
    kind,
    supports: () => true,
    prepare: (_evidence, params) => ({ kind: 'ok', params: { ...params }, description, affectedPods: 0 }),
    dryRun: async () => {},
    apply: async (_ctx, _target, params) => ({ preState: null, params: { ...params }, inverse: null, detail }),
    verify: async () => ({ ok: true, message: verified }),
  };
}

/** The `escalate` catalog action: no cluster change; humans take over. */
export const escalateAction: CatalogAction = noAction(
  'escalate',
  'escalate to a human (no automatic action)',
  'no cluster change; escalated to humans',
  'escalated to humans',
);

/** The `none` catalog action: nothing to do. */
export const noneAction: CatalogAction = noAction('none', 'no action', 'no cluster change; nothing to do', 'no action taken; nothing to verify');
