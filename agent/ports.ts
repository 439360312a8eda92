/**
 * The core's ports: what it needs from the outside world, and the domain values it reads.
 * Adapters implement them — the cluster (`agent/k8s`), the chat (`bot/notifier.ts`), the
 * repositories (`entities/repositories/`) — and `main.ts` wires them in. Nothing here knows SQL,
 * Telegram or an ORM.
 */
import type { AlertGroup } from '../domain/alerts.ts';
import type { ActionKind, TargetRef } from '../domain/diagnosis.ts';
import type { GuardrailHistory } from '../domain/guardrails.ts';
import type { KObject } from '../domain/k8s-objects.ts';
import type { FinetuneRecord } from '../domain/learning.ts';
import type {
  Ballot,
  DecisionRuling,
  DecisionVerb,
  ExecutionResult,
  RemediationOrigin,
  RemediationState,
} from '../domain/remediation/index.ts';
import type { Applied } from './actions/types.ts';
import type { DiagnosisRecord } from './diagnose.ts';
import type { RemediationPlan } from './plan.ts';

export type { FinetuneRecord };

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
  | 'PodDisruptionBudget'
  | 'ResourceQuota'
  | 'NetworkPolicy'
  | 'PersistentVolumeClaim'
  | 'StorageClass';

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

/**
 * A button on a drift or coverage card: label and callback data (≤ 64 bytes, Telegram's limit).
 * Incident and knowledge cards carry {@link IncidentCardAction}s instead; the bot builds their buttons.
 */
export interface CardButton {
  label: string;
  data: string;
}

/** What a person can do on an incident card; the bot turns each into a button. */
export type IncidentCardAction = 'approve' | 'reject' | 'dismiss' | 'later' | 'silence' | 'undo';

/**
 * What an incident card shows, as data; the bot renders it (bot/cards.ts). The core builds
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
    /** Where the diagnosis came from: `rules`, `none`, or `model` (with the model's name). */
    source: DiagnosisRecord['source'];
    model?: string;
    category: string;
    cause: string;
    evidence: string[];
    confidence: number;
    gaps: string[];
  };
  proposal?: {
    remediationId: number;
    /** Opaque token of the remediation (what the card's buttons refer to). */
    token: string;
    action: string;
    description: string;
    tier: string;
    score: number;
    reasons: string[];
    state: RemediationState;
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
    /** Not applied because the blast radius, re-scored before applying, rose above the approvals given. */
    skipped?: 'tier_rose';
  };
  /** The alert group is muted until then. */
  silencedUntil?: Date;
  /** This card was re-posted further down the chat (its buttons moved there). */
  repostedBelow?: boolean;
  /** What can be pressed now (empty: no keyboard); they act on `proposal.token`. */
  actions: IncidentCardAction[];
}

/** What a reviewer can do on a knowledge card. */
export type KnowledgeCardAction = 'publish' | 'discard';

/** A runbook draft for review (Publish / Discard). */
export interface KnowledgeCardView {
  knowledgeId: number;
  kind: 'runbook' | 'anti_pattern';
  status: 'draft' | 'published' | 'discarded';
  title: string;
  body: string;
  decidedBy?: string;
  actions: KnowledgeCardAction[];
}

/** Where a card was posted. */
export interface CardRef {
  chatId: number;
  messageId: number;
}

/**
 * What the core needs from the chat: post and edit cards, given as data views (no chat format).
 * Implemented by the bot. Both throw on Telegram errors (after the bot's own retries); the core
 * logs and retries the job.
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

// --- domain values the repositories decode rows into (once) ---

/** An incident. */
export interface Incident {
  id: number;
  groupKey: string;
  status: 'open' | 'resolved';
  alertname: string;
  severity: string;
  summary: string;
  target: TargetRef | null;
  groupLabels: Record<string, string>;
  diagnosis: DiagnosisRecord | null;
  openedAt: Date;
  lastAlertAt: Date;
  resolvedAt: Date | null;
}

/** A remediation: a planned action on one target and where it is in its lifecycle. */
export interface Remediation {
  id: number;
  incidentId: number;
  /** Opaque token the chat refers to it by (never carries state). */
  token: string;
  action: ActionKind;
  target: TargetRef;
  params: Record<string, string | number>;
  plan: RemediationPlan;
  state: RemediationState;
  approvalsRequired: number;
  /** What apply did (set once applied; read by verify and by reconciliation after a crash). */
  preState: Applied | null;
  result: ExecutionResult | null;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  snoozedUntil: Date | null;
  undoOf: number | null;
  symptomsHash: string | null;
  confidence: number | null;
  origin: RemediationOrigin;
}

/** A decision as stored. */
export interface Decision {
  userId: number;
  userName: string;
  decision: DecisionVerb;
  reason: string | null;
  decidedAt: Date;
}

