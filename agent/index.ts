/**
 * The agent's public entry: the incident pipeline (intake → diagnose → plan → decide → execute →
 * verify → resolve). `bot/`, `server/` and `jobs/` talk only to {@link Agent}; `main.ts` builds it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlertGroup } from '../domain/alerts.ts';
import { targetFromLabels } from '../domain/alerts.ts';
import { formatTarget, type TargetRef } from '../domain/diagnosis.ts';
import { can, roleOf, type Operator, type Role } from '../domain/authz.ts';
import type { IncidentRow, IngestResult, KnowledgeRow, PlaybookRow, RemediationRow, Store } from '../entities/store.ts';
import {
  buildIncidentCard,
  callbackData,
  knowledgeIdOf,
  knowledgeToken,
  type CardExtras,
  type ExecutionResult,
} from './cards.ts';
import { antiPattern, draftRunbook, ewma, finetuneRecord, symptomsHash, type FinetuneRecord } from '../domain/learning.ts';
import type { ActionKind } from '../domain/diagnosis.ts';
import { diagnose, type DiagnosisRecord, type ModelDiagnoser } from './diagnose.ts';
import { gatherEvidence } from './evidence.ts';
import { ACTION_CATALOG, ActionImpossible, type ActionContext, type Applied } from './actions/index.ts';
import { blastRadiusInputFromEvidence } from '../domain/blast-radius.ts';
import { guardrailVerdict, planInverse, planProposal, planRemediation, type PlanPolicy, type RemediationPlan } from './plan.ts';
import type { Clock, ClusterPort, IncidentCardView, KnowledgeCardView, Notifier } from './ports.ts';
import { JobWorker, type WorkerOptions } from './worker.ts';
import type { AgentMetrics } from './metrics.ts';
import type { SilencePort } from './alertmanager/silences.ts';

export type { IncidentCardView, CardRef, Notifier, ClusterPort } from './ports.ts';
export { parseCallbackData, silenceButtons, SILENCE_HOURS } from './cards.ts';
export type { PlaybookRow } from '../entities/store.ts';
export type { DiagnosisRecord } from './diagnose.ts';

/** Settings the agent runs with (from config). */
export interface AgentSettings {
  /** Chat that receives incident cards. */
  alertChatId: number;
  operators: readonly Operator[];
  dedupWindowS: number;
  approvalTtlS: number;
  /** "Later" snoozes for this many minutes (default 30). */
  snoozeMinutes?: number;
  verifyTimeoutMs: number;
  verifyPollMs: number;
  logTailLines: number;
  policy: PlanPolicy;
  /** EWMA α for playbook trust (default 0.3). */
  trustAlpha?: number;
  worker?: WorkerOptions;
}

/** Dependencies, passed in by main.ts (or a test). */
export interface AgentDeps {
  store: Store;
  cluster: ClusterPort;
  notifier: Notifier;
  /** Alertmanager silences (when ALERTMANAGER_URL is set). */
  silences?: SilencePort;
  clock: Clock;
  log: Logger;
  model?: ModelDiagnoser;
  metrics?: AgentMetrics;
}

/** A Telegram user pressing a button or sending a command. */
export interface Actor {
  id: number;
  name: string;
}

/** Answer to a button press: the callback answer text, and work to do after answering. */
export interface DecisionReply {
  kind: 'forbidden' | 'stale' | 'already_decided' | 'recorded' | 'decided';
  /** Text for answerCallbackQuery (≤ 200 chars). */
  text: string;
  /** Edits the card(s) to show the new state; run after answering the callback. */
  afterAnswer: () => Promise<void>;
  /** Set after a rejection: the bot may ask for an optional reason and call {@link Agent.setRejectReason}. */
  askReason?: { token: string };
}

/** A short line per open incident, for /incidents. */
export interface IncidentSummary {
  id: number;
  severity: string;
  alertname: string;
  target?: string;
  openedAt: Date;
  state?: string;
}

/** The incident pipeline. Start it after construction; stop it on shutdown. */
export class Agent {
  private readonly worker: JobWorker;
  private readonly log: Logger;

  constructor(
    private readonly deps: AgentDeps,
    private readonly settings: AgentSettings,
  ) {
    this.log = deps.log.child({ component: 'agent' });
    this.worker = new JobWorker(
      deps.store,
      {
        diagnose: (p) => this.runDiagnosis(Number(p.incidentId)),
        execute: (p) => this.runExecution(Number(p.remediationId)),
        'incident-resolved': (p) => this.onIncidentResolved(Number(p.incidentId)),
      },
      deps.clock,
      this.log,
      settings.worker,
    );
  }

  /** Starts the job worker and reconciles remediations interrupted by a restart. */
  async start(): Promise<void> {
    await this.worker.start();
    await this.reconcileInFlight();
  }

  /** Stops taking jobs; waits for running ones up to `timeoutMs`. */
  async stop(timeoutMs?: number): Promise<void> {
    await this.worker.stop(timeoutMs);
  }

  /** True when the database answers. */
  ready(): Promise<boolean> {
    return this.deps.store.ping();
  }

  /**
   * Stores a validated Alertmanager delivery and queues the slow work; returns in milliseconds.
   * @throws the database error when PostgreSQL is unreachable (the webhook answers 503).
   */
  async ingestAlerts(group: AlertGroup): Promise<IngestResult> {
    const first = group.alerts.find((a) => a.status === 'firing') ?? group.alerts[0];
    const summary =
      first.annotations.summary || first.annotations.message || first.annotations.description || first.alertname;
    const result = await this.deps.store.ingest(group, this.deps.clock.now(), {
      dedupWindowS: this.settings.dedupWindowS,
      summary: summary.slice(0, 500),
      target: targetFromLabels(first.labels),
    });
    this.deps.metrics?.alertsStored.inc(result.stored);
    this.deps.metrics?.alertsDuplicate.inc(result.received - result.stored);
    if (result.incidentChange === 'created') this.deps.metrics?.incidentsOpened.inc();
    if (result.incidentChange !== 'none' && result.incidentChange !== 'updated') this.worker.nudge();
    return result;
  }

