/**
 * The executor (`execute` job): re-scores the blast radius and re-checks the guardrails on live
 * state right before applying, applies through the action catalog, verifies, records the
 * outcome. Destructive steps are gated here, with a named result, never only in the chat
 * (gitops-engine's sync does the same: "skipped, and why").
 *
 * A remediation found executing/verifying after a restart is never applied again: it is verified
 * from live state (reconciled), and fails if the rollout does not complete.
 */
import { blastRadiusInputFromEvidence, scoreBlastRadius, type BlastRadius } from '../../domain/blast-radius.ts';
import { formatTarget } from '../../domain/diagnosis.ts';
import { approvalsRequired, isIn, IN_FLIGHT, type ExecutionResult } from '../../domain/remediation/index.ts';
import { ACTION_CATALOG, ActionImpossible, type ActionContext, type Applied } from '../actions/index.ts';
import { gatherEvidence } from '../evidence.ts';
import { guardrailVerdict, type RemediationPlan } from '../plan.ts';
import type { Remediation } from '../ports.ts';
import type { CardPublisher } from './card-publisher.ts';
import type { Core } from './context.ts';
import { learnFromOutcome } from './learning.ts';
import { executionResult, isNoOpAction, storePlanned } from './support.ts';

/** What one `execute` job came to. */
export type ExecutionOutcome =
  /** Not `approved` any more (a duplicate job, a cancelled card): nothing done. */
  | { kind: 'not_approved' }
  /** Found in flight (a retried job after a crash): reconciled from live state, not re-applied. */
  | { kind: 'reconciled' }
  /**
   * Not applied: the blast radius re-scored on live state needs more approvals than were given.
   * The remediation is cancelled with that reason and a new card asks again (`reasked`).
   */
  | { kind: 'skipped_tier_rose'; approvedTier: string; liveTier: string; score: number; reasked: number }
  | { kind: 'failed'; message: string }
  | { kind: 'verified'; ok: boolean; message: string };

/** Runs and reconciles executions. One per process (it remembers what it is reconciling). */
export class Executor {
  /** Remediations being reconciled in this process (start-up and a requeued job may both try). */
  private readonly reconciling = new Set<number>();

  constructor(
    private readonly core: Core,
    private readonly cards: CardPublisher,
  ) {}

  /** The `execute` job of a remediation. */
  async run(remediationId: number): Promise<ExecutionOutcome> {
    const { repos, clock, cluster } = this.core;
    const approved = await repos.remediations.get(remediationId);
    if (!approved || approved.state !== 'approved') {
      if (approved && isIn(IN_FLIGHT, approved.state)) {
        await this.reconcile(approved);
        return { kind: 'reconciled' };
      }
      return { kind: 'not_approved' };
    }
    const subject = `remediation:${approved.id}`;
    const steps: string[] = [];
    const t0 = Date.now();
    // Live state, read once: the re-score and the guardrails both judge it.
    const evidence = isNoOpAction(approved.action)
      ? undefined
      : await gatherEvidence(cluster, approved.target, { logTailLines: 1, maxLogs: 0, now: clock.now(), lean: true });
    if (evidence) {
      const live = scoreBlastRadius(blastRadiusInputFromEvidence(evidence, approved.action, approved.params), this.core.settings.policy.blastRadius);
      const needed = live.tier === 'blocked' ? Number.POSITIVE_INFINITY : approvalsRequired(live.tier);
      if (needed > approved.approvalsRequired) return this.reask(approved, live);
      steps.push(`blast radius re-scored on live state: ${live.score}/100 (${live.tier})`);
    }
    const rem = await repos.remediations.transition(approved.id, ['approved'], 'executing', clock.now());
    if (!rem) return { kind: 'not_approved' };
    // The "executing" edit must not hold up the action (Telegram may throttle it).
    void this.cards.refreshQuietly(rem.incidentId);
    try {
      if (evidence) {
        const denied = await this.recheckGuardrails(rem, blastRadiusInputFromEvidence(evidence, rem.action, rem.params));
        if (denied) throw new ActionImpossible(rem.action, formatTarget(rem.target), `guardrail: ${denied.join('; ')}`);
        steps.push('guardrails re-checked on live state');
      }
      const applied = await ACTION_CATALOG[rem.action].apply(this.actionContext(subject), rem.target, rem.params);
      steps.push('dry-run accepted', `applied: ${applied.detail}`);
      const verifying = await repos.remediations.transition(rem.id, ['executing'], 'verifying', clock.now(), {
        preState: applied,
        result: executionResult(true, 'applied; verifying', clock.now(), steps, applied.inverse),
      });
      if (verifying) await this.cards.refreshQuietly(rem.incidentId);
      return await this.verifyAndFinish(verifying ?? { ...rem, state: 'verifying' }, applied, steps, t0);
    } catch (err) {
      const message = err instanceof ActionImpossible ? err.reason : err instanceof Error ? err.message : String(err);
      const result = executionResult(false, `execution failed: ${message}`, clock.now(), steps, null);
      const failed = await repos.remediations.transition(rem.id, ['executing', 'verifying'], 'failed', clock.now(), { result });
      await this.core.audit('worker', 'remediation.failed', subject, { error: message, durationMs: Date.now() - t0 });
      this.core.metrics?.remediations.inc({ action: rem.action, outcome: 'failed' });
      if (failed) await this.core.told({ remediationId: rem.id, origin: rem.origin, state: 'failed', message: result.message });
      await this.cards.refresh(rem.incidentId);
      return { kind: 'failed', message };
    }
  }