/** A learned playbook. */
export interface Playbook {
  id: number;
  symptomsHash: string;
  action: string;
  target: string;
  category: string;
  /** EWMA of verified outcomes, 0–1. */
  trustScore: number;
  successes: number;
  failures: number;
  lastOutcomeAt: Date;
  published: boolean;
}

/** A runbook draft or anti-pattern. */
export interface KnowledgeEntry {
  id: number;
  kind: 'runbook' | 'anti_pattern';
  status: 'draft' | 'published' | 'discarded';
  symptomsHash: string;
  action: string;
  target: string;
  title: string;
  body: string;
  /** Who published or discarded it. */
  decidedBy: string | null;
}

/** A posted card: which incident and remediation it shows. */
export interface CardMessage extends CardRef {
  remediationId: number | null;
}

/** An audit row to write. */
export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string;
  input?: unknown;
  output?: unknown;
  durationMs?: number;
  error?: string;
}

// --- repository ports ---

/** What one webhook delivery changed. */
export interface IngestResult {
  /** Alerts in the payload. */
  received: number;
  /** Alerts stored now (the rest were redeliveries). */
  stored: number;
  incidentId?: number;
  /** created/reopened: a diagnosis was queued; resolved: the card will be edited. */
  incidentChange: 'created' | 'reopened' | 'updated' | 'resolved' | 'none';
}

/** Options for {@link IncidentRepository.ingest}. */
export interface IngestOptions {
  /** A group re-firing within this many seconds after resolving reopens its incident. */
  dedupWindowS: number;
  /** Summary line for a new incident (from annotations). */
  summary: string;
  /** Target from the first alert's labels, if any. */
  target?: TargetRef;
}

/** Incidents. All methods throw the storage's error when it fails. */
export interface IncidentRepository {
  /**
   * Stores one Alertmanager delivery idempotently and groups it into an incident in one
   * transaction, queueing `diagnose` / `incident-resolved` jobs with it (see domain/incidents.ts).
   */
  ingest(group: AlertGroup, now: Date, opts: IngestOptions): Promise<IngestResult>;
  get(id: number): Promise<Incident | undefined>;
  /** Open incidents, newest first, each with the state of its newest remediation. */
  listOpen(limit: number): Promise<Array<{ incident: Incident; latestState?: RemediationState }>>;
  /** Stores the diagnosis (and the resolved target) of an incident. */
  setDiagnosis(id: number, diagnosis: DiagnosisRecord, target: TargetRef | null): Promise<void>;
  /** Opens an incident no alert raised (a proposal): one open incident per `groupKey`. */
  openForProposal(input: { groupKey: string; alertname: string; summary: string; target: TargetRef; diagnosis: DiagnosisRecord; now: Date }): Promise<number>;
  /** True when the database answers. Never throws. */
  ping(): Promise<boolean>;
}

/** A remediation to store. */
export interface NewRemediation {
  incidentId: number;
  token: string;
  plan: RemediationPlan;
  state: RemediationState;
  now: Date;
  expiresAt?: Date;
  undoOf?: number;
  symptomsHash?: string;
  confidence?: number;
  origin: RemediationOrigin;
}

/** Fields a transition may set along with the state. */
export interface TransitionFields {
  result?: ExecutionResult;
  preState?: Applied;
  snoozedUntil?: Date | null;
  expiresAt?: Date | null;
}

/** Outcome of {@link RemediationRepository.decide}. */
export type DecideOutcome =
  | { kind: 'not_found' }
  | { kind: 'not_pending'; remediation: Remediation; decisions: Decision[] }
  | { kind: 'already_voted'; remediation: Remediation; decisions: Decision[] }
  | { kind: 'recorded'; remediation: Remediation; decisions: Decision[]; approvals: number }
  | { kind: 'decided'; remediation: Remediation; decisions: Decision[] };

