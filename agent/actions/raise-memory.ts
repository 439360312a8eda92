/**
 * `raise_memory`: after an OOM kill, raises one container's memory limit in the workload's pod
 * template — current × `policy.memoryFactor`, rounded up to whole Mi, capped by
 * `policy.maxMemoryBytes` — keeping the request ≤ the limit. Strategic merge patch on the
 * container by name with the resourceVersion precondition; the controller rolls the pods.
 *
 * With an explicit `params.limit` it sets exactly that limit (and `params.request` when given):
 * this is how the inverse puts the previous values back.
 */
import {
  findContainer,
  formatMemory,
  memoryPatch,
  oomContainer,
  parseMemory,
  planMemoryRaise,
  templateOf,
  type WorkloadKind,
} from '../../domain/actions/workload.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { KObject, PodTemplateSpec } from '../../domain/k8s-objects.ts';
import {
  applyPatch,
  desiredPods,
  dryRunPatch,
  isWorkload,
  pollVerify,
  refOf,
  requireSupported,
  rolloutProbe,
  shortRef,
  WORKLOAD_KINDS,
  workloadInEvidence,
  type PatchPlan,
} from './shared.ts';
import { ActionImpossible, type ActionParams, type ActionPolicy, type Applied, type CatalogAction, type InverseAction } from './types.ts';

/** The memory change computed against a template. */
type MemoryChange =
  | {
      kind: 'change';
      container: string;
      list: 'containers' | 'initContainers';
      fromLimit: string;
      limit: string;
      fromRequest: string | undefined;
      /** New request, only when it changes. */
      request: string | undefined;
      note: string;
    }
  | { kind: 'impossible'; reason: string };

/**
 * What to set on `container`: `params.limit` when given (validated against the cap), else the
 * policy's raise of the current limit; the request is lowered to the limit when above it.
 */
export function memoryChange(template: PodTemplateSpec | undefined, container: string, params: ActionParams, policy: ActionPolicy): MemoryChange {
  const found = findContainer(template, container);
  if (!found) {
    const names = (template?.spec?.containers ?? []).map((c) => c.name).join(', ');
    return { kind: 'impossible', reason: `container ${container} is not in the pod template (containers: ${names || 'none'})` };
  }
  const fromLimit = found.container.resources?.limits?.memory;
  const fromRequest = found.container.resources?.requests?.memory;
  if (fromLimit === undefined) {
    return { kind: 'impossible', reason: `container ${container} has no memory limit to raise (the node ran out of memory, not the container)` };
  }
  if (params.fromLimit !== undefined && params.fromLimit !== '' && parseMemory(String(params.fromLimit)) !== parseMemory(fromLimit)) {
    return {
      kind: 'impossible',
      reason: `memory limit of ${container} changed since planning (planned from ${params.fromLimit}, now ${fromLimit}); plan again`,
    };
  }
  let limit: string;
  let limitBytes: number;
  let note = '';
  if (params.limit !== undefined && params.limit !== '') {
    const bytes = parseMemory(String(params.limit));
    if (bytes === undefined || bytes <= 0) return { kind: 'impossible', reason: `memory limit "${params.limit}" is not a valid quantity` };
    if (bytes > policy.maxMemoryBytes) {
      return { kind: 'impossible', reason: `memory limit ${params.limit} exceeds the policy cap of ${formatMemory(policy.maxMemoryBytes)}` };
    }
    limit = String(params.limit);
    limitBytes = bytes;
  } else {
    const plan = planMemoryRaise({ limit: fromLimit, request: fromRequest, factor: policy.memoryFactor, maxBytes: policy.maxMemoryBytes });
    if (plan.kind === 'impossible') return { kind: 'impossible', reason: `container ${container}: ${plan.reason}` };
    limit = plan.toLimit;
    limitBytes = plan.toLimitBytes;
    if (plan.capped) note = `capped at ${formatMemory(policy.maxMemoryBytes)}`;
  }
  let request: string | undefined;
  if (params.request !== undefined && params.request !== '') {
    const bytes = parseMemory(String(params.request));
    if (bytes === undefined) return { kind: 'impossible', reason: `memory request "${params.request}" is not a valid quantity` };
    request = bytes > limitBytes ? limit : String(params.request);
  } else {
    const current = parseMemory(fromRequest);
    if (current !== undefined && current > limitBytes) request = limit;
  }
  if (request === fromRequest) request = undefined;
  const reqNote = request !== undefined ? `request ${fromRequest ?? 'none'} → ${request}` : fromRequest ? `request ${fromRequest} kept` : '';
  return {
    kind: 'change',
    container,
    list: found.list,
    fromLimit,
    limit,
    fromRequest,
    request,
    note: [note, reqNote].filter(Boolean).join(', '),
  };
}

function inverseOf(c: Extract<MemoryChange, { kind: 'change' }>): InverseAction {
  return {
    action: 'raise_memory',
    params: { container: c.container, limit: c.fromLimit, fromLimit: c.limit, ...(c.request !== undefined && c.fromRequest !== undefined ? { request: c.fromRequest } : {}) },
  };
}

