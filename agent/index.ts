/**
 * The core's public entry: {@link createAgent} wires the incident pipeline's use cases
 * (`agent/incidents/`) over the ports (`agent/ports.ts`) and returns a thin facade. `bot/`,
 * `server/` and `jobs/` talk only to this facade; `main.ts` builds it with the adapters.
 *
 * The core returns outcomes (tagged unions); the bot decides the words and the buttons.
 */
import type { AlertGroup } from '../domain/alerts.ts';
import type { Role } from '../domain/authz.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import type { FinetuneRecord } from '../domain/learning.ts';
import type { DecisionVerb } from '../domain/remediation/index.ts';
import { CardPublisher } from './incidents/card-publisher.ts';
import { createCore, roleIn, type Actor, type AgentDeps, type AgentSettings } from './incidents/context.ts';
import { decide, setRejectReason, type DecisionOutcome } from './incidents/decisions.ts';
import { runDiagnosis } from './incidents/diagnosis-job.ts';
import { Executor } from './incidents/executor.ts';
import { ingestAlerts } from './incidents/intake.ts';
import { decideKnowledge, type KnowledgeDecisionOutcome } from './incidents/learning.ts';
import { proposeAction } from './incidents/proposals.ts';
import {
  diagnoseTarget,
  finetuneRecords,
  incidentCard,
  openIncidents,
  pendingApprovals,
  playbooks,
  type DiagnoseOutcome,
  type IncidentSummary,
  type PendingApproval,
} from './incidents/queries.ts';
import { silence, type SilenceOutcome } from './incidents/silence.ts';
import { expireApprovals, onIncidentResolved, wakeSnoozed } from './incidents/sweeps.ts';
import { undo, type UndoOutcome } from './incidents/undo.ts';
import type { IncidentCardView, IngestResult, Job, Playbook, ProposalRequest, RemediationOutcomes } from './ports.ts';
import { JobWorker } from './worker.ts';

export type { Actor, AgentDeps, AgentSettings } from './incidents/context.ts';
export type { DecisionOutcome } from './incidents/decisions.ts';
export type { SilenceOutcome } from './incidents/silence.ts';
export type { UndoOutcome } from './incidents/undo.ts';
export type { KnowledgeDecisionOutcome } from './incidents/learning.ts';
export type { DiagnoseOutcome, IncidentSummary, PendingApproval } from './incidents/queries.ts';
export type { ExecutionOutcome } from './incidents/executor.ts';
export type { IncidentCardView, KnowledgeCardView, CardRef, Notifier, ClusterPort, Playbook, ProposalRequest } from './ports.ts';
export type { DiagnosisRecord } from './diagnose.ts';
export { finetuneRecords } from './incidents/queries.ts';

/** The incident pipeline as the bot, the server and the schedules see it. */
export interface Agent {
  /** Starts the job worker and reconciles remediations interrupted by a restart. */
  start(): Promise<void>;
  /** Stops taking jobs; waits for running ones up to `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** True when the database answers. */
  ready(): Promise<boolean>;
  /**
   * Stores a validated Alertmanager delivery and queues the slow work; returns in milliseconds.
   * @throws the database error when PostgreSQL is unreachable (the webhook answers 503).
   */
  ingestAlerts(group: AlertGroup): Promise<IngestResult>;
  /** Role of a Telegram user, undefined when not an operator. */
  roleOf(userId: number): Role | undefined;
  /** Approve / Reject / Later on the card of remediation `token`. */
  decide(token: string, verb: DecisionVerb, actor: Actor): Promise<DecisionOutcome>;
  /** Mutes the card's alert group for `hours` (and in Alertmanager when configured). */
  silence(token: string, hours: number, actor: Actor): Promise<SilenceOutcome>;
  /** Proposes the inverse of a finished remediation; on `proposed` call {@link showProposal}. */
  undo(token: string, actor: Actor): Promise<UndoOutcome>;
  /** Stores the optional reason given after a rejection and refreshes the card. */
  setRejectReason(token: string, actor: Actor, reason: string): Promise<boolean>;
  /** Publish or discard a runbook draft; then call {@link refreshKnowledgeCards}. */
  decideKnowledge(knowledgeId: number, verb: 'publish' | 'discard', actor: Actor): Promise<KnowledgeDecisionOutcome>;
  /** Proposes a catalog action no alert raised (drift, coverage) through the approval flow. */
  proposeAction(input: ProposalRequest): Promise<{ incidentId: number; remediationId: number }>;
  /** Re-renders every card of an incident from the database (after answering a button). */
  refreshCards(incidentId: number): Promise<void>;
  /** Re-renders the card(s) of the incident remediation `token` belongs to (the Silence menu's Back). */
  refreshCardOf(token: string): Promise<void>;
  /** Posts the card of a new remediation (an Undo) and edits the incident's other cards. */
  showProposal(incidentId: number, remediationId: number): Promise<void>;
  /** Re-renders the review card(s) of a knowledge entry. */
  refreshKnowledgeCards(knowledgeId: number): Promise<void>;
  /** Open incidents, newest first. */
  openIncidents(limit?: number): Promise<IncidentSummary[]>;
  /** The card of one incident, or undefined when it does not exist. */
  incidentCard(id: number): Promise<IncidentCardView | undefined>;
  /** Pending and snoozed proposals, oldest first (for /approvals). */
  pendingApprovals(): Promise<PendingApproval[]>;
  /** Learned playbooks, most trusted first (for /playbooks). */
  playbooks(limit?: number): Promise<Playbook[]>;
  /** Verified incidents as fine-tuning records. */
  exportFinetune(): Promise<FinetuneRecord[]>;
  /** Diagnoses a target on demand for an operator; nothing is stored or executed. */
  diagnoseTarget(target: TargetRef, actor: Actor): Promise<DiagnoseOutcome>;
  /** Expires undecided cards past their TTL and edits them. @returns how many expired. */
  expireApprovals(): Promise<number>;
  /** Brings snoozed cards back as new messages. @returns how many woke. */
  wakeSnoozed(): Promise<number>;
  /** Where outcomes of remediations are told (drift and coverage subscribe). */
  outcomes: RemediationOutcomes;
}