/** Remediations and their approval decisions. Every state write is checked with `canTransition`. */
export interface RemediationRepository {
  create(input: NewRemediation): Promise<Remediation>;
  get(id: number): Promise<Remediation | undefined>;
  byToken(token: string): Promise<Remediation | undefined>;
  /** The newest remediation of an incident. */
  latestOf(incidentId: number): Promise<Remediation | undefined>;
  /** The remediation that undoes `id`, if one was proposed. */
  undoOf(id: number): Promise<Remediation | undefined>;
  /** Remediations by id, id order; missing ones left out. */
  byIds(ids: readonly number[]): Promise<Remediation[]>;
  /** Remediations in any of `states`, oldest first. */
  inStates(states: readonly RemediationState[]): Promise<Remediation[]>;
  /**
   * One atomic conditional transition `from` (any of) → `to`.
   * @returns the updated remediation, or undefined when it was not in a `from` state (someone else won).
   * @throws IllegalTransition when no `from` may move to `to`.
   */
  transition(id: number, from: readonly RemediationState[], to: RemediationState, now: Date, fields?: TransitionFields): Promise<Remediation | undefined>;
  /**
   * Applies a press under the remediation's row lock: `rule` (domain/remediation/quorum.ts) rules
   * it from the stored ballots; the ballot and the transition are persisted, and an approval that
   * completes the quorum queues an `execute` job in the same transaction.
   */
  decide(
    input: { token: string; userId: number; userName: string; decision: DecisionVerb; now: Date; snoozeUntil?: Date },
    rule: (rem: { state: RemediationState; approvalsRequired: number; expiresAt: Date | null }, ballots: Ballot[], press: Ballot, now: Date) => DecisionRuling,
  ): Promise<DecideOutcome>;
  /** Auto-execution: `proposed` → `approved` with an `execute` job, in one transaction. */
  autoApprove(id: number, now: Date): Promise<boolean>;
  /** Moves every remediation of `incidentId` in `from` to `to`. @returns the ids moved. */
  transitionAllOf(incidentId: number, from: readonly RemediationState[], to: RemediationState, now: Date): Promise<number[]>;
  /** Pending remediations whose approval window passed, moved to `expired`. */
  expireDue(now: Date): Promise<Remediation[]>;
  /** Snoozed remediations whose time has come, moved back to `pending` with a new deadline. */
  wakeDue(now: Date, expiresAt: Date): Promise<Remediation[]>;
  /** Decisions on a remediation, oldest first. */
  decisions(id: number): Promise<Decision[]>;
  /** Stores the reason given with a rejection. @returns false when that person did not reject it. */
  setRejectReason(id: number, userId: number, reason: string): Promise<boolean>;
  /** Executed actions in the hour before `now` (overall and on the target) and the last failure on it. */
  guardrailHistory(target: TargetRef, now: Date): Promise<GuardrailHistory>;
  /** Finished (succeeded/failed) remediations with their incidents, oldest first. */
  finishedWithIncidents(): Promise<Array<{ remediation: Remediation; incident: Incident }>>;
}

/** Playbooks, runbook drafts and anti-patterns. */
export interface KnowledgeRepository {
  /** Since when an unexpired anti-pattern blocks `action` for `symptomsHash`. */
  antiPatternSince(symptomsHash: string, action: string, now: Date): Promise<Date | undefined>;
  playbook(symptomsHash: string, action: string): Promise<Playbook | undefined>;
  /** Records a verified outcome: creates or updates the playbook with its new trust score. */
  recordOutcome(input: { symptomsHash: string; action: string; target: string; category: string; trustScore: number; success: boolean; now: Date }): Promise<Playbook>;
  listPlaybooks(limit: number): Promise<Playbook[]>;
  create(input: {
    kind: 'runbook' | 'anti_pattern';
    status: 'draft' | 'published';
    symptomsHash: string;
    action: string;
    target: string;
    title: string;
    body: string;
    remediationId?: number;
    now: Date;
    expiresAt?: Date;
  }): Promise<number>;
  get(id: number): Promise<KnowledgeEntry | undefined>;
  /** Publishes or discards a draft. @returns the entry, or undefined when it was not a draft any more. */
  decide(id: number, status: 'published' | 'discarded', by: string): Promise<KnowledgeEntry | undefined>;
}

/** Muted alert groups. */
export interface SilenceRepository {
  add(input: { groupKey: string; until: Date; createdBy: string; now: Date; alertmanagerSilenceId?: string }): Promise<void>;
  /** The end of the longest active silence on a group. */
  silencedUntil(groupKey: string, now: Date): Promise<Date | undefined>;
}

/** Which chat messages show which cards. */
export interface CardMessageRepository {
  save(input: { ref: CardRef; kind: 'incident' | `knowledge:${number}`; incidentId?: number; remediationId?: number; now: Date }): Promise<void>;
  ofIncident(incidentId: number): Promise<CardMessage[]>;
  ofKnowledge(knowledgeId: number): Promise<CardRef[]>;
}

/** The audit log (append-only). */
export interface AuditLog {
  append(entry: AuditEntry, now: Date): Promise<void>;
}

/** Work the core queues for itself (transactional outbox rows). */
export type Job =
  | { kind: 'diagnose'; incidentId: number }
  | { kind: 'execute'; remediationId: number }
  | { kind: 'incident-resolved'; incidentId: number };

/** A claimed job: `job` is undefined when the stored row is not one the core knows (failed for good). */
export interface ClaimedJob {
  id: number;
  attempts: number;
  /** The stored kind, as written. */
  kind: string;
  job: Job | undefined;
}