  /**
   * The tier rose since approval: cancel this one (not applied, and why) and ask again with a
   * new card planned at the live score (a `blocked` score is shown blocked).
   */
  private async reask(rem: Remediation, live: BlastRadius): Promise<ExecutionOutcome> {
    const { repos, clock } = this.core;
    const now = clock.now();
    const why = `blast radius rose since approval: ${rem.plan.blastRadius.score} (${rem.plan.tier}) → ${live.score} (${live.tier}) on live state`;
    const result: ExecutionResult = {
      ...executionResult(false, `not applied: ${why}; approval is asked again`, now, [], null),
      reapproval: { from: rem.plan.tier, to: live.tier, score: live.score },
    };
    const cancelled = await repos.remediations.transition(rem.id, ['approved'], 'cancelled', now, { result });
    if (!cancelled) return { kind: 'not_approved' };
    const plan: RemediationPlan = {
      ...rem.plan,
      blastRadius: live,
      tier: live.tier,
      approvalsRequired: live.tier === 'blocked' ? 0 : approvalsRequired(live.tier),
      autoExecute: false,
      notes: [`approval asked again: ${why}`, ...rem.plan.notes.filter((n) => !n.startsWith('approval asked again:'))],
    };
    const again = await storePlanned(this.core, rem.incidentId, plan, now, {
      origin: rem.origin,
      undoOf: rem.undoOf ?? undefined,
      symptomsHash: rem.symptomsHash ?? undefined,
      confidence: rem.confidence ?? undefined,
    });
    await this.core.audit('worker', 'remediation.skipped', `remediation:${rem.id}`, {
      output: { reason: 'tier_rose', approvedTier: rem.plan.tier, liveTier: live.tier, score: live.score, reasked: again.id },
    });
    await this.core.told({ remediationId: rem.id, origin: rem.origin, state: 'cancelled', message: result.message });
    await this.cards.postAndRefresh(rem.incidentId, again.id);
    return { kind: 'skipped_tier_rose', approvedTier: rem.plan.tier, liveTier: live.tier, score: live.score, reasked: again.id };
  }

  private actionContext(subject: string): ActionContext {
    return {
      cluster: this.core.cluster,
      policy: this.core.settings.policy.actions,
      now: () => this.core.clock.now(),
      step: (name, d) => this.core.audit('worker', name, subject, d),
    };
  }

