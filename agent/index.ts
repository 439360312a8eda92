/**
 * The agent's public entry: the incident pipeline (intake → diagnose → plan → decide → execute →
 * verify → resolve). `bot/`, `server/` and `jobs/` talk only to {@link Agent}; `main.ts` builds it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AlertGroup } from '../domain/alerts.ts';
import { targetFromLabels } from '../domain/alerts.ts';
import { formatTarget, type TargetRef } from '../domain/diagnosis.ts';
import type { Role, Operator } from '../config.ts';
import type { IncidentRow, IngestResult, RemediationRow, Store } from '../entities/store.ts';
import { buildIncidentCard, type CardVerb, type ExecutionResult } from './cards.ts';
import { diagnose, type DiagnosisRecord, type ModelDiagnoser } from './diagnose.ts';
import { gatherEvidence } from './evidence.ts';
import { applyAction, verifyRollout } from './execute.ts';
import { planRemediation, type PlanPolicy } from './plan.ts';
import type { CardRef, Clock, ClusterPort, IncidentCardView, Notifier } from './ports.ts';
import { JobWorker, type WorkerOptions } from './worker.ts';
import type { AgentMetrics } from './metrics.ts';

export type { IncidentCardView, CardRef, Notifier, ClusterPort } from './ports.ts';
export { parseCallbackData } from './cards.ts';
export type { DiagnosisRecord } from './diagnose.ts';

/** Settings the agent runs with (from config). */
export interface AgentSettings {
  /** Chat that receives incident cards. */
  alertChatId: number;
  operators: readonly Operator[];
  dedupWindowS: number;
  approvalTtlS: number;
  verifyTimeoutMs: number;
  verifyPollMs: number;
  logTailLines: number;
  policy: PlanPolicy;
  worker?: WorkerOptions;
}

