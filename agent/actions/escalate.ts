/**
 * `escalate` and `none`: no cluster call at all. `escalate` pages humans (the card itself is the
 * page); `none` records that nothing needs doing. Both apply trivially with no inverse.
 */
import { describeAction } from '../../domain/actions/catalog.ts';
import type { ActionKind } from '../../domain/diagnosis.ts';
import type { CatalogAction } from './types.ts';

function noAction(kind: Extract<ActionKind, 'escalate' | 'none'>, detail: string, verified: string): CatalogAction {
  return {
    kind,
    supports: () => true,
    prepare: (evidence, params) => ({ kind: 'ok', params: { ...params }, description: describeAction(kind, evidence.target, params), affectedPods: 0 }),
    dryRun: async () => {},
    apply: async (_ctx, _target, params) => ({ preState: null, params: { ...params }, inverse: null, detail }),
    verify: async () => ({ ok: true, message: verified }),
  };
}

/** The `escalate` catalog action: no cluster change; humans take over. */
export const escalateAction: CatalogAction = noAction('escalate', 'no cluster change; escalated to humans', 'escalated to humans');

/** The `none` catalog action: nothing to do. */
export const noneAction: CatalogAction = noAction('none', 'no cluster change; nothing to do', 'no action taken; nothing to verify');
