/**
 * Drift entities (issue 5): one row per drift report, and the last scan of each desired-state
 * source (so the hourly scan posts only when the set of drifted items changed). Accessed through
 * `agent/drift/repository.ts`.
 */
import { defineEntity, p, type EntitySchema, type InferEntity } from '@mikro-orm/core';

/** Status of a drift report, and who set it (`statusBy`). */
export const DRIFT_REPORT_STATUSES = ['pending', 'acknowledged', 'rolled_back', 'adopted', 'ignored'] as const;
export type DriftReportStatus = (typeof DRIFT_REPORT_STATUSES)[number];

/** A set of drifted items found by one scan of one source, its interpretation and what people did with it. */
export const DriftReportEntity = defineEntity({
  name: 'DriftReport',
  tableName: 'drift_report',
  properties: {
    id: p.integer().primary().autoincrement(),
    /** Name of the desired-state source (config `drift.sources[].name`). */
    source: p.string().length(255),
    /** `driftFingerprint` of the items. */
    fingerprint: p.string().length(64),
    /** StoredDriftItem[] (agent/drift/types.ts): the domain items plus the manifest file of each. */
    items: p.json<unknown[]>(),
    countHigh: p.integer(),
    countMedium: p.integer(),
    countInfo: p.integer(),
    /** Git's version of the drifted objects at scan time (what Rollback applies); Secrets excluded. */
    gitObjects: p.json<unknown[]>(),
    /** DriftInterpretation once interpreted. */
    interpretation: p.json<Record<string, unknown>>().nullable(),
    status: p.enum(DRIFT_REPORT_STATUSES),
    /** Display name of who set the status (`Alice (@alice)`), or `system`. */
    statusBy: p.string().length(255).nullable(),
    statusAt: p.datetime().nullable(),
    /** Commit and branch of the desired state that was scanned. */
    gitSha: p.string().length(64).nullable(),
    gitBranch: p.string().length(255).nullable(),
    /** Manifest problems of the scan: `{ errors: ManifestError[], warnings: string[] }`. */
    problems: p.json<Record<string, unknown>>(),
    /** DriftRollback: the approval proposals made by Rollback and where they stand. */
    rollback: p.json<Record<string, unknown>>().nullable(),
    /** DriftCommit: the adopt commit (sha, branch, url, files). */
    commit: p.json<Record<string, unknown>>().nullable(),
    /** Where the report card was posted. */
    cardChatId: p.bigint('number').nullable(),
    cardMessageId: p.integer().nullable(),
    /** A later scan of the same source found other drift (that report supersedes this one). */
    supersededBy: p.integer().nullable(),
    /** A later scan of the same source found no drift at all. */
    resolvedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
  indexes: [{ name: 'drift_report_source_index', properties: ['source', 'id'] }],
});
export type DriftReport = InferEntity<typeof DriftReportEntity>;

/** The last scan of each source: what it found (fingerprint) and whether it failed. */
export const DriftSourceStateEntity = defineEntity({
  name: 'DriftSourceState',
  tableName: 'drift_source_state',
  properties: {
    source: p.string().length(255).primary(),
    /** Fingerprint of the last scan's items (the fingerprint of no items when in sync). */
    fingerprint: p.string().length(64),
    /** The report holding those items; null when in sync. */
    reportId: p.integer().nullable(),
    scannedAt: p.datetime(),
    /** Error of the last scan, null when it succeeded. */
    lastError: p.text().nullable(),
  },
});
export type DriftSourceState = InferEntity<typeof DriftSourceStateEntity>;

/** Drift entities, spread into ENTITIES by entities/schema.ts. */
export const DRIFT_ENTITIES: EntitySchema[] = [DriftReportEntity as unknown as EntitySchema, DriftSourceStateEntity as unknown as EntitySchema];
