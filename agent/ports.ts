/**
 * The agent's ports: what it needs from the outside world. Adapters implement them
 * (`agent/k8s`, `agent/llm`, `bot/notifier.ts`); `main.ts` wires them in.
 */
import type { KObject } from '../domain/k8s-objects.ts';

/** Kinds the cluster port reads or writes. */
export type ClusterKind =
  | 'Deployment'
  | 'ReplicaSet'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'Job'
  | 'CronJob'
  | 'Pod'
  | 'Node'
  | 'Event'
  | 'HorizontalPodAutoscaler'
  | 'PodDisruptionBudget';

/** A patch and its content type (Kubernetes patch strategies). */
export type PatchBody =
  | { type: 'strategic'; body: Record<string, unknown> }
  | { type: 'merge'; body: Record<string, unknown> }
  | { type: 'json'; body: Array<Record<string, unknown>> };

/** Selectors for list calls, in the API server's string syntax (`app=web,tier in (a,b)`). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Most items to return (API `limit`). */
  limit?: number;
}

/**
 * The Kubernetes API as the agent sees it: plain JSON objects, `undefined` for 404 on reads.
 * Errors: {@link K8sConflict} on 409 (stale resourceVersion), {@link K8sCallFailed} for anything else
 * (network, 4xx/5xx), each carrying the verb, object and `cause`.
 */
export interface ClusterPort {
  get(kind: ClusterKind, namespace: string, name: string): Promise<KObject | undefined>;
  list(kind: ClusterKind, namespace: string, options?: ListOptions): Promise<KObject[]>;
  /** Patches; with `dryRun` the server validates and answers without persisting (`dryRun=All`). */
  patch(kind: ClusterKind, namespace: string, name: string, patch: PatchBody, options?: { dryRun?: boolean }): Promise<KObject>;
  /** Deletes one object (Pods only today). */
  delete(kind: ClusterKind, namespace: string, name: string, options?: { dryRun?: boolean }): Promise<void>;
  /** Container log tail as text. */
  podLog(namespace: string, pod: string, container: string, options: { previous?: boolean; tailLines: number }): Promise<string>;
  /**
   * Reads any object by apiVersion/kind/namespace/name (discovery-based; CRDs included).
   * @returns undefined on 404.
   */
  readObject(ref: { apiVersion: string; kind: string; namespace?: string; name: string }): Promise<KObject | undefined>;
  /**
   * Server-side apply of one object (`application/apply-patch+yaml`) with a field manager;
   * with `dryRun` the server validates and answers without persisting.
   * Source: https://kubernetes.io/docs/reference/using-api/server-side-apply/
   */
  applyObject(obj: KObject, options: { fieldManager: string; dryRun?: boolean; force?: boolean }): Promise<KObject>;
}

/** A Kubernetes API call failed; `status` is the HTTP code when the server answered. */
export class K8sCallFailed extends Error {
  constructor(
    readonly verb: string,
    readonly ref: string,
    readonly status: number | undefined,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(`Kubernetes ${verb} ${ref} failed${status ? ` (HTTP ${status})` : ''}${options.detail ? `: ${options.detail}` : ''}`, {
      cause: options.cause,
    });
    this.name = 'K8sCallFailed';
  }
}

/** 409 Conflict: the object changed since it was read (optimistic concurrency). Re-read and retry. */
export class K8sConflict extends K8sCallFailed {
  constructor(verb: string, ref: string, options: { cause?: unknown; detail?: string } = {}) {
    super(verb, ref, 409, options);
    this.name = 'K8sConflict';
  }
}

/** A button on a card: label and callback data (≤ 64 bytes, Telegram's limit). */
export interface CardButton {
  label: string;
  data: string;
}

/**
 * What an incident card shows, as data; the bot renders it (bot/cards.ts). The agent builds
 * it from the database each time, so every edit shows the current truth.
 */
export interface IncidentCardView {
  incidentId: number;
  status: 'open' | 'resolved';
  severity: string;
  alertname: string;
  summary: string;
  /** `namespace/Kind/name`, or undefined when the labels name no object. */
  target?: string;
  openedAt: Date;
  resolvedAt?: Date;
  diagnosis?: {
    /** `rules only` or `ollama/<model>`. */
    source: string;
    category: string;
    cause: string;
    evidence: string[];
    confidence: number;
    gaps: string[];
  };
  proposal?: {
    remediationId: number;
    action: string;
    description: string;
    tier: string;
    score: number;
    reasons: string[];
    state: string;
    approvals: { required: number; given: Array<{ name: string; at: Date }> };
    decidedBy?: { name: string; at: Date; decision: string };
    /** Progress or final outcome, e.g. `rollout complete: 3/3 ready`. */
    result?: { ok: boolean; message: string; at?: Date };
    /** Playbook trust score (EWMA 0–1) of this action for these symptoms. */
    trust?: { score: number; successes: number; failures: number };
    snoozedUntil?: Date;
    /** Id of the remediation this one undoes. */
    undoOf?: number;
    rejectReason?: string;
  };
  /** The alert group is muted until then. */
  silencedUntil?: Date;
  /** This card was re-posted further down the chat (its buttons moved there). */
  repostedBelow?: boolean;
  buttons: CardButton[];
}

/** A runbook draft for review (Publish / Discard). */
export interface KnowledgeCardView {
  knowledgeId: number;
  kind: 'runbook' | 'anti_pattern';
  status: 'draft' | 'published' | 'discarded';
  title: string;
  body: string;
  decidedBy?: string;
  buttons: CardButton[];
}

/** Where a card was posted. */
export interface CardRef {
  chatId: number;
  messageId: number;
}

/**
 * What the agent needs from the chat: post and edit cards. Implemented by the bot. Both
 * throw on Telegram errors (after the bot's own retries); the agent logs and retries the job.
 */
export interface Notifier {
  postIncidentCard(chatId: number, card: IncidentCardView): Promise<CardRef>;
  /** Edits a posted card; "message is not modified" is not an error. */
  editIncidentCard(ref: CardRef, card: IncidentCardView): Promise<void>;
  postKnowledgeCard(chatId: number, card: KnowledgeCardView): Promise<CardRef>;
  editKnowledgeCard(ref: CardRef, card: KnowledgeCardView): Promise<void>;
}

/** Wall clock, injectable for tests. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };
