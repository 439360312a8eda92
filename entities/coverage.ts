/**
 * Coverage entities (defineEntity): discovery runs, the asset inventory, evaluations with their
 * per-asset history, the current cell of every (asset, dimension), the alerting rules Watchkeeper
 * proposed and created, and the digests posted. Read and written by agent/coverage/repository.ts.
 */
import { defineEntity, p, type EntitySchema, type InferEntity } from '@mikro-orm/core';

/** One discovery run: what was listed from the cluster, with its outcome and counts. */
export const CoverageDiscoveryRunEntity = defineEntity({
  name: 'CoverageDiscoveryRun',
  tableName: 'coverage_discovery_run',
  properties: {
    id: p.integer().primary().autoincrement(),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    /** `running`, `succeeded`, `partial` (some kinds could not be listed) or `failed`. */
    status: p.enum(['running', 'succeeded', 'partial', 'failed'] as const),
    /** Assets listed per kind, e.g. `{"Deployment": 120, "Node": 6}`. */
    counts: p.json<Record<string, number>>(),
    /** Errors per kind that could not be listed. */
    errors: p.json<Record<string, string>>(),
    assetsTotal: p.integer().default(0),
    assetsNew: p.integer().default(0),
    assetsGone: p.integer().default(0),
    durationMs: p.integer().nullable(),
  },
  indexes: [{ name: 'coverage_discovery_run_started_at_index', properties: ['startedAt'] }],
});
export type CoverageDiscoveryRun = InferEntity<typeof CoverageDiscoveryRunEntity>;

/**
 * An asset of the inventory, identified by (kind, namespace, name) across runs: a workload recreated
 * with a new uid keeps its row (and its history).
 */
export const CoverageAssetEntity = defineEntity({
  name: 'CoverageAsset',
  tableName: 'coverage_asset',
  properties: {
    id: p.integer().primary().autoincrement(),
    kind: p.string().length(16),
    /** Empty for nodes. */
    namespace: p.string().length(253),
    name: p.string().length(253),
    /** Kubernetes uid as last seen (changes when the object is recreated). */
    uid: p.string().length(64).nullable(),
    labels: p.json<Record<string, string>>(),
    /** Controller `Kind/name`, `helm:<release>` or `team:<label>`, when known. */
    owner: p.string().length(255).nullable(),
    /** Node InternalIP (nodes only). */
    internalIp: p.string().length(64).nullable(),
    /** Pod (and, for CronJobs, job) names as last listed. */
    members: p.json<string[]>(),
    /** Containers with their memory limits, for rule templates. */
    containers: p.json<Array<{ name: string; memoryLimit?: string }>>(),
    firstSeenAt: p.datetime(),
    lastSeenAt: p.datetime(),
    firstRunId: p.integer(),
    lastRunId: p.integer(),
    /** Set when a successful listing of its kind no longer contains it; cleared if it comes back. */
    goneAt: p.datetime().nullable(),
  },
  uniques: [{ name: 'coverage_asset_identity_unique', properties: ['kind', 'namespace', 'name'] }],
  indexes: [{ name: 'coverage_asset_namespace_name_index', properties: ['namespace', 'name'] }],
});
export type CoverageAsset = InferEntity<typeof CoverageAssetEntity>;

/** One evaluation of all assets, with the summary and each asset's 7-letter code (history for the digest). */
export const CoverageEvaluationEntity = defineEntity({
  name: 'CoverageEvaluation',
  tableName: 'coverage_evaluation',
  properties: {
    id: p.integer().primary().autoincrement(),
    startedAt: p.datetime(),
    finishedAt: p.datetime(),
    /** `succeeded`, or `partial` when a data source failed (its dimension is unknown). */
    status: p.enum(['succeeded', 'partial'] as const),
    discoveryRunId: p.integer().nullable(),
    assetCount: p.integer(),
    /** CoverageSummary: counts per dimension and the overall green ratio. */
    summary: p.json<Record<string, unknown>>(),
    overallGreenRatio: p.double().nullable(),
    /** Per source: `{ok, ms, error?}`. */
    sources: p.json<Record<string, unknown>>(),
    /** Asset id → 7-letter status code in dimension order (`ggyyryr`). */
    codes: p.json<Record<string, string>>(),
    durationMs: p.integer(),
  },
  indexes: [{ name: 'coverage_evaluation_finished_at_index', properties: ['finishedAt'] }],
});
export type CoverageEvaluation = InferEntity<typeof CoverageEvaluationEntity>;