  /** Role of a Telegram user, undefined when not an operator. */
  roleOf(userId: number): Role | undefined {
    return roleOf(this.settings.operators, userId);
  }

  /**
   * Applies a button press. Checks the approver list by user id (`callback_query.from.id`), then
   * records the decision as one atomic conditional transition (double taps and racing approvers are
   * safe: exactly one moves the remediation on). Refusals are audited.
   */
  async decide(token: string, verb: 'approve' | 'reject' | 'later', actor: Actor): Promise<DecisionReply> {
    const now = this.deps.clock.now();
    const noop = async () => {};
    const rem = await this.deps.store.findRemediationByToken(token);
    if (!rem) return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    const denied = await this.checkRole(actor, verb, rem);
    if (denied) return { kind: 'forbidden', text: denied, afterAnswer: noop };
    if (verb === 'approve' && (rem.approvalsRequired < 1 || rem.action === 'escalate' || rem.action === 'none')) {
      // Only reachable with forged callback data: such cards carry no Approve button.
      await this.audit(`user:${actor.id}`, 'remediation.approve.denied', `remediation:${rem.id}`, { error: 'nothing to approve' });
      return { kind: 'forbidden', text: 'This card has nothing to approve.', afterAnswer: noop };
    }
    const snoozeUntil = verb === 'later' ? new Date(now.getTime() + (this.settings.snoozeMinutes ?? 30) * 60_000) : undefined;
    const outcome = await this.deps.store.decide({ token, userId: actor.id, userName: actor.name, decision: verb, now, snoozeUntil });
    if (outcome.kind === 'not_found') return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    const current = outcome.remediation;
    const refresh = () => this.refreshCards(current.incidentId);
    switch (outcome.kind) {
      case 'not_pending':
        return { kind: 'already_decided', text: alreadyDecidedText(current.state, outcome.decisions), afterAnswer: refresh };
      case 'already_voted':
        return { kind: 'already_decided', text: 'You have already decided on this card; a second approver must be someone else.', afterAnswer: noop };
      case 'recorded':
        await this.audit(`user:${actor.id}`, `remediation.${verb}`, `remediation:${current.id}`, {
          output: { approvals: outcome.approvals, required: current.approvalsRequired },
        });
        return {
          kind: 'recorded',
          text: `Approval ${outcome.approvals} of ${current.approvalsRequired} recorded; waiting for another admin.`,
          afterAnswer: refresh,
        };
      case 'decided':
        if (current.state === 'approved') this.worker.nudge();
        await this.audit(`user:${actor.id}`, `remediation.${verb}`, `remediation:${current.id}`, { output: { state: current.state } });
        this.deps.metrics?.decisions.inc({ decision: verb });
        return {
          kind: 'decided',
          text:
            current.state === 'approved'
              ? '✅ Approved — executing now.'
              : current.state === 'snoozed'
                ? `⏰ Snoozed for ${this.settings.snoozeMinutes ?? 30} min; the card comes back then.`
                : current.action === 'escalate'
                  ? '🆗 Dismissed.'
                  : '❌ Rejected.',
          afterAnswer: refresh,
          askReason: current.state === 'rejected' && current.action !== 'escalate' ? { token } : undefined,
        };
    }
  }

  /**
   * Who may press what: approvers and admins decide `human` cards, only admins `dual` cards;
   * viewers and strangers decide nothing. A refusal is audited.
   * @returns the refusal text, or undefined when allowed.
   */
  private async checkRole(actor: Actor, verb: 'approve' | 'reject' | 'later' | 'silence' | 'undo', rem: RemediationRow): Promise<string | undefined> {
    const role = this.roleOf(actor.id);
    const tier = (rem.plan as { tier?: string }).tier;
    const decision = can(role, `remediation.${verb}`, { tier });
    let refusal: string | undefined;
    if (decision.kind === 'deny') {
      refusal = decision.reason === 'dual_needs_admin' ? '⛔ This action needs two admins (dual approval); you are an approver.' : '⛔ You are not on the approver list; nothing was changed.';
    }
    if (refusal) {
      await this.audit(`user:${actor.id}`, `remediation.${verb}.denied`, `remediation:${rem.id}`, {
        input: { user: actor.name, role: role ?? 'none', tier },
        error: refusal,
      });
    }
    return refusal;
  }

