/**
 * In-memory implementations of the core's ports, for use-case tests: repositories over Maps
 * (each method runs without an await between its read and its write, so it is atomic like the
 * SQL it stands for), a recording notifier, a settable clock, and a core wired over them with
 * `createAgent`'s parts.
 */
import pino from 'pino';
import type { Applied } from '../../../agent/actions/types.ts';
import { CardPublisher } from '../../../agent/incidents/card-publisher.ts';
import { createCore, type AgentSettings, type Core } from '../../../agent/incidents/context.ts';
import { DEFAULT_PLAN_POLICY, type RemediationPlan } from '../../../agent/plan.ts';
import type {
  AuditEntry,
  CardMessage,
  CardRef,
  ClaimedJob,
  ClusterPort,
  Decision,
  DecideOutcome,
  Incident,
  IncidentCardView,
  Job,
  KnowledgeCardView,
  KnowledgeEntry,
  NewRemediation,
  Notifier,
  Playbook,
  Remediation,
  RemediationOutcome,
  Repositories,
  TransitionFields,
} from '../../../agent/ports.ts';
import type { Operator } from '../../../domain/authz.ts';
import type { TargetRef } from '../../../domain/diagnosis.ts';
import { EXECUTED, legalSources, VERIFIED, type RemediationState } from '../../../domain/remediation/index.ts';

export const T0 = new Date('2026-11-21T06:00:00Z');

/** alice approver, bob and carol admins, vic viewer. */
export const USERS = { alice: { id: 1, name: 'alice' }, bob: { id: 2, name: 'bob' }, carol: { id: 3, name: 'carol' }, vic: { id: 4, name: 'vic' }, mallory: { id: 66, name: 'mallory' } };
export const OPERATORS: Operator[] = [
  { userId: 1, role: 'approver' },
  { userId: 2, role: 'admin' },
  { userId: 3, role: 'admin' },
  { userId: 4, role: 'viewer' },
];

/** Every repository in memory. */
export class MemoryRepositories implements Repositories {
  readonly incidentRows = new Map<number, Incident>();
  readonly remediationRows = new Map<number, Remediation>();
  readonly ballots: Array<Decision & { remediationId: number }> = [];
  readonly jobRows: Array<{ id: number; job: Job; state: 'queued' | 'running' | 'done' | 'failed' }> = [];
  readonly auditRows: AuditEntry[] = [];
  readonly cardRows: Array<CardMessage & { kind: string; incidentId?: number }> = [];
  readonly playbookRows: Playbook[] = [];
  readonly knowledgeRows: Array<KnowledgeEntry & { remediationId?: number; expiresAt?: Date }> = [];
  readonly silenceRows: Array<{ groupKey: string; until: Date }> = [];
  private seq = 0;
  private next = () => ++this.seq;

  /** Adds an open incident. */
  addIncident(over: Partial<Incident> = {}): Incident {
    const id = this.next();
    const incident: Incident = {
      id,
      groupKey: `group-${id}`,
      status: 'open',
      alertname: 'KubePodCrashLooping',
      severity: 'warning',
      summary: 'crash looping',
      target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
      groupLabels: { alertname: 'KubePodCrashLooping' },
      diagnosis: null,
      openedAt: T0,
      lastAlertAt: T0,
      resolvedAt: null,
      ...over,
    };
    this.incidentRows.set(id, incident);
    return incident;
  }

  incidents: Repositories['incidents'] = {
    ingest: async () => {
      throw new Error('not used in use-case tests');
    },
    get: async (id) => this.copy(this.incidentRows.get(id)),
    listOpen: async (limit) =>
      [...this.incidentRows.values()]
        .filter((i) => i.status === 'open')
        .sort((a, b) => b.id - a.id)
        .slice(0, limit)
        .map((incident) => ({ incident, latestState: this.latest(incident.id)?.state })),
    setDiagnosis: async (id, diagnosis, target) => {
      const i = this.incidentRows.get(id)!;
      this.incidentRows.set(id, { ...i, diagnosis, target });
    },
    openForProposal: async (input) => {
      const open = [...this.incidentRows.values()].find((i) => i.groupKey === input.groupKey && i.status === 'open');
      if (open) return open.id;
      return this.addIncident({ groupKey: input.groupKey, alertname: input.alertname, summary: input.summary, target: input.target, diagnosis: input.diagnosis, severity: 'info', groupLabels: {} }).id;
    },
    ping: async () => true,
  };

  private latest(incidentId: number): Remediation | undefined {
    return [...this.remediationRows.values()].filter((r) => r.incidentId === incidentId).sort((a, b) => b.id - a.id)[0];
  }

  private copy<T>(v: T | undefined): T | undefined {
    return v === undefined ? undefined : structuredClone(v);
  }

  private move(id: number, from: readonly RemediationState[], to: RemediationState, now: Date, fields: TransitionFields = {}): Remediation | undefined {
    const legal = legalSources(from, to);
    const rem = this.remediationRows.get(id);
    if (!rem || !legal.includes(rem.state)) return undefined;
    const moved: Remediation = { ...rem, state: to, updatedAt: now };
    if (fields.result !== undefined) moved.result = fields.result;
    if (fields.preState !== undefined) moved.preState = fields.preState as Applied;
    if (fields.snoozedUntil !== undefined) moved.snoozedUntil = fields.snoozedUntil;
    if (fields.expiresAt !== undefined) moved.expiresAt = fields.expiresAt;
    this.remediationRows.set(id, moved);
    return structuredClone(moved);
  }

  remediations: Repositories['remediations'] = {
    create: async (input: NewRemediation) => {
      const id = this.next();
      const rem: Remediation = {
        id,
        incidentId: input.incidentId,
        token: input.token,
        action: input.plan.action,
        target: input.plan.target,
        params: input.plan.params,
        plan: input.plan,
        state: input.state,
        approvalsRequired: Number.isFinite(input.plan.approvalsRequired) ? input.plan.approvalsRequired : 99,
        preState: null,
        result: null,
        createdAt: input.now,
        updatedAt: input.now,
        expiresAt: input.expiresAt ?? null,
        snoozedUntil: null,
        undoOf: input.undoOf ?? null,
        symptomsHash: input.symptomsHash ?? null,
        confidence: input.confidence ?? null,
        origin: input.origin,
      };
      this.remediationRows.set(id, rem);
      return structuredClone(rem);
    },
    get: async (id) => this.copy(this.remediationRows.get(id)),
    byToken: async (token) => this.copy([...this.remediationRows.values()].find((r) => r.token === token)),
    latestOf: async (incidentId) => this.copy(this.latest(incidentId)),
    undoOf: async (id) => this.copy([...this.remediationRows.values()].find((r) => r.undoOf === id)),
    byIds: async (ids) => ids.flatMap((id) => (this.remediationRows.has(id) ? [structuredClone(this.remediationRows.get(id)!)] : [])),
    inStates: async (states) => [...this.remediationRows.values()].filter((r) => states.includes(r.state)).map((r) => structuredClone(r)),
    transition: async (id, from, to, now, fields) => this.move(id, from, to, now, fields),
    decide: async (input, rule): Promise<DecideOutcome> => {
      const rem = [...this.remediationRows.values()].find((r) => r.token === input.token);
      if (!rem) return { kind: 'not_found' };
      const mine = () => this.ballots.filter((b) => b.remediationId === rem.id);
      const ruling = rule(rem, mine(), { userId: input.userId, decision: input.decision }, input.now);
      const current = () => ({ remediation: structuredClone(this.remediationRows.get(rem.id)!), decisions: mine().map(({ remediationId: _, ...d }) => d) });
      const record = () => this.ballots.push({ remediationId: rem.id, userId: input.userId, userName: input.userName, decision: input.decision, reason: null, decidedAt: input.now });
      switch (ruling.kind) {
        case 'expire':
          this.move(rem.id, ['pending'], 'expired', input.now);
          return { kind: 'not_pending', ...current() };
        case 'not_pending':
          return { kind: 'not_pending', ...current() };
        case 'already_voted':
          return { kind: 'already_voted', ...current() };
        case 'recorded':
          record();
          return { kind: 'recorded', approvals: ruling.approvals, ...current() };
        case 'transition': {
          if (ruling.replacesLater) {
            const i = this.ballots.findIndex((b) => b.remediationId === rem.id && b.userId === input.userId && b.decision === 'later');
            if (i >= 0) this.ballots.splice(i, 1);
          }
          record();
          this.move(rem.id, [rem.state], ruling.to, input.now, ruling.to === 'snoozed' ? { snoozedUntil: input.snoozeUntil ?? input.now } : {});
          if (ruling.to === 'approved') this.jobRows.push({ id: this.next(), job: { kind: 'execute', remediationId: rem.id }, state: 'queued' });
          return { kind: 'decided', ...current() };
        }
      }
    },
    autoApprove: async (id, now) => {
      const moved = this.move(id, ['proposed'], 'approved', now);
      if (moved) this.jobRows.push({ id: this.next(), job: { kind: 'execute', remediationId: id }, state: 'queued' });
      return moved !== undefined;
    },
    transitionAllOf: async (incidentId, from, to, now) =>
      [...this.remediationRows.values()].filter((r) => r.incidentId === incidentId && from.includes(r.state)).flatMap((r) => (this.move(r.id, from, to, now) ? [r.id] : [])),
    expireDue: async (now) =>
      [...this.remediationRows.values()].filter((r) => r.state === 'pending' && r.expiresAt && r.expiresAt < now).flatMap((r) => this.move(r.id, ['pending'], 'expired', now) ?? []),
    wakeDue: async (now, expiresAt) =>
      [...this.remediationRows.values()]
        .filter((r) => r.state === 'snoozed' && r.snoozedUntil && r.snoozedUntil <= now)
        .flatMap((r) => this.move(r.id, ['snoozed'], 'pending', now, { snoozedUntil: null, expiresAt }) ?? []),
    decisions: async (id) => this.ballots.filter((b) => b.remediationId === id).map(({ remediationId: _, ...d }) => d),
    setRejectReason: async (id, userId, reason) => {
      const b = this.ballots.find((x) => x.remediationId === id && x.userId === userId && x.decision === 'reject');
      if (b) b.reason = reason;
      return b !== undefined;
    },
    guardrailHistory: async (target, now) => {
      const hourAgo = now.getTime() - 3_600_000;
      const executed = [...this.remediationRows.values()].filter((r) => EXECUTED.includes(r.state) && r.updatedAt.getTime() >= hourAgo && r.action !== 'escalate' && r.action !== 'none');
      const same = (t: TargetRef) => t.kind === target.kind && t.namespace === target.namespace && t.name === target.name;
      return { executedInLastHour: executed.length, executedOnTargetInLastHour: executed.filter((r) => same(r.target)).length };
    },
    finishedWithIncidents: async () =>
      [...this.remediationRows.values()].filter((r) => VERIFIED.includes(r.state)).map((r) => ({ remediation: r, incident: this.incidentRows.get(r.incidentId)! })),
  };

  knowledge: Repositories['knowledge'] = {
    antiPatternSince: async (hash, action, now) =>
      this.knowledgeRows.find((k) => k.kind === 'anti_pattern' && k.symptomsHash === hash && k.action === action && (!k.expiresAt || k.expiresAt > now)) ? T0 : undefined,
    playbook: async (hash, action) => this.playbookRows.find((p) => p.symptomsHash === hash && p.action === action),
    recordOutcome: async (input) => {
      let p = this.playbookRows.find((x) => x.symptomsHash === input.symptomsHash && x.action === input.action);
      if (!p) {
        p = { id: this.next(), symptomsHash: input.symptomsHash, action: input.action, target: input.target, category: input.category, trustScore: 0, successes: 0, failures: 0, lastOutcomeAt: input.now, published: false };
        this.playbookRows.push(p);
      }
      Object.assign(p, { trustScore: input.trustScore, lastOutcomeAt: input.now, successes: p.successes + (input.success ? 1 : 0), failures: p.failures + (input.success ? 0 : 1) });
      return { ...p };
    },
    listPlaybooks: async (limit) => [...this.playbookRows].sort((a, b) => b.trustScore - a.trustScore).slice(0, limit),
    create: async (input) => {
      const id = this.next();
      this.knowledgeRows.push({ id, kind: input.kind, status: input.status, symptomsHash: input.symptomsHash, action: input.action, target: input.target, title: input.title, body: input.body, decidedBy: null, remediationId: input.remediationId, expiresAt: input.expiresAt });
      return id;
    },
    get: async (id) => this.knowledgeRows.find((k) => k.id === id),
    decide: async (id, status, by) => {
      const k = this.knowledgeRows.find((x) => x.id === id && x.status === 'draft');
      if (!k) return undefined;
      Object.assign(k, { status, decidedBy: by });
      return { ...k };
    },
  };