  /**
   * The guardrails again, right before applying, against live state and current history.
   * @returns the deny reasons, or undefined when the action may run.
   */
  private async recheckGuardrails(rem: Remediation, input: ReturnType<typeof blastRadiusInputFromEvidence>): Promise<string[] | undefined> {
    const { repos, clock, settings } = this.core;
    const now = clock.now();
    const { plan } = rem;
    const [history, antiPatternSince] = await Promise.all([
      repos.remediations.guardrailHistory(rem.target, now),
      plan.autoExecute && rem.symptomsHash ? repos.knowledge.antiPatternSince(rem.symptomsHash, rem.action, now) : undefined,
    ]);
    // This remediation itself is already `executing`; it must not count against its own limit.
    const past = {
      history: {
        ...history,
        executedInLastHour: Math.max(0, history.executedInLastHour - 1),
        executedOnTargetInLastHour: Math.max(0, history.executedOnTargetInLastHour - 1),
      },
      antiPatternSince,
    };
    const verdict = guardrailVerdict(input, plan.tier, rem.confidence ?? 1, plan.affectedPods ?? 0, now, past, settings.policy.guardrails);
    await this.core.audit('worker', 'guardrails.recheck', `remediation:${rem.id}`, { output: verdict });
    return verdict.kind === 'deny' ? verdict.reasons : undefined;
  }

  private async verifyAndFinish(rem: Remediation, applied: Applied | null, steps: string[], t0: number): Promise<ExecutionOutcome> {
    const { repos, clock } = this.core;
    let outcome: { ok: boolean; message: string };
    try {
      outcome = await ACTION_CATALOG[rem.action].verify(this.actionContext(`remediation:${rem.id}`), rem.target, applied?.params ?? rem.params, applied);
    } catch (err) {
      outcome = { ok: false, message: `verification failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    const final = outcome.ok ? 'succeeded' : 'failed';
    const won = await repos.remediations.transition(rem.id, ['verifying'], final, clock.now(), {
      result: executionResult(outcome.ok, outcome.message, clock.now(), [...steps, outcome.ok ? 'verified' : 'verification failed'], applied?.inverse ?? null),
    });
    // Someone else (a concurrent reconcile) already finished it: report and learn once.
    if (!won) return { kind: 'verified', ...outcome };
    await this.core.audit('worker', `remediation.${final}`, `remediation:${rem.id}`, { output: outcome, durationMs: Date.now() - t0 });
    this.core.metrics?.remediations.inc({ action: rem.action, outcome: final });
    await this.core.told({ remediationId: rem.id, origin: rem.origin, state: final, message: outcome.message });
    await learnFromOutcome(this.core, this.cards, won, outcome).catch((err) => this.core.log.error({ err, remediation: rem.id }, 'learning from the outcome failed'));
    await this.cards.refresh(rem.incidentId);
    return { kind: 'verified', ...outcome };
  }

  /**
   * Reconciles a remediation found in flight: an executing one (apply may or may not have
   * happened) moves to verifying; both are verified from live state with the stored Applied.
   */
  async reconcile(rem: Remediation): Promise<void> {
    if (this.reconciling.has(rem.id)) return;
    this.reconciling.add(rem.id);
    try {
      await this.core.audit('worker', 'remediation.reconcile', `remediation:${rem.id}`, { input: { state: rem.state } });
      if (rem.state === 'executing') await this.core.repos.remediations.transition(rem.id, ['executing'], 'verifying', this.core.clock.now());
      // The stored Applied (when the crash came after apply) lets verify compare with the pre-state.
      const applied = rem.preState && 'params' in rem.preState ? rem.preState : null;
      await this.verifyAndFinish({ ...rem, state: 'verifying' }, applied, ['interrupted by a restart; reconciled from live state, not re-applied'], Date.now());
    } finally {
      this.reconciling.delete(rem.id);
    }
  }

  /** Reconciles every remediation left in flight by a previous process (in the background). */
  async reconcileInFlight(): Promise<void> {
    for (const rem of await this.core.repos.remediations.inStates(IN_FLIGHT)) {
      void this.reconcile(rem).catch((err) => this.core.log.error({ err, remediation: rem.id }, 'reconcile failed'));
    }
  }
}