  /**
   * Mutes the card's alert group for `hours` (new incidents of the group get no card until then)
   * and, when Alertmanager is configured, creates a silence there with the group's labels.
   */
  async silence(token: string, hours: number, actor: Actor): Promise<DecisionReply> {
    const noop = async () => {};
    const rem = await this.deps.store.findRemediationByToken(token);
    if (!rem) return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    const denied = await this.checkRole(actor, 'silence', rem);
    if (denied) return { kind: 'forbidden', text: denied, afterAnswer: noop };
    const incident = await this.deps.store.getIncident(rem.incidentId);
    if (!incident) return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    const now = this.deps.clock.now();
    const until = new Date(now.getTime() + hours * 3_600_000);
    let amId: string | undefined;
    let amNote = '';
    if (this.deps.silences) {
      const labels = Object.keys(incident.groupLabels).length ? incident.groupLabels : { alertname: incident.alertname };
      try {
        amId = await this.deps.silences.createSilence({
          matchers: Object.entries(labels).map(([name, value]) => ({ name, value })),
          startsAt: now,
          endsAt: until,
          createdBy: `watchkeeper (${actor.name})`,
          comment: `Silenced from Telegram, incident #${incident.id}`,
        });
      } catch (err) {
        amNote = ' (Alertmanager silence failed; muted in Watchkeeper only)';
        this.log.warn({ err }, 'Alertmanager silence failed');
      }
    }
    await this.deps.store.addSilence({ groupKey: incident.groupKey, until, createdBy: actor.name, now, alertmanagerSilenceId: amId });
    await this.audit(`user:${actor.id}`, 'alerts.silence', `incident:${incident.id}`, {
      input: { hours, groupKey: incident.groupKey },
      output: { until: until.toISOString(), alertmanagerSilenceId: amId ?? null },
    });
    return {
      kind: 'decided',
      text: `🔕 Silenced for ${hours} h${amId ? ' (also in Alertmanager)' : ''}${amNote}.`,
      afterAnswer: () => this.refreshCards(incident.id),
    };
  }

  /**
   * Proposes the inverse of a finished remediation as a new card, through the same approval flow.
   */
  async undo(token: string, actor: Actor): Promise<DecisionReply> {
    const noop = async () => {};
    const rem = await this.deps.store.findRemediationByToken(token);
    if (!rem) return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    const denied = await this.checkRole(actor, 'undo', rem);
    if (denied) return { kind: 'forbidden', text: denied, afterAnswer: noop };
    const inverse = (rem.result as ExecutionResult | null)?.inverse;
    if (!inverse || (rem.state !== 'succeeded' && rem.state !== 'failed')) {
      return { kind: 'already_decided', text: 'Nothing to undo for this card.', afterAnswer: noop };
    }
    const existing = await this.deps.store.undoOf(rem.id);
    if (existing) return { kind: 'already_decided', text: `Undo already proposed (state: ${existing.state}).`, afterAnswer: noop };
    const now = this.deps.clock.now();
    const plan = await planInverse(this.deps.cluster, rem, inverse, this.settings.policy);
    const undo = await this.createRemediation(rem.incidentId, plan, now, { undoOf: rem.id, symptomsHash: rem.symptomsHash ?? undefined });
    await this.audit(`user:${actor.id}`, 'remediation.undo_proposed', `remediation:${rem.id}`, {
      output: { undo: undo.id, action: plan.action, params: plan.params },
    });
    return {
      kind: 'decided',
      text: '↩️ Undo proposed as a new card; it needs approval like any action.',
      afterAnswer: async () => {
        await this.postCard(rem.incidentId, undo.id);
        await this.refreshCards(rem.incidentId);
      },
    };
  }