  silences: Repositories['silences'] = {
    add: async (input) => {
      this.silenceRows.push({ groupKey: input.groupKey, until: input.until });
    },
    silencedUntil: async (groupKey, now) => this.silenceRows.filter((s) => s.groupKey === groupKey && s.until > now).map((s) => s.until).sort((a, b) => b.getTime() - a.getTime())[0],
  };

  cards: Repositories['cards'] = {
    save: async (input) => {
      this.cardRows.push({ ...input.ref, kind: input.kind, incidentId: input.incidentId, remediationId: input.remediationId ?? null });
    },
    ofIncident: async (incidentId) => this.cardRows.filter((c) => c.incidentId === incidentId).map(({ chatId, messageId, remediationId }) => ({ chatId, messageId, remediationId })),
    ofKnowledge: async (id) => this.cardRows.filter((c) => c.kind === `knowledge:${id}`).map(({ chatId, messageId }) => ({ chatId, messageId })),
  };

  auditLog: Repositories['auditLog'] = {
    append: async (entry) => {
      this.auditRows.push(entry);
    },
  };

  jobs: Repositories['jobs'] = {
    claim: async (): Promise<ClaimedJob | undefined> => {
      const j = this.jobRows.find((x) => x.state === 'queued');
      if (!j) return undefined;
      j.state = 'running';
      return { id: j.id, kind: j.job.kind, attempts: 1, job: j.job };
    },
    renew: async (ids) => ids,
    complete: async (id) => {
      this.jobRows.find((j) => j.id === id)!.state = 'done';
      return true;
    },
    fail: async (id) => {
      this.jobRows.find((j) => j.id === id)!.state = 'failed';
      return true;
    },
    stats: async () => ({ queued: this.jobRows.filter((j) => j.state === 'queued').length, oldestQueuedAgeSeconds: 0 }),
  };

  /** Audit actions, in order. */
  actions(): string[] {
    return this.auditRows.map((a) => a.action);
  }
}

/** A notifier that records what it was asked to show (message ids count up from 100). */
export class RecordingNotifier implements Notifier {
  readonly posted: Array<{ ref: CardRef; view: IncidentCardView }> = [];
  readonly edits: Array<{ ref: CardRef; view: IncidentCardView }> = [];
  readonly knowledge: Array<{ ref: CardRef; view: KnowledgeCardView; edit: boolean }> = [];
  private id = 100;

