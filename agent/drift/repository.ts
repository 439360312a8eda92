/**
 * Persistence of drift reports and source states (entities/drift.ts) over the ORM's
 * EntityManager, one fork per call. Status changes are conditional updates (`where status in …`),
 * so two people pressing buttons at once cannot both win.
 */
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { DriftReportEntity, DriftSourceStateEntity, type DriftReportStatus } from '../../entities/drift.ts';
import type { DriftCommit, DriftInterpretation, DriftProblems, DriftReportRow, DriftRollback, StoredDriftItem } from './types.ts';

/** What a new report holds. */
export interface NewDriftReport {
  source: string;
  fingerprint: string;
  items: StoredDriftItem[];
  counts: DriftReportRow['counts'];
  gitObjects: Array<Record<string, unknown>>;
  gitSha?: string;
  gitBranch?: string;
  problems: DriftProblems;
  now: Date;
}

/** Fields a report update may set. */
export interface DriftReportUpdate {
  interpretation?: DriftInterpretation;
  status?: DriftReportStatus;
  statusBy?: string | null;
  statusAt?: Date | null;
  rollback?: DriftRollback | null;
  commit?: DriftCommit | null;
  card?: { chatId: number; messageId: number };
  supersededBy?: number;
  resolvedAt?: Date;
}

/** The last scan of a source. */
export interface SourceStateRow {
  source: string;
  fingerprint: string;
  reportId: number | null;
  scannedAt: Date;
  lastError: string | null;
}

/** Open = pending or acknowledged, and neither superseded by a later report nor resolved. */
export const OPEN_STATUSES: readonly DriftReportStatus[] = ['pending', 'acknowledged'];

/** Drift persistence; construct once with the ORM. */
export class DriftRepository {
  constructor(private readonly orm: MikroORM) {}

  private em(): EntityManager {
    return this.orm.em.fork();
  }

  /** Stores a new pending report. */
  async createReport(input: NewDriftReport): Promise<DriftReportRow> {
    const em = this.em();
    const entity = em.create(DriftReportEntity, {
      source: input.source,
      fingerprint: input.fingerprint,
      items: input.items,
      countHigh: input.counts.high,
      countMedium: input.counts.medium,
      countInfo: input.counts.info,
      gitObjects: input.gitObjects,
      interpretation: null,
      status: 'pending',
      statusBy: null,
      statusAt: null,
      gitSha: input.gitSha ?? null,
      gitBranch: input.gitBranch ?? null,
      problems: input.problems as unknown as Record<string, unknown>,
      rollback: null,
      commit: null,
      cardChatId: null,
      cardMessageId: null,
      supersededBy: null,
      resolvedAt: null,
      createdAt: input.now,
      updatedAt: input.now,
    });
    await em.flush();
    return toRow(entity);
  }

  /** A report by id. */
  async getReport(id: number): Promise<DriftReportRow | undefined> {
    const row = await this.em().findOne(DriftReportEntity, { id });
    return row ? toRow(row) : undefined;
  }

  /**
   * Updates a report; with `fromStatuses` only when its status is one of them (and, with
   * `openOnly`, it is neither superseded nor resolved).
   * @returns the updated row, or undefined when the condition did not hold (someone else won).
   */
  async updateReport(
    id: number,
    update: DriftReportUpdate,
    now: Date,
    condition: { fromStatuses?: readonly DriftReportStatus[]; openOnly?: boolean } = {},
  ): Promise<DriftReportRow | undefined> {
    const where: Record<string, unknown> = { id };
    if (condition.fromStatuses) where.status = { $in: [...condition.fromStatuses] };
    if (condition.openOnly) Object.assign(where, { supersededBy: null, resolvedAt: null });
    const fields: Record<string, unknown> = { updatedAt: now };
    if (update.interpretation !== undefined) fields.interpretation = update.interpretation;
    if (update.status !== undefined) fields.status = update.status;
    if (update.statusBy !== undefined) fields.statusBy = update.statusBy;
    if (update.statusAt !== undefined) fields.statusAt = update.statusAt;
    if (update.rollback !== undefined) fields.rollback = update.rollback;
    if (update.commit !== undefined) fields.commit = update.commit;
    if (update.card) Object.assign(fields, { cardChatId: update.card.chatId, cardMessageId: update.card.messageId });
    if (update.supersededBy !== undefined) fields.supersededBy = update.supersededBy;
    if (update.resolvedAt !== undefined) fields.resolvedAt = update.resolvedAt;
    const count = await this.em().nativeUpdate(DriftReportEntity, where as never, fields as never);
    return count === 0 ? undefined : this.getReport(id);
  }

