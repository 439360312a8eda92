/**
 * The chat side of the core's tables: muted alert groups, which messages show which cards, and
 * the audit log.
 */
import type { AuditEntry, AuditLog, CardMessage, CardMessageRepository, CardRef, SilenceRepository } from '../../agent/ports.ts';
import { AuditLogEntity, ChatMessageEntity, SilenceEntity } from '../schema.ts';
import { OrmRepository } from './support.ts';

/** {@link SilenceRepository} on PostgreSQL. */
export class OrmSilenceRepository extends OrmRepository implements SilenceRepository {
  async add(input: { groupKey: string; until: Date; createdBy: string; now: Date; alertmanagerSilenceId?: string }): Promise<void> {
    const em = this.em();
    em.create(SilenceEntity, {
      groupKey: input.groupKey,
      until: input.until,
      createdBy: input.createdBy,
      createdAt: input.now,
      alertmanagerSilenceId: input.alertmanagerSilenceId ?? null,
    });
    await em.flush();
  }

  async silencedUntil(groupKey: string, now: Date): Promise<Date | undefined> {
    const [row] = await this.em().execute<Array<{ until: string | null }>>(`select max(until) as until from silence where group_key = ? and until > ?`, [groupKey, now]);
    return row?.until ? new Date(row.until) : undefined;
  }
}

/** {@link CardMessageRepository} on PostgreSQL (`chat_message`). */
export class OrmCardMessageRepository extends OrmRepository implements CardMessageRepository {
  async save(input: { ref: CardRef; kind: 'incident' | `knowledge:${number}`; incidentId?: number; remediationId?: number; now: Date }): Promise<void> {
    const em = this.em();
    em.create(ChatMessageEntity, {
      chatId: input.ref.chatId,
      messageId: input.ref.messageId,
      kind: input.kind,
      incident: input.incidentId ?? null,
      remediation: input.remediationId ?? null,
      createdAt: input.now,
      updatedAt: input.now,
    });
    await em.flush();
  }

  ofIncident(incidentId: number): Promise<CardMessage[]> {
    return this.em().execute(
      `select chat_id::float8 as "chatId", message_id as "messageId", remediation_id as "remediationId"
       from chat_message where incident_id = ? and kind = 'incident' order by id`,
      [incidentId],
    );
  }

  ofKnowledge(knowledgeId: number): Promise<CardRef[]> {
    return this.em().execute(`select chat_id::float8 as "chatId", message_id as "messageId" from chat_message where kind = ? order by id`, [
      `knowledge:${knowledgeId}`,
    ]);
  }
}

/** {@link AuditLog} on PostgreSQL (`audit_log`). */
export class OrmAuditLog extends OrmRepository implements AuditLog {
  async append(entry: AuditEntry, now: Date): Promise<void> {
    const em = this.em();
    em.create(AuditLogEntity, {
      at: now,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject ?? null,
      input: entry.input ?? null,
      output: entry.output ?? null,
      durationMs: entry.durationMs === undefined ? null : Math.round(entry.durationMs),
      error: entry.error ?? null,
    });
    await em.flush();
  }

  /** Audit rows about a subject (e.g. `remediation:4`), oldest first. */
  async trail(subject: string): Promise<AuditEntry[]> {
    const rows = await this.em().find(AuditLogEntity, { subject }, { orderBy: { id: 'asc' } });
    return rows.map((r) => ({
      actor: r.actor,
      action: r.action,
      subject: r.subject ?? undefined,
      input: r.input,
      output: r.output,
      durationMs: r.durationMs ?? undefined,
      error: r.error ?? undefined,
    }));
  }
}
