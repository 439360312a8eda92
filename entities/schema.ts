/**
 * MikroORM entities (defineEntity, no decorators). Tables are snake_case; every time is
 * `timestamptz`. Migrations in `entities/migrations/` are generated from these definitions and
 * checked in; never edit a migration that has shipped, add a new one.
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import type { AlertGroup } from '../domain/alerts.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import { DRIFT_ENTITIES } from './drift.ts';
import { COVERAGE_ENTITIES } from './coverage.ts';

/** One Alertmanager alert delivery, stored once per (fingerprint, startsAt, status). */
export const AlertEntity = defineEntity({
  name: 'Alert',
  tableName: 'alert',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    fingerprint: p.string().length(64),
    status: p.enum(['firing', 'resolved'] as const),
    startsAt: p.datetime(),
    endsAt: p.datetime().nullable(),
    alertname: p.string().length(255),
    severity: p.string().length(32),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    generatorUrl: p.text().nullable(),
    groupKey: p.text(),
    receiver: p.string().length(255),
    incident: () => p.manyToOne(IncidentEntity).nullable(),
    receivedAt: p.datetime(),
  },
  uniques: [{ name: 'alert_fingerprint_starts_at_status_unique', properties: ['fingerprint', 'startsAt', 'status'] }],
  indexes: [{ name: 'alert_incident_id_index', properties: ['incident'] }],
});
export type Alert = InferEntity<typeof AlertEntity>;

/** Alerts of one Alertmanager group; at most one open incident per groupKey. */
export const IncidentEntity = defineEntity({
  name: 'Incident',
  tableName: 'incident',
  properties: {
    id: p.integer().primary().autoincrement(),
    groupKey: p.text(),
    status: p.enum(['open', 'resolved'] as const),
    alertname: p.string().length(255),
    severity: p.string().length(32),
    summary: p.text(),
    target: p.json<TargetRef>().nullable(),
    groupLabels: p.json<AlertGroup['groupLabels']>(),
    /** DiagnosisRecord (agent/diagnose.ts) once diagnosed. */
    diagnosis: p.json<Record<string, unknown>>().nullable(),
    openedAt: p.datetime(),
    lastAlertAt: p.datetime(),
    resolvedAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'incident_open_group_key_unique', properties: ['groupKey'], where: { status: 'open' } }],
  indexes: [{ name: 'incident_status_index', properties: ['status'] }],
});
export type Incident = InferEntity<typeof IncidentEntity>;

/** A proposed action, its plan and where it stands in the state machine. */
export const RemediationEntity = defineEntity({
  name: 'Remediation',
  tableName: 'remediation',
  properties: {
    id: p.integer().primary().autoincrement(),
    incident: () => p.manyToOne(IncidentEntity),
    /** Opaque token in callback data (`wk:<verb>:<token>`), ≤ 16 chars. */
    token: p.string().length(16).unique(),
    action: p.string().length(32),
    target: p.json<TargetRef>(),
    params: p.json<Record<string, string | number>>(),
    /** RemediationPlan: blast radius, tier, reasons, rollback plan, dry run. */
    plan: p.json<Record<string, unknown>>(),
    state: p.string().length(16),
    approvalsRequired: p.integer(),
    /** Pre-state snapshot taken right before applying (the object as read). */
    preState: p.json<Record<string, unknown>>().nullable(),
    /** ExecutionResult once finished. */
    result: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    expiresAt: p.datetime().nullable(),
    /** Snoozed ("Later") until this time, then re-posted. */
    snoozedUntil: p.datetime().nullable(),
    /** The remediation this one undoes (Undo runs the inverse through the same approval flow). */
    undoOf: p.integer().nullable(),
    /** Symptoms hash of the diagnosis (16 hex chars), keying playbooks and anti-patterns. */
    symptomsHash: p.string().length(16).nullable(),
    /** Diagnosis confidence 0–1 when planned. */
    confidence: p.double().nullable(),
    /** Where it came from: alert, drift, coverage, undo, command (domain/remediation REMEDIATION_ORIGINS). */
    origin: p.string().length(16).default('alert'),
  },
  indexes: [
    { name: 'remediation_state_index', properties: ['state'] },
    { name: 'remediation_incident_id_index', properties: ['incident'] },
  ],
});
export type Remediation = InferEntity<typeof RemediationEntity>;

/** One person's decision on a remediation (dual approval stores two). */
export const ApprovalDecisionEntity = defineEntity({
  name: 'ApprovalDecision',
  tableName: 'approval_decision',
  properties: {
    id: p.integer().primary().autoincrement(),
    remediation: () => p.manyToOne(RemediationEntity),
    userId: p.bigint('number'),
    userName: p.string().length(255),
    decision: p.string().length(16),
    reason: p.text().nullable(),
    decidedAt: p.datetime(),
  },
  uniques: [{ name: 'approval_decision_once_per_user', properties: ['remediation', 'userId', 'decision'] }],
});
export type ApprovalDecision = InferEntity<typeof ApprovalDecisionEntity>;