  /**
   * Sets `rollback` on an open report that has no rollback waiting for approval (one atomic
   * statement, so a double tap proposes once).
   * @returns the updated row, or undefined when the report is closed or a rollback is already open.
   */
  async claimRollback(id: number, rollback: DriftRollback, now: Date): Promise<DriftReportRow | undefined> {
    const rows = await this.em().execute<Array<{ id: number }>>(
      `update drift_report set rollback = ?::jsonb, updated_at = ?
       where id = ? and status in ('pending', 'acknowledged') and superseded_by is null and resolved_at is null
         and (rollback is null or rollback ->> 'outcome' <> 'proposed')
       returning id`,
      [JSON.stringify(rollback), now, id],
    );
    return rows.length ? this.getReport(id) : undefined;
  }

  /** Open reports, newest first. */
  async listOpen(limit = 20): Promise<DriftReportRow[]> {
    const rows = await this.em().find(
      DriftReportEntity,
      { status: { $in: [...OPEN_STATUSES] }, supersededBy: null, resolvedAt: null },
      { orderBy: { id: 'desc' }, limit },
    );
    return rows.map(toRow);
  }

  /** The newest reports of any status (for `/drift` when nothing is open). */
  async listRecent(limit = 5): Promise<DriftReportRow[]> {
    const rows = await this.em().find(DriftReportEntity, {}, { orderBy: { id: 'desc' }, limit });
    return rows.map(toRow);
  }

  /** Open reports of a source other than `exceptId` (to supersede or resolve them). */
  async openReportsOf(source: string, exceptId?: number): Promise<DriftReportRow[]> {
    const rows = await this.em().find(
      DriftReportEntity,
      { source, supersededBy: null, resolvedAt: null, ...(exceptId ? { id: { $ne: exceptId } } : {}) },
      { orderBy: { id: 'asc' } },
    );
    return rows.map(toRow);
  }

  /** Reports whose Rollback proposals are still open. */
  async reportsWithOpenRollback(): Promise<DriftReportRow[]> {
    const rows = await this.em().execute<Array<{ id: number }>>(
      `select id from drift_report where rollback ->> 'outcome' = 'proposed' order by id`,
    );
    const out: DriftReportRow[] = [];
    for (const r of rows) {
      const report = await this.getReport(r.id);
      if (report) out.push(report);
    }
    return out;
  }

  /** The last scan of a source, or undefined before the first one. */
  async sourceState(source: string): Promise<SourceStateRow | undefined> {
    const row = await this.em().findOne(DriftSourceStateEntity, { source });
    return row
      ? { source: row.source, fingerprint: row.fingerprint, reportId: row.reportId ?? null, scannedAt: row.scannedAt, lastError: row.lastError ?? null }
      : undefined;
  }

  /** Records a scan of a source (insert or update). */
  async saveSourceState(state: SourceStateRow): Promise<void> {
    await this.em().execute(
      `insert into drift_source_state (source, fingerprint, report_id, scanned_at, last_error) values (?, ?, ?, ?, ?)
       on conflict (source) do update set fingerprint = excluded.fingerprint, report_id = excluded.report_id,
         scanned_at = excluded.scanned_at, last_error = excluded.last_error`,
      [state.source, state.fingerprint, state.reportId, state.scannedAt, state.lastError],
      'run',
    );
  }

  /** Records a failed scan without forgetting what the last good one found. */
  async recordScanError(source: string, error: string, now: Date): Promise<void> {
    await this.em().execute(
      `insert into drift_source_state (source, fingerprint, report_id, scanned_at, last_error) values (?, '', null, ?, ?)
       on conflict (source) do update set scanned_at = excluded.scanned_at, last_error = excluded.last_error`,
      [source, now, error.slice(0, 4000)],
      'run',
    );
  }
}

function toRow(e: unknown): DriftReportRow {
  const r = e as Record<string, unknown>;
  const chatId = r.cardChatId as number | null | undefined;
  const messageId = r.cardMessageId as number | null | undefined;
  return {
    id: r.id as number,
    source: r.source as string,
    fingerprint: r.fingerprint as string,
    items: (r.items as StoredDriftItem[]) ?? [],
    counts: { high: Number(r.countHigh), medium: Number(r.countMedium), info: Number(r.countInfo) },
    gitObjects: (r.gitObjects as Array<Record<string, unknown>>) ?? [],
    interpretation: (r.interpretation as DriftInterpretation | null) ?? null,
    status: r.status as DriftReportStatus,
    statusBy: (r.statusBy as string | null) ?? null,
    statusAt: (r.statusAt as Date | null) ?? null,
    gitSha: (r.gitSha as string | null) ?? null,
    gitBranch: (r.gitBranch as string | null) ?? null,
    problems: (r.problems as DriftProblems | null) ?? { errors: [], warnings: [] },
    rollback: (r.rollback as DriftRollback | null) ?? null,
    commit: (r.commit as DriftCommit | null) ?? null,
    card: chatId != null && messageId != null ? { chatId: Number(chatId), messageId } : null,
    supersededBy: (r.supersededBy as number | null) ?? null,
    resolvedAt: (r.resolvedAt as Date | null) ?? null,
    createdAt: r.createdAt as Date,
    updatedAt: r.updatedAt as Date,
  };
}