/** Dependencies, passed in by main.ts (or a test). */
export interface AgentDeps {
  store: Store;
  cluster: ClusterPort;
  notifier: Notifier;
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
    return this.settings.operators.find((o) => o.userId === userId)?.role;
  }

  /**
   * Applies a button press. Checks the approver list by user id (`callback_query.from.id`), then
   * records the decision as one atomic conditional transition (double taps and racing approvers are
   * safe: exactly one moves the remediation on). Refusals are audited.
   */
  async decide(token: string, verb: CardVerb, actor: Actor): Promise<DecisionReply> {
    const now = this.deps.clock.now();
    const noop = async () => {};
    const role = this.roleOf(actor.id);
    if (role !== 'approver' && role !== 'admin') {
      await this.audit(`user:${actor.id}`, `remediation.${verb}.denied`, `token:${token}`, {
        input: { user: actor.name, role: role ?? 'none' },
        error: 'not on the approver list',
      });
      return { kind: 'forbidden', text: '⛔ You are not on the approver list; nothing was changed.', afterAnswer: noop };
    }
    const outcome = await this.deps.store.decide({
      token,
      userId: actor.id,
      userName: actor.name,
      decision: verb,
      now,
    });
    if (outcome.kind === 'not_found') {
      return { kind: 'stale', text: 'This card is no longer valid.', afterAnswer: noop };
    }
    const rem = outcome.remediation;
    const refresh = () => this.refreshCards(rem.incidentId);
    switch (outcome.kind) {
      case 'not_pending':
        return { kind: 'already_decided', text: alreadyDecidedText(rem.state, outcome.decisions), afterAnswer: refresh };
      case 'already_voted':
        return { kind: 'already_decided', text: 'You have already decided on this card.', afterAnswer: noop };
      case 'recorded':
        await this.audit(`user:${actor.id}`, `remediation.${verb}`, `remediation:${rem.id}`, {
          output: { approvals: outcome.approvals, required: rem.approvalsRequired },
        });
        return {
          kind: 'recorded',
          text: `Approval ${outcome.approvals} of ${rem.approvalsRequired} recorded.`,
          afterAnswer: refresh,
        };
      case 'decided':
        await this.audit(`user:${actor.id}`, `remediation.${verb}`, `remediation:${rem.id}`, { output: { state: rem.state } });
        this.deps.metrics?.decisions.inc({ decision: verb });
        if (rem.state === 'approved') this.worker.nudge();
        return {
          kind: 'decided',
          text: rem.state === 'approved' ? '✅ Approved — executing now.' : '❌ Rejected.',
          afterAnswer: refresh,
        };
    }
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
        const plan = await planRemediation(diagnosis, evidence, this.deps.cluster, this.settings.policy, clock.now());
        const now = clock.now();
        await store.createRemediation({
          incidentId,
          token: randomBytes(9).toString('base64url'),
          action: plan.action,
          target: plan.target,
          params: plan.params,
          plan: plan as unknown as Record<string, unknown>,
          state: plan.tier === 'blocked' ? 'blocked' : 'pending',
          approvalsRequired: plan.approvalsRequired,
          now,
          expiresAt: new Date(now.getTime() + this.settings.approvalTtlS * 1000),
        });
        await this.audit('worker', 'remediation.propose', `incident:${incidentId}`, {
          output: { action: plan.action, tier: plan.tier, score: plan.blastRadius.score, dryRun: plan.dryRun },
        });
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

  /** Posts the incident card once, or edits the existing one. */
  private async publishCard(incidentId: number): Promise<void> {
    const cards = await this.deps.store.cardMessages(incidentId);
    if (cards.length > 0) return this.refreshCards(incidentId);
    const incident = await this.deps.store.getIncident(incidentId);
    if (!incident) return;
    const view = await this.cardFor(incident);
    const t0 = Date.now();
    const ref = await this.deps.notifier.postIncidentCard(this.settings.alertChatId, view);
    await this.deps.store.saveCardMessage({
      chatId: ref.chatId,
      messageId: ref.messageId,
      kind: 'incident',
      incidentId,
      remediationId: view.proposal?.remediationId,
      now: this.deps.clock.now(),
    });
    await this.audit('worker', 'card.post', `incident:${incidentId}`, { output: ref, durationMs: Date.now() - t0 });
    // The incident may have changed while the card was being posted.
    const after = await this.deps.store.getIncident(incidentId);
    if (after && after.status !== incident.status) await this.refreshCards(incidentId);
  }

  private async runExecution(remediationId: number): Promise<void> {
    const { store, clock } = this.deps;
    const rem = await store.transition(remediationId, ['approved'], 'executing', clock.now());
    if (!rem) {
      const current = await store.getRemediation(remediationId);
      if (current && (current.state === 'executing' || current.state === 'verifying')) await this.reconcile(current);
      return;
    }
    await this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'card edit failed'));
    const subject = `remediation:${rem.id}`;
    const opts = {
      verifyTimeoutMs: this.settings.verifyTimeoutMs,
      pollMs: this.settings.verifyPollMs,
      now: () => clock.now(),
      step: (name: string, d: { input?: unknown; output?: unknown; durationMs: number; error?: string }) =>
        this.audit('worker', name, subject, d),
    };
    const steps: string[] = [];
    const t0 = Date.now();
    try {
      if (rem.action !== 'restart' && rem.action !== 'rollback') throw new Error(`action ${rem.action} is not executable`);
      const applied = await applyAction(this.deps.cluster, rem.action, rem.target, opts);
      steps.push('dry-run accepted', `applied (was revision ${applied.fromRevision})`);
      const verifying = await store.transition(rem.id, ['executing'], 'verifying', clock.now(), {
        preState: applied.preState as unknown as Record<string, unknown>,
        result: result(true, 'applied; waiting for the rollout to complete', clock.now(), steps, applied.restartedAt),
      });
      if (verifying) await this.refreshCards(rem.incidentId).catch((err) => this.log.warn({ err }, 'card edit failed'));
      await this.verifyAndFinish(rem, steps, t0);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await store.transition(rem.id, ['executing', 'verifying'], 'failed', clock.now(), {
        result: result(false, `execution failed: ${message}`, clock.now(), steps),
      });
      await this.audit('worker', 'remediation.failed', subject, { error: message, durationMs: Date.now() - t0 });
      this.deps.metrics?.remediations.inc({ action: rem.action, outcome: 'failed' });
      await this.refreshCards(rem.incidentId);
    }
  }

  private async verifyAndFinish(rem: RemediationRow, steps: string[], t0: number): Promise<void> {
    const { store, clock } = this.deps;
    const outcome = await verifyRollout(this.deps.cluster, rem.target, {
      verifyTimeoutMs: this.settings.verifyTimeoutMs,
      pollMs: this.settings.verifyPollMs,
      now: () => clock.now(),
      step: async () => {},
    });
    const final = outcome.ok ? 'succeeded' : 'failed';
    await store.transition(rem.id, ['verifying'], final, clock.now(), {
      result: result(outcome.ok, outcome.message, clock.now(), [...steps, outcome.ok ? 'verified' : 'verification failed']),
    });
    await this.audit('worker', `remediation.${final}`, `remediation:${rem.id}`, {
      output: outcome,
      durationMs: Date.now() - t0,
    });
    this.deps.metrics?.remediations.inc({ action: rem.action, outcome: final });
    await this.refreshCards(rem.incidentId);
  }

  /**
   * A remediation found executing/verifying after a restart is never applied again: a
   * verifying one is verified; an executing one (apply may or may not have happened) is verified
   * too, and if the rollout does not complete it is marked failed.
   */
  private async reconcile(rem: RemediationRow): Promise<void> {
    await this.audit('worker', 'remediation.reconcile', `remediation:${rem.id}`, { input: { state: rem.state } });
    if (rem.state === 'executing') {
      await this.deps.store.transition(rem.id, ['executing'], 'verifying', this.deps.clock.now());
    }
    await this.verifyAndFinish({ ...rem, state: 'verifying' }, ['interrupted by a restart; reconciled from live state'], Date.now());
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

  /** Re-renders every card of an incident from the database. */
  private async refreshCards(incidentId: number): Promise<void> {
    const incident = await this.deps.store.getIncident(incidentId);
    if (!incident) return;
    const view = await this.cardFor(incident);
    for (const msg of await this.deps.store.cardMessages(incidentId)) {
      const ref: CardRef = { chatId: msg.chatId, messageId: msg.messageId };
      await this.deps.notifier.editIncidentCard(ref, view);
    }
  }

  private async cardFor(incident: IncidentRow): Promise<IncidentCardView> {
    const rem = await this.deps.store.latestRemediation(incident.id);
    const decisions = rem ? await this.deps.store.decisions(rem.id) : [];
    return buildIncidentCard(incident, rem, decisions);
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

function result(ok: boolean, message: string, at: Date, steps: string[], restartedAt?: string): Record<string, unknown> {
  const r: ExecutionResult & { restartedAt?: string } = { ok, message, at: at.toISOString(), steps, restartedAt };
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

function targetText(r: IncidentRow): string | undefined {
  const d = r.diagnosis as DiagnosisRecord | null;
  const t = d?.target ?? r.target;
  return t ? formatTarget(t) : undefined;
}
