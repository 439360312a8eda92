/**
 * The vocabulary of diagnosis: targets, evidence bundles, findings, categories and catalog actions.
 * Pure types and tiny helpers; no I/O.
 */
import type { ActionKind } from './actions/catalog.ts';
import type {
  DaemonSet,
  Deployment,
  HorizontalPodAutoscaler,
  Job,
  KEvent,
  Node,
  NetworkPolicy,
  PersistentVolumeClaim,
  Pod,
  PodDisruptionBudget,
  ReplicaSet,
  ResourceQuota,
  StatefulSet,
  StorageClass,
} from './k8s-objects.ts';

/** Kinds of objects an incident can target. */
/** `Manifest` stands for a set of manifests applied together (drift rollback, a generated alerting rule). */
export const TARGET_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod', 'Node', 'Manifest'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What an incident is about. `namespace` is empty for cluster-scoped kinds (Node). */
export interface TargetRef {
  kind: TargetKind;
  namespace: string;
  name: string;
  /** Container named by the alert's `container` label, when present. */
  container?: string;
}

/** `namespace/Kind/name`, the form used on cards and in `/diagnose`. */
export function formatTarget(t: TargetRef): string {
  return t.namespace ? `${t.namespace}/${t.kind}/${t.name}` : `${t.kind}/${t.name}`;
}

/** Diagnosis categories (issue "Diagnosis"); names are part of the CLI's JSON output. */
export const CATEGORIES = [
  'crash_loop',
  'oom_killed',
  'image_pull',
  'config_error',
  'probe_failure',
  'unschedulable',
  'evicted',
  'init_failure',
  'rollout_stuck',
  'bad_rollout',
  'job_failed',
  'node_not_ready',
  'node_pressure',
  'hpa_maxed',
  'probe_misconfigured',
  'image_arch_mismatch',
  'quota_exceeded',
  'volume_unbound',
  'volume_mount_failed',
  'pdb_blocking',
  'cpu_throttled',
  'network_blocked',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

// Catalog actions and the ones a model may choose: derived from the traits table (domain/actions/catalog.ts).
export { ACTION_KINDS, MODEL_ACTION_KINDS, type ActionKind, type ModelActionKind } from './actions/catalog.ts';

/**
 * The target kinds each catalog action can act on (what `agent/actions/<kind>.ts` `supports`):
 * analyzers propose an action only when it can apply to the incident's target, so a Node target
 * never gets a pod-level proposal. `escalate` and `none` apply to everything.
 */
export const ACTION_TARGET_KINDS: Readonly<Record<ActionKind, readonly TargetKind[]>> = {
  restart: ['Deployment', 'StatefulSet', 'DaemonSet'],
  rollback: ['Deployment'],
  scale: ['Deployment', 'StatefulSet'],
  delete_pod: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet'],
  raise_memory: ['Deployment', 'StatefulSet', 'DaemonSet'],
  escalate: TARGET_KINDS,
  none: TARGET_KINDS,
  apply_manifest: ['Manifest'],
};

/**
 * Whether a catalog action can act on a target of this kind ({@link ACTION_TARGET_KINDS}).
 *
 * @example actionAppliesTo('restart', 'Node') // false
 */
export function actionAppliesTo(action: ActionKind, kind: TargetKind): boolean {
  return ACTION_TARGET_KINDS[action].includes(kind);
}

/** Container log tail, as gathered (already collapsed and truncated by the gatherer). */
export interface ContainerLog {
  pod: string;
  container: string;
  /** True when this is the previous (crashed) instance's log (`?previous=true`). */
  previous: boolean;
  lines: string[];
}

/**
 * Everything gathered deterministically about one target. Objects are plain JSON as the API
 * server returns them. Lists are empty (never undefined) when nothing was found.
 */
export interface Evidence {
  target: TargetRef;
  /** ISO-8601 time the evidence was gathered; analyzers use it instead of a clock. */
  collectedAt: string;
  deployment?: Deployment;
  statefulSet?: StatefulSet;
  daemonSet?: DaemonSet;
  job?: Job;
  replicaSets: ReplicaSet[];
  pods: Pod[];
  /** Warning events for the target and its pods (Normal events may be included too). */
  events: KEvent[];
  logs: ContainerLog[];
  nodes: Node[];
  hpa?: HorizontalPodAutoscaler;
  pdb?: PodDisruptionBudget;
  /** ResourceQuotas of the target's namespace (their `used` vs `hard`). */
  resourceQuotas?: ResourceQuota[];
  /** NetworkPolicies of the target's namespace (which pods they isolate for egress). */
  networkPolicies?: NetworkPolicy[];
  /** The PersistentVolumeClaims the pods mount that were found (a missing one is simply absent). */
  claims?: PersistentVolumeClaim[];
  /** StorageClasses named by unbound claims that exist; `missingStorageClasses` those the API server does not know. */
  storageClasses?: StorageClass[];
  /** StorageClass names an unbound claim asks for that do not exist (read answered 404). */
  missingStorageClasses?: string[];
  /**
   * The alert that opened the incident, when known (`alertname` label, e.g. `CPUThrottlingHigh`):
   * some kinds are named only by the alert (throttling is not visible in object status).
   */
  alertname?: string;
  /** Sources that failed while gathering (e.g. `logs: 500 from API`), shown on the card. */
  gaps: string[];
}

/** Evidence with nothing gathered yet (every list empty), collected at `now`. */
export function emptyEvidence(target: TargetRef, now: Date): Evidence {
  return { target, collectedAt: now.toISOString(), replicaSets: [], pods: [], events: [], logs: [], nodes: [], gaps: [] };
}

/** A rule analyzer's conclusion. */
export interface Finding {
  /** Analyzer that produced it, e.g. `pod.crash_loop`. */
  analyzer: string;
  category: Category;
  /** Plain-language cause, one sentence, e.g. `Container api exits with code 1 (application error)`. */
  cause: string;
  /** Lines from the evidence that prove it (reason, exit code, event message, log line). */
  evidence: string[];
  /** Catalog actions that fit, best first. */
  actions: ActionKind[];
  /** 0–1: how sure the rule is; used to pick the best finding. */
  confidence: number;
  /** Object the finding is about, e.g. `Pod/api-7c9-x2`. */
  subject: string;
  /** Extra parameters for the action (e.g. container name for raise_memory). */
  params?: Record<string, string | number>;
}

/** A rule analyzer: a pure function over fetched evidence (k8sgpt-style, one per kind). */
export interface Analyzer {
  name: string;
  analyze(evidence: Evidence): Finding[];
}
