/**
 * What every use case of the incident pipeline is given: the ports, the settings, and three
 * shared helpers (audit, wake the job worker, tell subscribers an outcome). Built once by
 * `createAgent`.
 */
import type { Logger } from 'pino';
import { can, roleOf, type Operator, type Permission, type Role } from '../../domain/authz.ts';
import type { SilencePort } from '../alertmanager/silences.ts';
import type { ModelDiagnoser } from '../diagnose.ts';
import type { AgentMetrics } from '../metrics.ts';
import type { PlanPolicy } from '../plan.ts';
import type { AuditEntry, Clock, ClusterPort, Notifier, RemediationOutcome, RemediationOutcomes, RemediationRepository, Repositories } from '../ports.ts';
import type { WorkerOptions } from '../worker.ts';

/** Settings the core runs with (from config, through main.ts). */
export interface AgentSettings {
  /** Chat that receives incident cards. */
  alertChatId: number;
  /** Who may act through the chat, with their roles (domain/authz.ts). */
  operators: readonly Operator[];
  /** A group re-firing within this many seconds after resolving reopens its incident. */
  dedupWindowS: number;
  /** A pending card expires after this many seconds. */
  approvalTtlS: number;
  /** "Later" snoozes for this many minutes (default 30). */
  snoozeMinutes?: number;
  /** Log lines read per container as evidence. */
  logTailLines: number;
  policy: PlanPolicy;
  /** EWMA α for playbook trust (default 0.3). */
  trustAlpha?: number;
  worker?: WorkerOptions;
}

/** Adapters the core runs over, passed in by main.ts (or a test). */
export interface AgentDeps {
  repos: Repositories;
  cluster: ClusterPort;
  notifier: Notifier;
  /** Alertmanager silences (when ALERTMANAGER_URL is set). */
  silences?: SilencePort;
  clock: Clock;
  log: Logger;
  model?: ModelDiagnoser;
  metrics?: AgentMetrics;
  /** Where outcomes of remediations are told (drift and coverage subscribe); default: a local hub. */
  outcomes?: RemediationOutcomes;
}

/** A person acting through the chat: Telegram user id (`from.id`) and display name. */
export interface Actor {
  id: number;
  name: string;
}

/** The use cases' shared context. */
export interface Core extends AgentDeps {
  settings: AgentSettings;
  outcomes: RemediationOutcomes;
  /** Appends an audit row; a failing write is logged, never thrown. */
  audit(actor: string, action: string, subject: string | undefined, d?: Omit<AuditEntry, 'actor' | 'action' | 'subject'>): Promise<void>;
  /** Wakes the job worker (after a commit that queued a job). */
  nudge(): void;
  /** Tells subscribers what became of a remediation; their failures are logged. */
  told(outcome: RemediationOutcome): Promise<void>;
}

/** Builds the shared context. `nudge` is wired to the job worker by createAgent. */
export function createCore(deps: AgentDeps, settings: AgentSettings, nudge: () => void): Core {
  const log = deps.log.child({ component: 'agent' });
  const outcomes = deps.outcomes ?? createOutcomeHub(log, deps.repos.remediations);
  return {
    ...deps,
    log,
    settings,
    outcomes,
    nudge,
    async audit(actor, action, subject, d = {}) {
      try {
        await deps.repos.auditLog.append({ actor, action, subject, ...d }, deps.clock.now());
      } catch (err) {
        log.error({ err, action, subject }, 'audit write failed');
      }
    },
    async told(outcome) {
      try {
        await outcomes.notify(outcome);
      } catch (err) {
        log.error({ err, remediation: outcome.remediationId }, 'an outcome subscriber failed');
      }
    },
  };
}

/**
 * In-process {@link RemediationOutcomes}: subscribers are called in order; one that throws is
 * logged and the others still hear the outcome. `current` reads the remediations.
 */
export function createOutcomeHub(log: Logger, remediations: Pick<RemediationRepository, 'byIds'>): RemediationOutcomes {
  const listeners = new Set<(o: RemediationOutcome) => void | Promise<void>>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async notify(outcome) {
      for (const l of [...listeners]) {
        try {
          await l(outcome);
        } catch (err) {
          log.error({ err, remediation: outcome.remediationId }, 'an outcome subscriber failed');
        }
      }
    },
    async current(ids) {
      const rems = await remediations.byIds(ids);
      return rems.map((r) => ({ remediationId: r.id, origin: r.origin, state: r.state, ...(r.result?.message ? { message: r.result.message } : {}) }));
    },
  };
}

/** Why a press was refused (the bot words it). */
export type Refusal = 'not_an_approver' | 'needs_admin' | 'nothing_to_approve';

/** Role of a user, undefined when not an operator. */
export function roleIn(core: Core, userId: number): Role | undefined {
  return roleOf(core.settings.operators, userId);
}

/**
 * Checks `permission` for `actor` with the one permission table (domain/authz.ts); a refusal is
 * audited as `<permission>.denied` with the actor's id.
 * @returns the refusal, or undefined when allowed.
 */
export async function authorize(
  core: Core,
  actor: Actor,
  permission: Permission,
  subject: string,
  context: { tier?: string } = {},
): Promise<Refusal | undefined> {
  const role = roleIn(core, actor.id);
  const decision = can(role, permission, context);
  if (decision.kind === 'allow') return undefined;
  const refusal: Refusal = decision.reason === 'dual_needs_admin' ? 'needs_admin' : 'not_an_approver';
  await core.audit(`user:${actor.id}`, `${permission}.denied`, subject, {
    input: { user: actor.name, role: role ?? 'none', ...context },
    error: decision.reason === 'dual_needs_admin' ? 'dual approval needs admins' : 'not on the approver list',
  });
  return refusal;
}