function containerParam(target: TargetRef, params: ActionParams): string | undefined {
  const c = params.container ?? target.container;
  return c === undefined || c === '' ? undefined : String(c);
}

function plan(target: TargetRef & { kind: WorkloadKind }, params: ActionParams, policy: ActionPolicy) {
  return (live: KObject): PatchPlan<Applied> => {
    const template = templateOf(live);
    const container = oomContainer(template, [], containerParam(target, params));
    if (!container) throw new ActionImpossible('raise_memory', refOf(target), 'no container named (params.container) and the pod template has several');
    const change = memoryChange(template, container, params, policy);
    if (change.kind === 'impossible') throw new ActionImpossible('raise_memory', refOf(target), change.reason);
    const appliedParams: ActionParams = {
      ...params,
      container,
      limit: change.limit,
      fromLimit: change.fromLimit,
      ...(change.request !== undefined ? { request: change.request } : {}),
      ...(change.fromRequest !== undefined ? { fromRequest: change.fromRequest } : {}),
    };
    if (change.limit === change.fromLimit && change.request === undefined) {
      return {
        kind: 'skip',
        result: { preState: live, params: appliedParams, inverse: null, detail: `memory limit of ${container} in ${shortRef(target)} is already ${change.limit}; nothing changed` },
      };
    }
    return {
      kind: 'patch',
      patch: { type: 'strategic', body: memoryPatch(container, change.limit, change.request, live.metadata?.resourceVersion, change.list) },
      done: () => ({
        preState: live,
        params: appliedParams,
        inverse: inverseOf(change),
        detail:
          `memory limit of ${container} in ${shortRef(target)} set from ${change.fromLimit} to ${change.limit}` +
          `${change.note ? ` (${change.note})` : ''}; undo sets ${change.fromLimit} back`,
      }),
    };
  };
}

/** The `raise_memory` catalog action. */
export const raiseMemoryAction: CatalogAction = {
  kind: 'raise_memory',
  supports: (target) => isWorkload(target),
  prepare(evidence, params, policy) {
    const target = evidence.target;
    if (!isWorkload(target)) return { kind: 'impossible', reason: `raise_memory works on ${WORKLOAD_KINDS.join(', ')}, not ${target.kind}` };
    const obj = workloadInEvidence(evidence);
    if (!obj) return { kind: 'impossible', reason: `${refOf(target)} was not found when gathering evidence` };
    const template = templateOf(obj);
    const container = oomContainer(template, evidence.pods, containerParam(target, params));
    if (!container) {
      const names = (template?.spec?.containers ?? []).map((c) => c.name).join(', ');
      return { kind: 'impossible', reason: `which container? none was named and the pod template has several (${names})` };
    }
    const change = memoryChange(template, container, params, policy);
    if (change.kind === 'impossible') return change;
    if (change.limit === change.fromLimit && change.request === undefined) {
      return { kind: 'impossible', reason: `memory limit of ${container} is already ${change.limit}` };
    }
    const verb = (parseMemory(change.limit) ?? 0) >= (parseMemory(change.fromLimit) ?? 0) ? 'raise' : 'lower';
    const pods = desiredPods(target.kind, obj, evidence.pods);
    return {
      kind: 'ok',
      params: {
        ...params,
        container,
        limit: change.limit,
        fromLimit: change.fromLimit,
        ...(change.request !== undefined ? { request: change.request } : {}),
        ...(change.fromRequest !== undefined ? { fromRequest: change.fromRequest } : {}),
      },
      description:
        `${verb} memory limit of ${container} in ${shortRef(target)} from ${change.fromLimit} to ${change.limit}` +
        `${change.note ? ` (${change.note})` : ''}; ${pods} pod${pods === 1 ? '' : 's'} rolled`,
      affectedPods: pods,
    };
  },
  async dryRun(ctx, target, params) {
    requireSupported('raise_memory', target, WORKLOAD_KINDS);
    const t = target as TargetRef & { kind: WorkloadKind };
    await dryRunPatch(ctx, t.kind, t, plan(t, params, ctx.policy));
  },
  async apply(ctx, target, params) {
    requireSupported('raise_memory', target, WORKLOAD_KINDS);
    const t = target as TargetRef & { kind: WorkloadKind };
    return applyPatch(ctx, t.kind, t, plan(t, params, ctx.policy));
  },
  async verify(ctx, target, params, applied) {
    if (!isWorkload(target)) return { ok: false, message: `cannot verify raise_memory on ${target.kind}` };
    const p = { ...params, ...applied?.params };
    const container = p.container === undefined ? undefined : String(p.container);
    const limit = p.limit === undefined ? undefined : String(p.limit);
    const check = (obj: KObject): string | undefined => {
      if (!container || !limit) return undefined;
      const live = findContainer(templateOf(obj), container)?.container.resources?.limits?.memory;
      if (live === undefined || parseMemory(live) !== parseMemory(limit)) {
        return `memory limit of ${container} is ${live ?? 'unset'}, not ${limit}: the change is not live (changed again or never applied)`;
      }
      return undefined;
    };
    return pollVerify(ctx, () => rolloutProbe(ctx, target, check));
  },
};