  /** Stores the optional reason given after a rejection (asked in a conversation). */
  async setRejectReason(token: string, actor: Actor, reason: string): Promise<boolean> {
    const rem = await this.deps.store.findRemediationByToken(token);
    if (!rem) return false;
    const ok = await this.deps.store.setDecisionReason(rem.id, actor.id, reason.trim());
    if (ok) {
      await this.audit(`user:${actor.id}`, 'remediation.reject_reason', `remediation:${rem.id}`, { input: { reason: reason.trim() } });
      await this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'card edit failed'));
    }
    return ok;
  }

  /**
   * Proposes a catalog action that no alert raised — a drift rollback, a generated alerting rule —
   * as an incident card through the normal approval flow: scored by blast radius, dry-run first,
   * decided by approvers, executed, verified, audited.
   * @param input.key stable key of what is proposed (one open proposal per key), e.g. `drift:12`.
   * @returns ids of the (synthetic) incident and the remediation.
   */
  async proposeAction(input: {
    key: string;
    title: string;
    summary: string;
    target: TargetRef;
    action: ActionKind;
    params: Record<string, string | number>;
    category?: string;
    evidence?: string[];
    actor?: Actor;
  }): Promise<{ incidentId: number; remediationId: number }> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const diagnosis: DiagnosisRecord = {
      source: 'rules',
      category: (input.category ?? 'unknown') as DiagnosisRecord['category'],
      cause: input.summary,
      evidence: input.evidence ?? [],
      confidence: 1,
      action: input.action,
      params: input.params,
      findings: [],
      gaps: [],
      target: input.target,
      fallbackReasons: [],
    };
    const incidentId = await store.openSyntheticIncident({
      groupKey: input.key,
      alertname: input.title,
      summary: input.summary,
      target: input.target,
      diagnosis: diagnosis as unknown as Record<string, unknown>,
      now,
    });
    const existing = await store.latestRemediation(incidentId);
    if (existing && ['pending', 'approved', 'executing', 'verifying', 'snoozed'].includes(existing.state)) {
      return { incidentId, remediationId: existing.id };
    }
    const plan = await planProposal(this.deps.cluster, input.target, input.action, input.params, this.settings.policy, now);
    const rem = await this.createRemediation(incidentId, plan, now);
    await this.audit(input.actor ? `user:${input.actor.id}` : 'worker', 'remediation.propose', `incident:${incidentId}`, {
      input: { key: input.key },
      output: { action: plan.action, tier: plan.tier, score: plan.blastRadius.score, dryRun: plan.dryRun },
    });
    await this.publishCard(incidentId);
    return { incidentId, remediationId: rem.id };
  }

  /** Pending and snoozed proposals, oldest first (for /approvals). */
  async pendingApprovals(): Promise<Array<{ incidentId: number; remediationId: number; state: string; description: string; tier: string; expiresAt?: Date; snoozedUntil?: Date }>> {
    const rows = await this.deps.store.openRemediations();
    return rows.map((r) => ({
      incidentId: r.incidentId,
      remediationId: r.id,
      state: r.state,
      description: (r.plan as unknown as RemediationPlan).description,
      tier: (r.plan as unknown as RemediationPlan).tier,
      expiresAt: r.expiresAt ?? undefined,
      snoozedUntil: r.snoozedUntil ?? undefined,
    }));
  }

  /** Open incidents, newest first. */
  async openIncidents(limit = 20): Promise<IncidentSummary[]> {
    const rows = await this.deps.store.listOpenIncidents(limit);
    const out: IncidentSummary[] = [];
    for (const r of rows) {
      const rem = await this.deps.store.latestRemediation(r.id);
      out.push({ id: r.id, severity: r.severity, alertname: r.alertname, target: targetText(r), openedAt: r.openedAt, state: rem?.state });
    }
    return out;
  }

  /** The card of one incident, or undefined when it does not exist. */
  async incidentCard(id: number): Promise<IncidentCardView | undefined> {
    const incident = await this.deps.store.getIncident(id);
    return incident ? this.cardFor(incident) : undefined;
  }

  /**
   * Diagnoses a target on demand (`/diagnose`, `watchkeeper diagnose`), through the same evidence,
   * analyzers and model routing as incidents. Nothing is stored or executed.
   */
  async diagnoseTarget(target: TargetRef): Promise<DiagnosisRecord> {
    const t0 = Date.now();
    const evidence = await gatherEvidence(this.deps.cluster, target, {
      logTailLines: this.settings.logTailLines,
      now: this.deps.clock.now(),
    });
    const diagnosis = await diagnose(evidence, this.deps.model);
    await this.audit('user', 'diagnose.on_demand', `target:${formatTarget(target)}`.slice(0, 64), {
      output: { source: diagnosis.source, category: diagnosis.category, action: diagnosis.action },
      durationMs: Date.now() - t0,
    });
    return diagnosis;
  }

  /** Expires undecided cards past their TTL and edits them. @returns how many expired. */
  async expireApprovals(): Promise<number> {
    const expired = await this.deps.store.expirePending(this.deps.clock.now());
    for (const rem of expired) {
      await this.audit('system', 'remediation.expired', `remediation:${rem.id}`, {});
      await this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'could not edit expired card'));
    }
    return expired.length;
  }

  // --- jobs ---

  private async runDiagnosis(incidentId: number): Promise<void> {
    const { store, clock } = this.deps;
    const incident = await store.getIncident(incidentId);
    if (!incident) return;
    const existing = await store.latestRemediation(incidentId);
    // A reopened incident with a finished remediation gets a fresh diagnosis; a retried job does not.
    if (!existing || !['pending', 'proposed', 'approved', 'executing', 'verifying', 'snoozed'].includes(existing.state) || !incident.diagnosis) {
      const t0 = Date.now();
      let diagnosis: DiagnosisRecord;
      let target: TargetRef | null = incident.target;
      if (incident.target) {
        const evidence = await gatherEvidence(this.deps.cluster, incident.target, {
          logTailLines: this.settings.logTailLines,
          now: clock.now(),
        });
        diagnosis = await diagnose(evidence, this.deps.model);
        target = evidence.target;
        await store.setDiagnosis(incidentId, diagnosis as unknown as Record<string, unknown>, target);
        await this.audit('worker', 'incident.diagnose', `incident:${incidentId}`, {
          input: { target: formatTarget(incident.target) },
          output: { source: diagnosis.source, category: diagnosis.category, action: diagnosis.action, gaps: diagnosis.gaps },
          durationMs: Date.now() - t0,
        });
        const hash = symptomsHashOf(diagnosis, evidence.target);
        const plan = await planRemediation(diagnosis, evidence, this.deps.cluster, this.settings.policy, clock.now(), {
          history: await store.guardrailHistory(evidence.target, clock.now()),
          antiPatternSince: await store.antiPatternSince(hash, diagnosis.action, clock.now()),
        });
        const now = clock.now();
        const created = await this.createRemediation(incidentId, plan, now, { symptomsHash: hash, confidence: diagnosis.confidence });
        await this.audit('worker', 'remediation.propose', `incident:${incidentId}`, {
          output: { action: plan.action, tier: plan.tier, score: plan.blastRadius.score, guardrails: plan.guardrails, dryRun: plan.dryRun },
        });
        // A silenced group is muted: nothing runs on its own while nobody is shown a card.
        const muted = plan.autoExecute ? await store.silencedUntil(incident.groupKey, now) : undefined;
        if (plan.autoExecute && plan.dryRun?.ok && !muted) {
          // Tier auto with the guardrails passing: executed without a human, reported on the card.
          await store.autoApprove(created.id, now);
          await this.audit('auto', 'remediation.auto_approve', `remediation:${created.id}`, { output: { score: plan.blastRadius.score } });
          this.worker.nudge();
        } else if (plan.autoExecute) {
          await store.transition(created.id, ['proposed'], 'pending', now);
        }
      } else {
        diagnosis = {
          source: 'none',
          category: 'unknown',
          cause: 'The alert names no Kubernetes object (no namespace with deployment/pod/statefulset/daemonset/job labels, or node)',
          evidence: [],
          confidence: 0,
          action: 'escalate',
          params: {},
          findings: [],
          gaps: [],
          target: null,
          fallbackReasons: [],
        };
        await store.setDiagnosis(incidentId, diagnosis as unknown as Record<string, unknown>, target);
      }
    }
    await this.publishCard(incidentId);
  }

  /**
   * Shows the incident's newest remediation: edits its card when one exists, else posts a new one
   * (a reopened incident gets a fresh card) — unless the alert group is silenced.
   */
  private async publishCard(incidentId: number): Promise<void> {
    const { store, clock } = this.deps;
    const incident = await store.getIncident(incidentId);
    if (!incident) return;
    const rem = await store.latestRemediation(incidentId);
    const cards = await store.cardMessages(incidentId);
    const shown = cards.some((c) => c.remediationId === (rem?.id ?? null));
    if (!shown) {
      const silencedUntil = await store.silencedUntil(incident.groupKey, clock.now());
      if (silencedUntil) {
        await this.audit('worker', 'card.suppressed', `incident:${incidentId}`, { output: { silencedUntil: silencedUntil.toISOString() } });
      } else {
        await this.postCard(incidentId, rem?.id);
      }
    }
    // Edits the others (and the new one, should the incident have changed meanwhile).
    await this.refreshCards(incidentId);
  }

  /** Posts a new card for (incident, remediation) and remembers its message. */
  private async postCard(incidentId: number, remediationId: number | undefined): Promise<void> {
    const incident = await this.deps.store.getIncident(incidentId);
    if (!incident) return;
    const rem = remediationId ? await this.deps.store.getRemediation(remediationId) : undefined;
    const view = await this.cardFor(incident, rem);
    const t0 = Date.now();
    const ref = await this.deps.notifier.postIncidentCard(this.settings.alertChatId, view);
    this.rememberShown(`${ref.chatId}:${ref.messageId}`, JSON.stringify(view));
    await this.deps.store.saveCardMessage({
      chatId: ref.chatId,
      messageId: ref.messageId,
      kind: 'incident',
      incidentId,
      remediationId: rem?.id,
      now: this.deps.clock.now(),
    });
    await this.audit('worker', 'card.post', `incident:${incidentId}`, { output: { ...ref, remediation: rem?.id ?? null }, durationMs: Date.now() - t0 });
  }

  /**
   * Stores a planned remediation: `blocked` when the plan is, `proposed` when it may run on its
   * own (auto tier), else `pending` a decision; with a fresh opaque callback token and the
   * approval TTL from settings.
   */
  private createRemediation(
    incidentId: number,
    plan: RemediationPlan,
    now: Date,
    extra: { undoOf?: number; symptomsHash?: string; confidence?: number } = {},
  ): Promise<RemediationRow> {
    return this.deps.store.createRemediation({
      incidentId,
      token: randomBytes(9).toString('base64url'),
      action: plan.action,
      target: plan.target,
      params: plan.params,
      plan: plan as unknown as Record<string, unknown>,
      state: plan.tier === 'blocked' ? 'blocked' : plan.autoExecute ? 'proposed' : 'pending',
      approvalsRequired: plan.approvalsRequired,
      now,
      expiresAt: new Date(now.getTime() + this.settings.approvalTtlS * 1000),
      ...extra,
    });
  }

  /** Brings snoozed cards back: pending again, re-posted as a new message. @returns how many woke. */
  async wakeSnoozed(): Promise<number> {
    const woken = await this.deps.store.wakeSnoozed(this.deps.clock.now(), this.settings.approvalTtlS);
    for (const rem of woken) {
      await this.audit('system', 'remediation.unsnoozed', `remediation:${rem.id}`, {});
      try {
        await this.postCard(rem.incidentId, rem.id);
        await this.refreshCards(rem.incidentId);
      } catch (err) {
        this.log.warn({ err, remediation: rem.id }, 'could not re-post a snoozed card');
      }
    }
    return woken.length;
  }

  private async runExecution(remediationId: number): Promise<void> {
    const { store, clock } = this.deps;
    const rem = await store.transition(remediationId, ['approved'], 'executing', clock.now());
    if (!rem) {
      const current = await store.getRemediation(remediationId);
      if (current && (current.state === 'executing' || current.state === 'verifying')) await this.reconcile(current);
      return;
    }
    // The "executing" edit must not hold up the action (Telegram may throttle it).
    void this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'card edit failed'));
    const subject = `remediation:${rem.id}`;
    const ctx = this.actionContext(subject);
    const steps: string[] = [];
    const t0 = Date.now();
    try {
      const denied = await this.recheckGuardrails(rem);
      if (denied) throw new ActionImpossible(rem.action as ActionKind, formatTarget(rem.target), `guardrail: ${denied.join('; ')}`);
      steps.push('guardrails re-checked on live state');
      const entry = ACTION_CATALOG[rem.action as ActionKind];
      const applied = await entry.apply(ctx, rem.target, rem.params);
      steps.push('dry-run accepted', `applied: ${applied.detail}`);
      const verifying = await store.transition(rem.id, ['executing'], 'verifying', clock.now(), {
        preState: applied as unknown as Record<string, unknown>,
        result: result(true, 'applied; verifying', clock.now(), steps, applied.inverse),
      });
      if (verifying) await this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'card edit failed'));
      await this.verifyAndFinish(rem, applied, steps, t0);
    } catch (err) {
      const message = err instanceof ActionImpossible ? err.reason : err instanceof Error ? err.message : String(err);
      await store.transition(rem.id, ['executing', 'verifying'], 'failed', clock.now(), {
        result: result(false, `execution failed: ${message}`, clock.now(), steps, null),
      });
      await this.audit('worker', 'remediation.failed', subject, { error: message, durationMs: Date.now() - t0 });
      this.deps.metrics?.remediations.inc({ action: rem.action, outcome: 'failed' });
      await this.refreshCards(rem.incidentId);
    }
  }

  private actionContext(subject: string): ActionContext {
    return {
      cluster: this.deps.cluster,
      policy: this.settings.policy.actions,
      now: () => this.deps.clock.now(),
      step: (name, d) => this.audit('worker', name, subject, d),
    };
  }

  /**
   * Guardrails again, right before executing, against live state and current history.
   * @returns the deny reasons, or undefined when the action may run.
   */
  private async recheckGuardrails(rem: RemediationRow): Promise<string[] | undefined> {
    const { store, clock, cluster } = this.deps;
    const action = rem.action as ActionKind;
    if (action === 'escalate' || action === 'none') return undefined;
    const now = clock.now();
    const plan = rem.plan as unknown as RemediationPlan;
    const evidence = await gatherEvidence(cluster, rem.target, { logTailLines: 1, maxLogs: 0, now, lean: true });
    const input = blastRadiusInputFromEvidence(evidence, action, rem.params);
    const history = await store.guardrailHistory(rem.target, now);
    // This remediation itself is already `executing`; it must not count against its own limit.
    const past = {
      history: { ...history, executedInLastHour: Math.max(0, history.executedInLastHour - 1), executedOnTargetInLastHour: Math.max(0, history.executedOnTargetInLastHour - 1) },
      antiPatternSince: plan.autoExecute && rem.symptomsHash ? await store.antiPatternSince(rem.symptomsHash, action, now) : undefined,
    };
    const verdict = guardrailVerdict(input, plan.tier, rem.confidence ?? 1, plan.affectedPods ?? 0, now, past, this.settings.policy.guardrails);
    await this.audit('worker', 'guardrails.recheck', `remediation:${rem.id}`, { output: verdict });
    return verdict.kind === 'deny' ? verdict.reasons : undefined;
  }

  private async verifyAndFinish(rem: RemediationRow, applied: Applied | null, steps: string[], t0: number): Promise<void> {
    const { store, clock } = this.deps;
    const entry = ACTION_CATALOG[rem.action as ActionKind];
    let outcome: { ok: boolean; message: string };
    try {
      outcome = await entry.verify(this.actionContext(`remediation:${rem.id}`), rem.target, applied?.params ?? rem.params, applied);
    } catch (err) {
      outcome = { ok: false, message: `verification failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const final = outcome.ok ? 'succeeded' : 'failed';
    const won = await store.transition(rem.id, ['verifying'], final, clock.now(), {
      result: result(outcome.ok, outcome.message, clock.now(), [...steps, outcome.ok ? 'verified' : 'verification failed'], applied?.inverse ?? null),
    });
    // Someone else (a concurrent reconcile) already finished it: report and learn once.
    if (!won) return;
    await this.audit('worker', `remediation.${final}`, `remediation:${rem.id}`, {
      output: outcome,
      durationMs: Date.now() - t0,
    });
    this.deps.metrics?.remediations.inc({ action: rem.action, outcome: final });
    await this.learn(rem, outcome).catch((err) => this.log.error({ err, remediation: rem.id }, 'learning from the outcome failed'));
    await this.refreshCards(rem.incidentId);
  }

  /**
   * Learns from a verified outcome: the playbook's trust score (EWMA, success 1, failure 0) is
   * updated; a success drafts a runbook entry sent as a review card; a failure publishes an
   * anti-pattern that blocks auto-execution of that action for those symptoms for 7 days.
   */
  private async learn(rem: RemediationRow, outcome: { ok: boolean; message: string }): Promise<void> {
    if (!rem.symptomsHash || rem.action === 'escalate' || rem.action === 'none' || rem.undoOf) return;
    const { store, clock } = this.deps;
    const now = clock.now();
    const incident = await store.getIncident(rem.incidentId);
    if (!incident) return;
    const diag = incident.diagnosis as DiagnosisRecord | null;
    const previous = await store.getPlaybook(rem.symptomsHash, rem.action);
    const trust = ewma(previous?.trustScore, outcome.ok ? 1 : 0, this.settings.trustAlpha ?? 0.3);
    const playbook = await store.recordOutcome({
      symptomsHash: rem.symptomsHash,
      action: rem.action,
      target: formatTarget(rem.target),
      category: diag?.category ?? 'unknown',
      trustScore: trust,
      success: outcome.ok,
      now,
    });
    await this.audit('worker', 'playbook.outcome', `remediation:${rem.id}`, {
      output: { symptomsHash: rem.symptomsHash, action: rem.action, trustScore: playbook.trustScore, successes: playbook.successes, failures: playbook.failures },
    });
    const plan = rem.plan as unknown as RemediationPlan;
    if (outcome.ok) {
      const draft = draftRunbook({
        symptomsHash: rem.symptomsHash,
        target: rem.target,
        category: diag?.category ?? 'unknown',
        cause: diag?.cause ?? '',
        evidence: diag?.evidence ?? [],
        action: rem.action as ActionKind,
        actionDescription: plan.description,
        verification: outcome.message,
        detectedAt: incident.openedAt,
        recoveredAt: now,
      });
      const id = await store.createKnowledge({
        kind: 'runbook',
        status: 'draft',
        symptomsHash: rem.symptomsHash,
        action: rem.action,
        target: formatTarget(rem.target),
        title: draft.title,
        body: draft.markdown,
        remediationId: rem.id,
        now,
      });
      await this.postKnowledgeCard(id);
    } else {
      const ap = antiPattern({ symptomsHash: rem.symptomsHash, action: rem.action as ActionKind, target: rem.target, reason: outcome.message, now });
      await store.createKnowledge({
        kind: 'anti_pattern',
        status: 'published',
        symptomsHash: ap.symptomsHash,
        action: ap.action,
        target: formatTarget(ap.target),
        title: `Anti-pattern: ${plan.description} did not fix ${diag?.category ?? 'this failure'}`,
        body: ap.reason,
        remediationId: rem.id,
        now,
        expiresAt: ap.expiresAt,
      });
    }
  }

  private async postKnowledgeCard(id: number): Promise<void> {
    const entry = await this.deps.store.getKnowledge(id);
    if (!entry) return;
    const ref = await this.deps.notifier.postKnowledgeCard(this.settings.alertChatId, knowledgeView(entry));
    await this.deps.store.saveCardMessage({ chatId: ref.chatId, messageId: ref.messageId, kind: `knowledge:${id}`, now: this.deps.clock.now() });
  }

  /** Publish or discard a runbook draft from its review card (approvers only). */
  async decideKnowledge(token: string, verb: 'publish' | 'discard', actor: Actor): Promise<DecisionReply> {
    const noop = async () => {};
    const id = knowledgeIdOf(token);
    const entry = id === undefined ? undefined : await this.deps.store.getKnowledge(id);
    if (!entry || id === undefined) return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    if (can(this.roleOf(actor.id), `knowledge.${verb}`).kind === 'deny') {
      await this.audit(`user:${actor.id}`, `knowledge.${verb}.denied`, `knowledge:${id}`, { error: 'not on the approver list' });
      return { kind: 'forbidden', text: '⛔ You are not on the approver list; nothing was changed.', afterAnswer: noop };
    }
    const decided = await this.deps.store.decideKnowledge(id, verb === 'publish' ? 'published' : 'discarded', actor.name);
    const refresh = async () => {
      const current = await this.deps.store.getKnowledge(id);
      if (!current) return;
      for (const m of await this.deps.store.knowledgeCardMessages(id)) {
        await this.deps.notifier.editKnowledgeCard(m, { ...knowledgeView(current), decidedBy: decided ? actor.name : undefined });
      }
    };
    if (!decided) return { kind: 'already_decided', text: `Already ${entry.status}.`, afterAnswer: refresh };
    await this.audit(`user:${actor.id}`, `knowledge.${verb}`, `knowledge:${id}`, { output: { status: decided.status } });
    return { kind: 'decided', text: verb === 'publish' ? '📗 Runbook published.' : '🗑 Draft discarded.', afterAnswer: refresh };
  }

  /** Learned playbooks, most trusted first (for /playbooks). */
  playbooks(limit = 30): Promise<PlaybookRow[]> {
    return this.deps.store.listPlaybooks(limit);
  }

  /**
   * Verified incidents as fine-tuning records (evidence, diagnosis, action, outcome), one per
   * finished remediation, secrets redacted.
   */
  exportFinetune(): Promise<FinetuneRecord[]> {
    return finetuneRecords(this.deps.store);
  }

  /** Re-renders the card(s) of the incident a token belongs to (the Silence menu's Back). */
  async refreshCardOf(token: string): Promise<void> {
    const rem = await this.deps.store.findRemediationByToken(token);
    if (rem) await this.refreshCards(rem.incidentId);
  }

  /**
   * A remediation found executing/verifying after a restart is never applied again: a
   * verifying one is verified; an executing one (apply may or may not have happened) is verified
   * too, and if the rollout does not complete it is marked failed.
   */
  private async reconcile(rem: RemediationRow): Promise<void> {
    if (this.reconciling.has(rem.id)) return;
    this.reconciling.add(rem.id);
    try {
      await this.reconcileOnce(rem);
    } finally {
      this.reconciling.delete(rem.id);
    }
  }

  /** Remediations being reconciled in this process (start-up and a requeued job may both try). */
  private readonly reconciling = new Set<number>();

  private async reconcileOnce(rem: RemediationRow): Promise<void> {
    await this.audit('worker', 'remediation.reconcile', `remediation:${rem.id}`, { input: { state: rem.state } });
    if (rem.state === 'executing') {
      await this.deps.store.transition(rem.id, ['executing'], 'verifying', this.deps.clock.now());
    }
    // The stored Applied (when the crash came after apply) lets verify compare with the pre-state.
    const applied = rem.preState && 'params' in rem.preState ? (rem.preState as unknown as Applied) : null;
    await this.verifyAndFinish({ ...rem, state: 'verifying' }, applied, ['interrupted by a restart; reconciled from live state, not re-applied'], Date.now());
  }

  private async reconcileInFlight(): Promise<void> {
    const inFlight = await this.deps.store.inFlightRemediations();
    for (const rem of inFlight) {
      void this.reconcile(rem).catch((err) => this.log.error({ err, remediation: rem.id }, 'reconcile failed'));
    }
  }

  private async onIncidentResolved(incidentId: number): Promise<void> {
    const cancelled = await this.deps.store.cancelPending(incidentId, this.deps.clock.now());
    await this.audit('alertmanager', 'incident.resolved', `incident:${incidentId}`, { output: { cancelledRemediations: cancelled } });
    await this.refreshCards(incidentId);
  }

  /**
   * Re-renders every card of an incident from the database: each card shows its own remediation;
   * only the newest card of a remediation keeps buttons (older ones were re-posted below).
   */
  private refreshCards(incidentId: number): Promise<void> {
    // One refresh per incident at a time; changes arriving meanwhile are folded into one more
    // pass (newest state wins), which keeps edits in order and within Telegram's rate limits.
    const running = this.refreshing.get(incidentId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.refreshCardsNow(incidentId);
        } while (entry.again);
      } finally {
        this.refreshing.delete(incidentId);
      }
    })();
    this.refreshing.set(incidentId, entry);
    return entry.done;
  }

  private readonly refreshing = new Map<number, { again: boolean; done: Promise<void> }>();
  /** Last text+buttons sent per message (`chat:message`), to skip edits that change nothing. */
  private readonly lastShown = new Map<string, string>();

  private async refreshCardsNow(incidentId: number): Promise<void> {
    const incident = await this.deps.store.getIncident(incidentId);
    if (!incident) return;
    const messages = await this.deps.store.cardMessages(incidentId);
    const newestOf = new Map<number | null, number>();
    for (const m of messages) newestOf.set(m.remediationId, m.messageId);
    const views = new Map<number | null, IncidentCardView>();
    for (const msg of messages) {
      let view = views.get(msg.remediationId);
      if (!view) {
        const rem = msg.remediationId ? await this.deps.store.getRemediation(msg.remediationId) : undefined;
        view = await this.cardFor(incident, rem);
        views.set(msg.remediationId, view);
      }
      const shown = newestOf.get(msg.remediationId) === msg.messageId ? view : { ...view, buttons: [], repostedBelow: true };
      const key = `${msg.chatId}:${msg.messageId}`;
      const fingerprint = JSON.stringify(shown);
      if (this.lastShown.get(key) === fingerprint) continue;
      await this.deps.notifier.editIncidentCard({ chatId: msg.chatId, messageId: msg.messageId }, shown);
      this.rememberShown(key, fingerprint);
    }
  }

  private rememberShown(key: string, fingerprint: string): void {
    this.lastShown.delete(key);
    this.lastShown.set(key, fingerprint);
    if (this.lastShown.size > 2000) this.lastShown.delete(this.lastShown.keys().next().value!);
  }

  private async cardFor(incident: IncidentRow, remediation?: RemediationRow): Promise<IncidentCardView> {
    const { store, clock } = this.deps;
    const rem = remediation ?? (await store.latestRemediation(incident.id));
    const decisions = rem ? await store.decisions(rem.id) : [];
    const extras: CardExtras = {};
    if (rem?.symptomsHash) {
      const pb = await store.getPlaybook(rem.symptomsHash, rem.action);
      if (pb) extras.trust = { score: pb.trustScore, successes: pb.successes, failures: pb.failures };
    }
    if (rem) extras.undone = (await store.undoOf(rem.id)) !== undefined;
    extras.silencedUntil = await store.silencedUntil(incident.groupKey, clock.now());
    return buildIncidentCard(incident, rem, decisions, extras);
  }

  private async audit(
    actor: string,
    action: string,
    subject: string | undefined,
    d: { input?: unknown; output?: unknown; durationMs?: number; error?: string },
  ): Promise<void> {
    try {
      await this.deps.store.audit({ actor, action, subject, ...d }, this.deps.clock.now());
    } catch (err) {
      this.log.error({ err, action, subject }, 'audit write failed');
    }
  }
}

function result(
  ok: boolean,
  message: string,
  at: Date,
  steps: string[],
  inverse: ExecutionResult['inverse'],
): Record<string, unknown> {
  const r: ExecutionResult = { ok, message, at: at.toISOString(), steps, inverse };
  return r as unknown as Record<string, unknown>;
}

/** `Already approved by Alice at 12:03 UTC; now executing.` — for a press on a decided card. */
function alreadyDecidedText(state: string, decisions: Array<{ userName: string; decision: string; decidedAt: Date }>): string {
  const last = decisions[decisions.length - 1];
  if (!last) return `This proposal is already ${state}.`;
  const verb = last.decision === 'approve' ? 'approved' : 'rejected';
  const when = `${last.decidedAt.toISOString().slice(11, 16)} UTC`;
  return `Already ${verb} by ${last.userName} at ${when}${state !== verb ? `; now ${state}` : ''}.`;
}

/**
 * Verified incidents as fine-tuning records (evidence, diagnosis, action, outcome), one per
 * finished remediation, oldest first, secrets redacted (`watchkeeper export finetune`).
 */
export async function finetuneRecords(store: Store): Promise<FinetuneRecord[]> {
  const rows = await store.finishedRemediations();
  return rows.map(({ remediation, incident }) => {
    const diag = incident.diagnosis as DiagnosisRecord | null;
    const result = remediation.result as ExecutionResult | null;
    return finetuneRecord({
      evidence: diag?.evidence ?? [],
      diagnosis: { category: diag?.category ?? 'unknown', cause: diag?.cause ?? '', confidence: diag?.confidence ?? 0 },
      action: { kind: remediation.action as ActionKind, params: remediation.params, target: remediation.target },
      outcome: {
        result: remediation.state === 'succeeded' ? 'succeeded' : 'failed',
        verification: result?.message ?? '',
        timeToRecoverMs: Math.max(0, remediation.updatedAt.getTime() - incident.openedAt.getTime()),
      },
    });
  });
}

/** Symptoms hash of a diagnosis (16 hex chars), keying playbooks and anti-patterns. */
function symptomsHashOf(d: DiagnosisRecord, target: TargetRef): string {
  const primary = d.findings[0];
  return symptomsHash({
    targetKind: target.kind,
    namespace: target.namespace,
    workload: target.name,
    category: d.category,
    analyzer: primary?.analyzer ?? 'none',
    cause: primary?.cause ?? d.cause,
  });
}

function knowledgeView(e: KnowledgeRow): KnowledgeCardView {
  return {
    knowledgeId: e.id,
    kind: e.kind,
    status: e.status,
    title: e.title,
    body: e.body,
    buttons:
      e.status === 'draft'
        ? [
            { label: '📗 Publish', data: callbackData('publish', knowledgeToken(e.id)) },
            { label: '🗑 Discard', data: callbackData('discard', knowledgeToken(e.id)) },
          ]
        : [],
  };
}

function targetText(r: IncidentRow): string | undefined {
  const d = r.diagnosis as DiagnosisRecord | null;
  const t = d?.target ?? r.target;
  return t ? formatTarget(t) : undefined;
}
