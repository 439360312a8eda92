/**
 * The action catalog's contract: what every remediation action (restart, rollback, scale,
 * delete_pod, raise_memory, escalate, none, apply_manifest) offers the planner and the executor.
 * What an action is (risk, no-op, pod effect, wording) is data in `domain/actions/catalog.ts`.
 */
import type { ActionKind, Evidence, TargetRef } from '../../domain/diagnosis.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import type { ClusterPort } from '../ports.ts';

/** Action parameters as stored on a remediation (JSON scalars only). */
export type ActionParams = Record<string, string | number>;

/**
 * Limits and timings of the catalog, from config. See {@link DEFAULT_ACTION_POLICY}.
 */
export interface ActionPolicy {
  /** Highest replica count `scale` may set. */
  maxScaleReplicas: number;
  /** Whether `scale` may set 0 replicas. */
  allowScaleToZero: boolean;
  /** Multiplier of the memory limit for `raise_memory` (e.g. 1.5). */
  memoryFactor: number;
  /** Highest memory limit `raise_memory` may set, bytes. */
  maxMemoryBytes: number;
  /** Attempts in total when the API server answers 409 Conflict (re-read between attempts). */
  conflictRetries: number;
  /** Verification deadline, ms. */
  verifyTimeoutMs: number;
  /** Interval between status reads while verifying, ms. */
  pollMs: number;
}

/** Defaults: at most 10 replicas, never 0, memory ×1.5 up to 8 GiB, 3 attempts, verify within 120 s polling every 2 s. */
export const DEFAULT_ACTION_POLICY: Readonly<ActionPolicy> = Object.freeze({
  maxScaleReplicas: 10,
  allowScaleToZero: false,
  memoryFactor: 1.5,
  maxMemoryBytes: 8 * 1024 ** 3,
  conflictRetries: 3,
  verifyTimeoutMs: 120_000,
  pollMs: 2_000,
});

/** A step record for the audit log (`AuditEntry` without actor, action and subject). */
export type StepDetail = { input?: unknown; output?: unknown; durationMs: number; error?: string };

/** What an action needs at run time. */
export interface ActionContext {
  cluster: ClusterPort;
  policy: ActionPolicy;
  /** Wall clock for stamps (`restartedAt`); deadlines use real elapsed time. */
  now: () => Date;
  /** Waits between status reads and conflict retries (default: setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Records a step in the audit log. Names: `k8s.dry_run`, `k8s.apply`, `k8s.conflict`,
   * `k8s.verify`.
   */
  step: (name: string, d: StepDetail) => Promise<void>;
}

/** Result of pure planning. */
export type Prepared =
  | {
      kind: 'ok';
      /** Parameters to store on the plan and pass to dryRun/apply/verify. */
      params: ActionParams;
      /** One line for the card, e.g. `raise memory limit of app in deployment/web from 256Mi to 384Mi`. */
      description: string;
      /** Pods the action replaces, creates or removes (for the blast radius). */
      affectedPods: number;
    }
  | { kind: 'impossible'; reason: string };

/** What to run to undo an applied action (through the same approval flow). */
export interface InverseAction {
  action: ActionKind;
  params: ActionParams;
}

/** What {@link CatalogAction.apply} did. JSON-serialisable: store it with the remediation. */
export interface Applied {
  /** The object as it was right before the change (the one the precondition was taken from); null when nothing was touched. */
  preState: KObject | null;
  /** Parameters as applied, including what was computed from live state (e.g. `restartedAt`, `fromReplicas`). */
  params: ActionParams;
  /** How to undo it; null when it cannot be undone (see `detail`). */
  inverse: InverseAction | null;
  /** One line for the card and the audit log. */
  detail: string;
}

/** Outcome of verification; `message` says what was seen. */
export type Verified = { ok: true; message: string } | { ok: false; message: string };

/** One catalog action (k8sgpt-style: one module per action, one registry line). */
export interface CatalogAction {
  kind: ActionKind;
  /** Whether it can act on this target kind. */
  supports(target: TargetRef): boolean;
  /** Pure planning from evidence and the diagnosis params (e.g. container, replicas); never I/O. */
  prepare(evidence: Evidence, params: ActionParams, policy: ActionPolicy): Prepared;
  /**
   * Server-side dry-run only (`dryRun=All`) against a live re-read; changes nothing.
   * @throws K8sCallFailed when the API server refuses (404 included); ActionImpossible when the live state rules it out.
   */
  dryRun(ctx: ActionContext, target: TargetRef, params: ActionParams): Promise<void>;
  /**
   * Live re-read, dry-run, snapshot, apply with the resourceVersion precondition; on 409 re-reads
   * and retries, `policy.conflictRetries` attempts in total.
   * @throws K8sConflict after the last attempt; K8sCallFailed; ActionImpossible.
   */
  apply(ctx: ActionContext, target: TargetRef, params: ActionParams): Promise<Applied>;
  /**
   * Awaits the outcome within `policy.verifyTimeoutMs`, polling every `policy.pollMs`. Reads
   * only, so it is safe to run again after a crash. `applied` may be null when the
   * apply result was lost; verification then relies on `params` and live state.
   * Never throws for cluster errors: they become part of what was seen.
   */
  verify(ctx: ActionContext, target: TargetRef, params: ActionParams, applied: Applied | null): Promise<Verified>;
}

/**
 * The live state rules the action out (paused deployment, bare pod, no previous revision,
 * target kind not supported, limit already at the cap…). Not an infrastructure failure: the
 * executor marks the remediation failed with `reason`.
 */
export class ActionImpossible extends Error {
  constructor(
    readonly action: ActionKind,
    readonly ref: string,
    readonly reason: string,
  ) {
    super(`${action} on ${ref} is impossible: ${reason}`);
    this.name = 'ActionImpossible';
  }
}