/** Every step Watchkeeper takes: who or what, input, output, duration, error. */
export const AuditLogEntity = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    at: p.datetime(),
    /** `user:<telegram id>`, `system`, `worker`, `alertmanager`. */
    actor: p.string().length(255),
    /** Step name, e.g. `remediation.approve`, `k8s.patch`, `model.call`. */
    action: p.string().length(64),
    /** `incident:12`, `remediation:4`. */
    subject: p.string().length(64).nullable(),
    input: p.json<unknown>().nullable(),
    output: p.json<unknown>().nullable(),
    durationMs: p.integer().nullable(),
    error: p.text().nullable(),
  },
  indexes: [{ name: 'audit_log_subject_index', properties: ['subject'] }],
});
export type AuditLog = InferEntity<typeof AuditLogEntity>;

/** The Telegram message of a card, so it can be edited later. */
export const ChatMessageEntity = defineEntity({
  name: 'ChatMessage',
  tableName: 'chat_message',
  properties: {
    id: p.integer().primary().autoincrement(),
    chatId: p.bigint('number'),
    messageId: p.integer(),
    kind: p.string().length(32),
    incident: () => p.manyToOne(IncidentEntity).nullable(),
    remediation: () => p.manyToOne(RemediationEntity).nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  uniques: [{ name: 'chat_message_chat_message_unique', properties: ['chatId', 'messageId'] }],
  indexes: [{ name: 'chat_message_incident_id_index', properties: ['incident'] }],
});
export type ChatMessage = InferEntity<typeof ChatMessageEntity>;

/** Durable work queue (transactional outbox): written in the same transaction as what caused it. */
export const JobEntity = defineEntity({
  name: 'Job',
  tableName: 'job',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    kind: p.string().length(32),
    payload: p.json<Record<string, unknown>>(),
    state: p.enum(['queued', 'running', 'done', 'failed'] as const),
    attempts: p.integer().default(0),
    runAt: p.datetime(),
    lockedAt: p.datetime().nullable(),
    /** The worker holding the job while it runs (see agent/worker.ts). */
    lockedBy: p.string().length(128).nullable(),
    /** End of the holder's lease; a running job past it is claimed again. */
    lockedUntil: p.datetime().nullable(),
    lastError: p.text().nullable(),
    createdAt: p.datetime(),
  },
  indexes: [{ name: 'job_state_run_at_index', properties: ['state', 'runAt'] }],
});
export type Job = InferEntity<typeof JobEntity>;

/** What Watchkeeper learned: trust in an action for a symptoms hash (EWMA of verified outcomes). */
export const PlaybookEntity = defineEntity({
  name: 'Playbook',
  tableName: 'playbook',
  properties: {
    id: p.integer().primary().autoincrement(),
    symptomsHash: p.string().length(16),
    action: p.string().length(32),
    /** Example target, `namespace/Kind/name`. */
    target: p.string().length(255),
    category: p.string().length(32),
    trustScore: p.double(),
    successes: p.integer().default(0),
    failures: p.integer().default(0),
    lastOutcomeAt: p.datetime(),
    published: p.boolean().default(false),
  },
  uniques: [{ name: 'playbook_symptoms_action_unique', properties: ['symptomsHash', 'action'] }],
});
export type Playbook = InferEntity<typeof PlaybookEntity>;

/** Runbook drafts (from verified successes) and anti-patterns (from failures). */
export const KnowledgeEntryEntity = defineEntity({
  name: 'KnowledgeEntry',
  tableName: 'knowledge_entry',
  properties: {
    id: p.integer().primary().autoincrement(),
    kind: p.enum(['runbook', 'anti_pattern'] as const),
    status: p.enum(['draft', 'published', 'discarded'] as const),
    symptomsHash: p.string().length(16),
    action: p.string().length(32),
    /** `namespace/Kind/name` the entry names. */
    target: p.string().length(255),
    title: p.text(),
    body: p.text(),
    remediation: () => p.manyToOne(RemediationEntity).nullable(),
    createdAt: p.datetime(),
    /** Anti-patterns block auto-execution until then. */
    expiresAt: p.datetime().nullable(),
    decidedBy: p.string().length(255).nullable(),
  },
  indexes: [{ name: 'knowledge_entry_symptoms_index', properties: ['symptomsHash', 'kind'] }],
});
export type KnowledgeEntry = InferEntity<typeof KnowledgeEntryEntity>;

/** A muted alert group ("Silence" button); an Alertmanager silence id when one was created. */
export const SilenceEntity = defineEntity({
  name: 'Silence',
  tableName: 'silence',
  properties: {
    id: p.integer().primary().autoincrement(),
    groupKey: p.text(),
    until: p.datetime(),
    createdBy: p.string().length(255),
    createdAt: p.datetime(),
    alertmanagerSilenceId: p.string().length(64).nullable(),
  },
  indexes: [{ name: 'silence_group_key_index', properties: ['groupKey', 'until'] }],
});
export type Silence = InferEntity<typeof SilenceEntity>;

/** All entities, for the ORM config. */
export const ENTITIES = [
  AlertEntity,
  IncidentEntity,
  RemediationEntity,
  ApprovalDecisionEntity,
  AuditLogEntity,
  ChatMessageEntity,
  JobEntity,
  PlaybookEntity,
  KnowledgeEntryEntity,
  SilenceEntity,
  ...DRIFT_ENTITIES,
  ...COVERAGE_ENTITIES,
];