/** The current cell of an (asset, dimension), rewritten only when it changes. */
export const CoverageCellEntity = defineEntity({
  name: 'CoverageCell',
  tableName: 'coverage_cell',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    asset: () => p.manyToOne(CoverageAssetEntity).deleteRule('cascade'),
    dimension: p.string().length(16),
    status: p.enum(['green', 'yellow', 'red', 'unknown'] as const),
    /** `{source, why, details?}`. */
    evidence: p.json<Record<string, unknown>>(),
    /** Hash of status and evidence: a cell is written only when it changes. */
    fingerprint: p.string().length(32),
    evaluationId: p.integer(),
    /** When the status last changed. */
    changedAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  uniques: [{ name: 'coverage_cell_asset_dimension_unique', properties: ['asset', 'dimension'] }],
});
export type CoverageCell = InferEntity<typeof CoverageCellEntity>;

/** An alerting rule Watchkeeper proposed for an asset (a PrometheusRule applied through the approval flow). */
export const CoverageRuleEntity = defineEntity({
  name: 'CoverageRule',
  tableName: 'coverage_rule',
  properties: {
    id: p.integer().primary().autoincrement(),
    asset: () => p.manyToOne(CoverageAssetEntity).deleteRule('cascade'),
    /** PrometheusRule `metadata.name` and namespace. */
    ruleName: p.string().length(253),
    namespace: p.string().length(253),
    /** The apply_manifest remediation (and its synthetic incident) carrying the proposal. */
    remediationId: p.integer().unique(),
    incidentId: p.integer(),
    /** Template ids included, e.g. `["workload_down","crash_looping"]`. */
    templates: p.json<string[]>(),
    /** The PrometheusRule as proposed. */
    manifest: p.json<Record<string, unknown>>(),
    /** `proposed`, then the remediation's outcome: `applied`, `failed`, `rejected`, `expired`. */
    status: p.string().length(16),
    /** Always `watchkeeper` (the label on the rule); who asked is in proposedBy. */
    createdBy: p.string().length(32).default('watchkeeper'),
    proposedBy: p.string().length(255),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    appliedAt: p.datetime().nullable(),
  },
  indexes: [{ name: 'coverage_rule_asset_id_index', properties: ['asset'] }],
});
export type CoverageRule = InferEntity<typeof CoverageRuleEntity>;

/** A digest posted to a chat (once per chat and local day unless forced). */
export const CoverageDigestEntity = defineEntity({
  name: 'CoverageDigest',
  tableName: 'coverage_digest',
  properties: {
    id: p.integer().primary().autoincrement(),
    evaluationId: p.integer(),
    chatId: p.bigint('number'),
    /** Local date (digest time zone), `YYYY-MM-DD`. */
    day: p.string().length(10),
    postedAt: p.datetime(),
    textMessageId: p.integer().nullable(),
    photoMessageId: p.integer().nullable(),
    /** Why the picture was not sent (the text was). */
    photoError: p.text().nullable(),
  },
  indexes: [{ name: 'coverage_digest_chat_day_index', properties: ['chatId', 'day'] }],
});
export type CoverageDigest = InferEntity<typeof CoverageDigestEntity>;

/** All coverage entities, spread into ENTITIES by entities/schema.ts. */
export const COVERAGE_ENTITIES: EntitySchema[] = [
  CoverageDiscoveryRunEntity,
  CoverageAssetEntity,
  CoverageEvaluationEntity,
  CoverageCellEntity,
  CoverageRuleEntity,
  CoverageDigestEntity,
] as unknown as EntitySchema[];