  async postIncidentCard(chatId: number, view: IncidentCardView): Promise<CardRef> {
    const ref = { chatId, messageId: this.id++ };
    this.posted.push({ ref, view: structuredClone(view) });
    return ref;
  }
  async editIncidentCard(ref: CardRef, view: IncidentCardView): Promise<void> {
    this.edits.push({ ref, view: structuredClone(view) });
  }
  async postKnowledgeCard(chatId: number, view: KnowledgeCardView): Promise<CardRef> {
    const ref = { chatId, messageId: this.id++ };
    this.knowledge.push({ ref, view, edit: false });
    return ref;
  }
  async editKnowledgeCard(ref: CardRef, view: KnowledgeCardView): Promise<void> {
    this.knowledge.push({ ref, view, edit: true });
  }

  /** The last view shown on a message (posted or edited). */
  shown(messageId: number): IncidentCardView | undefined {
    const all = [...this.posted, ...this.edits].filter((x) => x.ref.messageId === messageId);
    return all[all.length - 1]?.view;
  }
}

/** A cluster port that must not be called. */
export const NO_CLUSTER: ClusterPort = new Proxy({} as ClusterPort, {
  get: (_t, prop) => () => {
    throw new Error(`the cluster must not be called (${String(prop)})`);
  },
});

/** A test core: memory repositories, recording notifier, settable clock, nudges counted, outcomes heard. */
export interface TestCore {
  core: Core;
  cards: CardPublisher;
  repos: MemoryRepositories;
  notifier: RecordingNotifier;
  clock: { now: () => Date; set: (d: Date) => void };
  nudges: { n: number };
  outcomes: RemediationOutcome[];
}

/** Builds a {@link TestCore}. */
export function testCore(options: { cluster?: ClusterPort; settings?: Partial<AgentSettings> } = {}): TestCore {
  const repos = new MemoryRepositories();
  const notifier = new RecordingNotifier();
  let now = T0;
  const clock = { now: () => now, set: (d: Date) => (now = d) };
  const nudges = { n: 0 };
  const settings: AgentSettings = {
    alertChatId: -100,
    operators: OPERATORS,
    dedupWindowS: 1800,
    approvalTtlS: 3600,
    logTailLines: 10,
    policy: DEFAULT_PLAN_POLICY,
    ...options.settings,
  };
  const core = createCore({ repos, cluster: options.cluster ?? NO_CLUSTER, notifier, clock, log: pino({ level: 'silent' }) }, settings, () => nudges.n++);
  const outcomes: RemediationOutcome[] = [];
  core.outcomes.subscribe((o) => {
    outcomes.push(o);
  });
  return { core, cards: new CardPublisher(core), repos, notifier, clock, nudges, outcomes };
}

/** A plan as the planner makes it. */
export function plan(over: Partial<RemediationPlan> = {}): RemediationPlan {
  const tier = over.tier ?? 'human';
  return {
    action: 'restart',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    params: {},
    description: 'rollout restart deployment/web',
    blastRadius: { score: 25, tier, reasons: ['restart: base risk'], contributions: [], hardRules: [] },
    tier,
    approvalsRequired: tier === 'dual' ? 2 : tier === 'human' ? 1 : 0,
    autoExecute: tier === 'auto',
    guardrails: { kind: 'allow' },
    rollbackPlan: 'rollout undo',
    dryRun: { ok: true, message: 'server-side dry-run accepted' },
    notes: [],
    affectedPods: 3,
    ...over,
  };
}

/** Stores an incident with a remediation in `state` (default pending) and returns both. */
export async function seeded(t: TestCore, over: { plan?: Partial<RemediationPlan>; state?: RemediationState; incident?: Partial<Incident>; expiresAt?: Date; symptomsHash?: string } = {}) {
  const incident = t.repos.addIncident(over.incident);
  const p = plan(over.plan);
  const rem = await t.repos.remediations.create({
    incidentId: incident.id,
    token: `tok${incident.id}abcdef`,
    plan: p,
    state: over.state ?? 'pending',
    now: T0,
    expiresAt: over.expiresAt ?? new Date(T0.getTime() + 3_600_000),
    symptomsHash: over.symptomsHash,
    origin: 'alert',
  });
  return { incident, rem };
}
