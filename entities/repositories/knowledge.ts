/**
 * What Watchkeeper learned: playbooks (trust per symptoms and action), runbook drafts and
 * anti-patterns.
 */
import type { KnowledgeEntry, KnowledgeRepository, Playbook } from '../../agent/ports.ts';
import { KnowledgeEntryEntity, PlaybookEntity } from '../schema.ts';
import { decodePlaybook, OrmRepository } from './support.ts';

/** {@link KnowledgeRepository} on PostgreSQL. */
export class OrmKnowledgeRepository extends OrmRepository implements KnowledgeRepository {
  async antiPatternSince(symptomsHash: string, action: string, now: Date): Promise<Date | undefined> {
    const [row] = await this.em().execute<Array<{ since: string | null }>>(
      `select max(created_at) as since from knowledge_entry
       where kind = 'anti_pattern' and status <> 'discarded' and symptoms_hash = ? and action = ? and (expires_at is null or expires_at > ?)`,
      [symptomsHash, action, now],
    );
    return row?.since ? new Date(row.since) : undefined;
  }

  async playbook(symptomsHash: string, action: string): Promise<Playbook | undefined> {
    const row = await this.em().findOne(PlaybookEntity, { symptomsHash, action });
    return row ? decodePlaybook(row) : undefined;
  }

  async recordOutcome(input: { symptomsHash: string; action: string; target: string; category: string; trustScore: number; success: boolean; now: Date }): Promise<Playbook> {
    const [row] = await this.em().execute<Array<Record<string, unknown>>>(
      `insert into playbook (symptoms_hash, action, target, category, trust_score, successes, failures, last_outcome_at, published)
       values (?, ?, ?, ?, ?, ?, ?, ?, false)
       on conflict on constraint playbook_symptoms_action_unique do update set
         trust_score = excluded.trust_score, target = excluded.target, category = excluded.category,
         successes = playbook.successes + excluded.successes, failures = playbook.failures + excluded.failures,
         last_outcome_at = excluded.last_outcome_at
       returning id, symptoms_hash as "symptomsHash", action, target, category, trust_score as "trustScore",
                 successes, failures, last_outcome_at as "lastOutcomeAt", published`,
      [input.symptomsHash, input.action, input.target, input.category, input.trustScore, input.success ? 1 : 0, input.success ? 0 : 1, input.now],
    );
    return decodePlaybook(row);
  }

  async listPlaybooks(limit: number): Promise<Playbook[]> {
    const rows = await this.em().find(PlaybookEntity, {}, { orderBy: { trustScore: 'desc', id: 'asc' }, limit });
    return rows.map(decodePlaybook);
  }

  async create(input: {
    kind: 'runbook' | 'anti_pattern';
    status: 'draft' | 'published';
    symptomsHash: string;
    action: string;
    target: string;
    title: string;
    body: string;
    remediationId?: number;
    now: Date;
    expiresAt?: Date;
  }): Promise<number> {
    const em = this.em();
    const e = em.create(KnowledgeEntryEntity, {
      kind: input.kind,
      status: input.status,
      symptomsHash: input.symptomsHash,
      action: input.action,
      target: input.target,
      title: input.title,
      body: input.body,
      remediation: input.remediationId ?? null,
      createdAt: input.now,
      expiresAt: input.expiresAt ?? null,
      decidedBy: null,
    });
    await em.flush();
    return e.id;
  }

  async get(id: number): Promise<KnowledgeEntry | undefined> {
    const row = await this.em().findOne(KnowledgeEntryEntity, { id });
    return row
      ? { id: row.id, kind: row.kind, status: row.status, symptomsHash: row.symptomsHash, action: row.action, target: row.target, title: row.title, body: row.body, decidedBy: row.decidedBy ?? null }
      : undefined;
  }

  /**
   * One conditional update (only a draft is decided); publishing a runbook also marks the
   * playbook of the same (symptoms hash, action) published, in the same transaction.
   */
  async decide(id: number, status: 'published' | 'discarded', by: string): Promise<KnowledgeEntry | undefined> {
    return this.em().transactional(async (em) => {
      const rows = await em.execute<Array<Record<string, unknown>>>(
        `update knowledge_entry set status = ?, decided_by = ? where id = ? and status = 'draft'
         returning id, kind, status, symptoms_hash as "symptomsHash", action, target, title, body, decided_by as "decidedBy"`,
        [status, by, id],
      );
      const row = rows[0] as unknown as KnowledgeEntry | undefined;
      if (row && status === 'published' && row.kind === 'runbook') {
        await em.execute(`update playbook set published = true where symptoms_hash = ? and action = ?`, [row.symptomsHash, row.action], 'run');
      }
      return row;
    });
  }
}