/**
 * A worker's hold on the jobs it claims: `holder` identifies the worker (unique per process),
 * `durationMs` is how long a claim or renewal holds a job. A running job whose lease has
 * expired (its holder died or could not record the end) is claimed again by any worker.
 */
export interface JobLease {
  holder: string;
  durationMs: number;
}

/** Queue depth as metrics show it. */
export interface JobQueueStats {
  /** Jobs due now and not running (`run_at` ≤ now). */
  queued: number;
  /** Age of the oldest due job, seconds (0 when none). */
  oldestQueuedAgeSeconds: number;
}

/** The durable job queue. */
export interface JobQueue {
  /**
   * Claims the oldest due job, or a running job whose lease expired, for `lease` (several workers
   * never take the same one); every claim counts as an attempt.
   */
  claim(now: Date, lease: JobLease): Promise<ClaimedJob | undefined>;
  /** Extends the leases of the jobs `ids` that `lease.holder` still holds. @returns the ids still held. */
  renew(ids: number[], lease: JobLease, now: Date): Promise<number[]>;
  /** Marks a job done. @returns false when `holder` no longer holds it (its lease expired and it was taken over). */
  complete(id: number, holder: string): Promise<boolean>;
  /** Requeued at `retryAt`, or failed for good when undefined. @returns false when `holder` no longer holds it. */
  fail(id: number, holder: string, error: string, retryAt?: Date): Promise<boolean>;
  /** Due jobs waiting and the age of the oldest (metrics). */
  stats(now: Date): Promise<JobQueueStats>;
}

/** Every repository the core uses. */
export interface Repositories {
  incidents: IncidentRepository;
  remediations: RemediationRepository;
  knowledge: KnowledgeRepository;
  silences: SilenceRepository;
  cards: CardMessageRepository;
  auditLog: AuditLog;
  jobs: JobQueue;
}

/** A remediation that reached a verified outcome (or was decided against), as told to subscribers. */
export interface RemediationOutcome {
  remediationId: number;
  origin: RemediationOrigin;
  state: RemediationState;
  /** The result's message, when there is one. */
  message?: string;
}

/**
 * Tells drift and coverage what became of the remediations they proposed, instead of their
 * polling the core's tables. `notify` is called by the core; subscribers must not throw (errors
 * are logged by the core and do not stop other subscribers).
 */
export interface RemediationOutcomes {
  /** Calls `listener` with every outcome from now on. @returns a function that unsubscribes. */
  subscribe(listener: (outcome: RemediationOutcome) => void | Promise<void>): () => void;
  /** Tells every subscriber (in order; one failing does not stop the others). */
  notify(outcome: RemediationOutcome): Promise<void>;
  /**
   * Where these remediations stand now (missing ids left out): for a subscriber catching up after
   * a restart, or showing a proposal that is still open.
   */
  current(ids: readonly number[]): Promise<RemediationOutcome[]>;
}

/**
 * A catalog action that no alert raised (a drift rollback, a generated alerting rule), proposed
 * through the normal approval flow.
 */
export interface ProposalRequest {
  /** Stable key of what is proposed (one live proposal per key), e.g. `drift:12`. */
  key: string;
  title: string;
  summary: string;
  target: TargetRef;
  action: ActionKind;
  params: Record<string, string | number>;
  category?: string;
  evidence?: string[];
  /** Who asked for it (audited); undefined for a scheduled run. */
  actor?: { id: number; name: string };
  /** Default `command`. */
  origin?: Extract<RemediationOrigin, 'drift' | 'coverage' | 'command'>;
}

/** Proposes actions through the approval flow (what drift and coverage are given). */
export interface ProposalPort {
  proposeAction(input: ProposalRequest): Promise<{ incidentId: number; remediationId: number }>;
}

/** What a {@link LeaderElector} tells when leadership changes; each runs to completion before the next. */
export interface LeaderCallbacks {
  /** This replica became the leader: start the singleton work. */
  onStartedLeading(): void | Promise<void>;
  /** This replica lost leadership (or gave it up on stop): stop the singleton work. */
  onStoppedLeading(): void | Promise<void>;
}

/**
 * Leader election among replicas, for work that must run once (schedules, sweeps, Telegram long
 * polling). Adapters: a Kubernetes Lease (agent/k8s/lease.ts) and a PostgreSQL advisory lock
 * (entities/advisory-lock.ts).
 */
export interface LeaderElector {
  /** This replica's name in the election (the Lease's holderIdentity). */
  readonly identity: string;
  /** Starts campaigning; callbacks run as leadership comes and goes. */
  start(callbacks: LeaderCallbacks): void;
  /** Stops campaigning; a leader runs onStoppedLeading, then releases leadership so another takes over at once. */
  stop(): Promise<void>;
  isLeader(): boolean;
}