/**
 * Builds the core over its adapters.
 * @example
 * const agent = createAgent({ repos: createStore(orm), cluster, notifier, clock, log }, settings);
 * await agent.start();
 */
export function createAgent(deps: AgentDeps, settings: AgentSettings): Agent {
  let worker: JobWorker | undefined;
  const core = createCore(deps, settings, () => worker?.nudge());
  const cards = new CardPublisher(core);
  const executor = new Executor(core, cards);
  const handle = async (job: Job): Promise<void> => {
    switch (job.kind) {
      case 'diagnose':
        return runDiagnosis(core, cards, job.incidentId);
      case 'execute':
        await executor.run(job.remediationId);
        return;
      case 'incident-resolved':
        return onIncidentResolved(core, cards, job.incidentId);
    }
  };
  worker = new JobWorker(deps.repos.jobs, handle, deps.clock, core.log, {
    ...settings.worker,
    onJobEnd: (kind, outcome) => deps.metrics?.jobs.inc({ kind, outcome }),
  });
  const w = worker;
  return {
    async start() {
      await w.start();
      await executor.reconcileInFlight();
    },
    stop: (timeoutMs) => w.stop(timeoutMs),
    ready: () => deps.repos.incidents.ping(),
    ingestAlerts: (group) => ingestAlerts(core, group),
    roleOf: (userId) => roleIn(core, userId),
    decide: (token, verb, actor) => decide(core, token, verb, actor),
    silence: (token, hours, actor) => silence(core, token, hours, actor),
    undo: (token, actor) => undo(core, token, actor),
    setRejectReason: (token, actor, reason) => setRejectReason(core, (id) => cards.refreshQuietly(id), token, actor, reason),
    decideKnowledge: (id, verb, actor) => decideKnowledge(core, id, verb, actor),
    proposeAction: (input) => proposeAction(core, cards, input),
    refreshCards: (incidentId) => cards.refresh(incidentId),
    async refreshCardOf(token) {
      const rem = await deps.repos.remediations.byToken(token);
      if (rem) await cards.refresh(rem.incidentId);
    },
    showProposal: (incidentId, remediationId) => cards.postAndRefresh(incidentId, remediationId),
    refreshKnowledgeCards: (id) => cards.refreshKnowledge(id),
    openIncidents: (limit) => openIncidents(core, limit),
    incidentCard: (id) => incidentCard(core, cards, id),
    pendingApprovals: () => pendingApprovals(core),
    playbooks: (limit) => playbooks(core, limit),
    exportFinetune: () => finetuneRecords(deps.repos.remediations),
    diagnoseTarget: (target, actor) => diagnoseTarget(core, target, actor),
    expireApprovals: () => expireApprovals(core, cards),
    wakeSnoozed: () => wakeSnoozed(core, cards),
    outcomes: core.outcomes,
  };
}
