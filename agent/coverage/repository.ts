/**
 * PostgreSQL access of coverage: the inventory, evaluations, cells, proposed rules and digests
 * (tables of entities/coverage.ts), and the set-based reads of the core tables the history
 * dimensions need (knowledge_entry, playbook, remediation, incident) — each one statement for all
 * assets. Plain SQL over the ORM's pg pool, every value bound.
 *
 * All methods throw the driver's error when PostgreSQL fails.
 */
import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import type { ActionFact, CreatedRuleFact, IncidentFact, KnowledgeFact, PlaybookFact } from '../../domain/coverage/history.ts';
import type { DiscoveredAsset } from '../../domain/coverage/inventory.ts';
import type { CoverageSummary } from '../../domain/coverage/summary.ts';
import type { Asset, AssetCells, AssetKind, CellEvidence, CellStatus, Dimension } from '../../domain/coverage/types.ts';
import { DIMENSIONS } from '../../domain/coverage/types.ts';

/** An inventory row with its history fields. */
export interface AssetRow extends Asset {
  uid?: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  goneAt?: Date;
}

/** A stored evaluation. */
export interface EvaluationRow {
  id: number;
  startedAt: Date;
  finishedAt: Date;
  status: 'succeeded' | 'partial';
  discoveryRunId: number | null;
  assetCount: number;
  summary: CoverageSummary;
  overallGreenRatio: number | null;
  sources: Record<string, { ok: boolean; ms: number; error?: string }>;
  /** Asset id → 7-letter code. */
  codes: Map<number, string>;
}

/** A stored cell. */
export interface CellRow {
  dimension: Dimension;
  status: CellStatus;
  evidence: CellEvidence;
  changedAt: Date;
  evaluationId: number;
}

/** A discovery run as stored. */
export interface DiscoveryRunRow {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  status: string;
  counts: Record<string, number>;
  errors: Record<string, string>;
  assetsTotal: number;
  assetsNew: number;
  assetsGone: number;
}

const EXECUTED = `('executing','verifying','succeeded','failed')`;

/** Cells per statement (bounded parameter size). */
const CELL_CHUNK = 10_000;
/** Cell chunks written at once, each on its own pooled connection. */
const CELL_WRITERS = 4;

function date(v: unknown): Date {
  return v instanceof Date ? v : new Date(String(v));
}

function optDate(v: unknown): Date | undefined {
  return v === null || v === undefined ? undefined : date(v);
}

function toAsset(r: Record<string, any>): AssetRow {
  return {
    id: Number(r.id),
    kind: r.kind as AssetKind,
    namespace: r.namespace,
    name: r.name,
    uid: r.uid ?? undefined,
    labels: r.labels ?? {},
    owner: r.owner ?? undefined,
    internalIp: r.internal_ip ?? undefined,
    members: r.members ?? [],
    containers: r.containers ?? [],
    firstSeenAt: date(r.first_seen_at),
    lastSeenAt: date(r.last_seen_at),
    goneAt: optDate(r.gone_at),
  };
}

function toEvaluation(r: Record<string, any>): EvaluationRow {
  return {
    id: r.id,
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
    status: r.status,
    discoveryRunId: r.discovery_run_id,
    assetCount: r.asset_count,
    summary: r.summary as CoverageSummary,
    overallGreenRatio: r.overall_green_ratio,
    sources: r.sources ?? {},
    codes: new Map(Object.entries((r.codes ?? {}) as Record<string, string>).map(([k, v]) => [Number(k), v])),
  };
}

const ASSET_COLUMNS = 'id, kind, namespace, name, uid, labels, owner, internal_ip, members, containers, first_seen_at, last_seen_at, gone_at';

/** A rule's status for each final remediation state (anything else: still `proposed`). */
const RULE_STATUS_OF_STATE: Readonly<Record<string, string>> = {
  succeeded: 'applied',
  failed: 'failed',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  blocked: 'blocked',
};

/** The remediation state a final rule status stands for. */
const STATE_OF_RULE_STATUS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(RULE_STATUS_OF_STATE).map(([state, status]) => [status, state]));

/** Coverage persistence. Construct once with the ORM. */
export class CoverageRepository {
  constructor(private readonly orm: MikroORM) {}

  private pool(): Promise<pg.Pool> {
    return this.orm.driver.getConnection().getNativeClient();
  }

  private async query<T = Record<string, any>>(text: string, values: unknown[] = []): Promise<T[]> {
    const pool = await this.pool();
    return (await pool.query(text, values)).rows as T[];
  }

  // --- discovery ---

  /** Opens a discovery run (`running`). @returns its id. */
  async startDiscoveryRun(now: Date): Promise<number> {
    const [r] = await this.query<{ id: number }>(
      `insert into coverage_discovery_run (started_at, status, counts, errors) values ($1, 'running', '{}', '{}') returning id`,
      [now],
    );
    return r.id;
  }

  /** Closes a discovery run with its outcome. */
  async finishDiscoveryRun(
    id: number,
    r: { status: 'succeeded' | 'partial' | 'failed'; finishedAt: Date; counts: Record<string, number>; errors: Record<string, string>; total: number; added: number; gone: number; durationMs: number },
  ): Promise<void> {
    await this.query(
      `update coverage_discovery_run set status = $2, finished_at = $3, counts = $4, errors = $5, assets_total = $6, assets_new = $7, assets_gone = $8, duration_ms = $9 where id = $1`,
      [id, r.status, r.finishedAt, JSON.stringify(r.counts), JSON.stringify(r.errors), r.total, r.added, r.gone, r.durationMs],
    );
  }

  /**
   * Stores what a run listed, in one transaction: upserts every asset by (kind, namespace, name)
   * — identities are stable across runs and a returning asset loses its `gone_at` — then marks as
   * gone the assets of the `listedKinds` this run did not see. Kinds that failed to list keep
   * their assets as they were.
   * @returns how many assets are new and how many went missing.
   */
  async storeInventory(runId: number, now: Date, assets: readonly DiscoveredAsset[], listedKinds: readonly AssetKind[]): Promise<{ added: number; gone: number }> {
    const pool = await this.pool();
    const client = await pool.connect();
    try {
      await client.query('begin');
      let added = 0;
      for (let i = 0; i < assets.length || i === 0; i += CELL_CHUNK) {
        const chunk = assets.slice(i, i + CELL_CHUNK).map((a) => ({
          kind: a.kind,
          namespace: a.namespace,
          name: a.name,
          uid: a.uid ?? null,
          labels: a.labels,
          owner: a.owner?.slice(0, 255) ?? null,
          internal_ip: a.internalIp ?? null,
          members: a.members,
          containers: a.containers,
        }));
        if (chunk.length === 0) break;
        const { rows } = await client.query<{ inserted: boolean }>(
          `insert into coverage_asset (kind, namespace, name, uid, labels, owner, internal_ip, members, containers, first_seen_at, last_seen_at, first_run_id, last_run_id, gone_at)
           select x.kind, x.namespace, x.name, x.uid, x.labels, x.owner, x.internal_ip, x.members, x.containers, $2, $2, $3, $3, null
             from jsonb_to_recordset($1::jsonb) as x(kind text, namespace text, name text, uid text, labels jsonb, owner text, internal_ip text, members jsonb, containers jsonb)
           on conflict (kind, namespace, name) do update set
             uid = excluded.uid, labels = excluded.labels, owner = excluded.owner, internal_ip = excluded.internal_ip,
             members = excluded.members, containers = excluded.containers, last_seen_at = excluded.last_seen_at,
             last_run_id = excluded.last_run_id, gone_at = null
           returning (xmax = 0) as inserted`,
          [JSON.stringify(chunk), now, runId],
        );
        added += rows.filter((r) => r.inserted).length;
      }
      const gone = await client.query(
        `update coverage_asset set gone_at = $1 where kind = any($2::text[]) and last_run_id <> $3 and gone_at is null`,
        [now, listedKinds, runId],
      );
      await client.query('commit');
      return { added, gone: gone.rowCount ?? 0 };
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** The latest discovery run, if any. */
  async latestDiscoveryRun(): Promise<DiscoveryRunRow | undefined> {
    const [r] = await this.query(`select * from coverage_discovery_run where status <> 'running' order by id desc limit 1`);
    return r
      ? {
          id: r.id,
          startedAt: date(r.started_at),
          finishedAt: optDate(r.finished_at) ?? null,
          status: r.status,
          counts: r.counts,
          errors: r.errors,
          assetsTotal: r.assets_total,
          assetsNew: r.assets_new,
          assetsGone: r.assets_gone,
        }
      : undefined;
  }

  /** Assets currently in the inventory (not gone). */
  async liveAssets(): Promise<AssetRow[]> {
    return (await this.query(`select ${ASSET_COLUMNS} from coverage_asset where gone_at is null order by id`)).map(toAsset);
  }

  /** Assets named `name` in `namespace` (every kind; gone ones included, newest first). */
  async findAssets(namespace: string, name: string, kind?: AssetKind): Promise<AssetRow[]> {
    return (
      await this.query(
        `select ${ASSET_COLUMNS} from coverage_asset where namespace = $1 and name = $2 and ($3::text is null or kind = $3) order by gone_at nulls first, id`,
        [namespace, name, kind ?? null],
      )
    ).map(toAsset);
  }

  /** Live assets named `name` in any namespace (nodes included), by kind and namespace. */
  async findByName(name: string): Promise<AssetRow[]> {
    return (await this.query(`select ${ASSET_COLUMNS} from coverage_asset where name = $1 and gone_at is null order by kind = 'Node' desc, namespace, kind`, [name])).map(toAsset);
  }

  /** Live assets whose name or namespace/name contains `text` (suggestions), at most `limit`. */
  async suggestAssets(text: string, limit = 5): Promise<AssetRow[]> {
    return (
      await this.query(
        `select ${ASSET_COLUMNS} from coverage_asset where gone_at is null and (namespace || '/' || name) ilike '%' || $1 || '%' order by length(name), id limit $2`,
        [text.replace(/[%_\\]/g, (c) => `\\${c}`), limit],
      )
    ).map(toAsset);
  }

  /** Whether another kind in the namespace has an asset with this name (rule names must not collide). */
  async nameTakenByOtherKind(kind: AssetKind, namespace: string, name: string): Promise<boolean> {
    const [r] = await this.query<{ n: number }>(
      `select count(*)::int as n from coverage_asset where namespace = $1 and name = $2 and kind <> $3 and gone_at is null`,
      [namespace, name, kind],
    );
    return r.n > 0;
  }

  // --- history sources (one statement each, for all assets) ---

  /** Knowledge entries (not discarded) grouped by the target they name. */
  async knowledgeFacts(): Promise<KnowledgeFact[]> {
    const rows = await this.query(
      `select target, kind, case when status = 'draft' then 'draft' else 'published' end as status, count(*)::int as count, max(title) as title
         from knowledge_entry where status <> 'discarded' group by 1, 2, 3`,
    );
    return rows.map((r) => ({ target: r.target, kind: r.kind, status: r.status, count: r.count, title: r.title }));
  }

  /** Published playbooks grouped by target. */
  async playbookFacts(): Promise<PlaybookFact[]> {
    const rows = await this.query(
      `select target, count(*)::int as count, max(trust_score) as trust, array_agg(distinct action) as actions from playbook where published group by target`,
    );
    return rows.map((r) => ({ target: r.target, count: r.count, trust: Number(r.trust), actions: r.actions }));
  }

  /** Executed actions since `since`, grouped by target (proposals never executed do not count). */
  async actionFacts(since: Date): Promise<ActionFact[]> {
    const rows = await this.query(
      `select target->>'kind' as kind, coalesce(target->>'namespace', '') as namespace, target->>'name' as name, count(*)::int as count,
              max(updated_at) as last_at,
              (array_agg(action order by updated_at desc))[1] as last_action,
              (array_agg(state order by updated_at desc))[1] as last_state
         from remediation
        where state in ${EXECUTED} and action not in ('escalate', 'none') and updated_at >= $1
        group by 1, 2, 3`,
      [since],
    );
    return rows.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, count: r.count, lastAt: date(r.last_at), lastAction: r.last_action, lastState: r.last_state }));
  }

  /** Incidents opened or alerting since `since`, grouped by their resolved target (the diagnosis' when there is one). */
  async incidentFacts(since: Date): Promise<IncidentFact[]> {
    const rows = await this.query(
      `with t as (
         select id, alertname, greatest(opened_at, last_alert_at) as at,
                coalesce(case when jsonb_typeof(diagnosis->'target') = 'object' then diagnosis->'target' end, target) as target
           from incident where last_alert_at >= $1 or opened_at >= $1)
       select target->>'kind' as kind, coalesce(target->>'namespace', '') as namespace, target->>'name' as name, count(*)::int as count,
              max(at) as last_at, (array_agg(alertname order by at desc))[1] as last_alertname, (array_agg(id order by at desc))[1] as last_id
         from t where target is not null and target->>'kind' <> 'Manifest'
        group by 1, 2, 3`,
      [since],
    );
    return rows.map((r) => ({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      count: r.count,
      lastAt: date(r.last_at),
      lastAlertname: r.last_alertname,
      lastIncidentId: r.last_id,
    }));
  }

  /** Remediation ids of proposed rules whose outcome is not known yet. */
  async openRuleRemediations(): Promise<number[]> {
    const rows = await this.query(`select remediation_id from coverage_rule where status = 'proposed'`);
    return rows.map((r) => Number(r.remediation_id));
  }

  /**
   * Records what became of rule proposals (heard from the approval flow): the rule's status
   * (`applied` with its time when the remediation succeeded, else failed/rejected/…); a
   * remediation still under way leaves the rule `proposed`.
   */
  async recordRuleOutcomes(outcomes: ReadonlyArray<{ remediationId: number; state: string }>, now: Date): Promise<void> {
    if (outcomes.length === 0) return;
    await this.query(
      `update coverage_rule r
          set status = o.status, applied_at = case when o.status = 'applied' then coalesce(r.applied_at, $1) else r.applied_at end, updated_at = $1
         from unnest($2::int[], $3::text[]) as o(remediation_id, status)
        where r.remediation_id = o.remediation_id and r.status is distinct from o.status`,
      [now, outcomes.map((o) => o.remediationId), outcomes.map((o) => RULE_STATUS_OF_STATE[o.state] ?? 'proposed')],
    );
  }

  /**
   * Rules Watchkeeper proposed, with the state of their remediation: `open` gives the state of
   * those still under way (read through the approval flow); the others follow from the rule's status.
   */
  async createdRuleFacts(open: ReadonlyMap<number, string>): Promise<CreatedRuleFact[]> {
    const rows = await this.query(`select asset_id, rule_name, namespace, remediation_id, status, applied_at from coverage_rule`);
    return rows.map((r) => ({
      assetId: r.asset_id,
      ruleName: r.rule_name,
      namespace: r.namespace,
      remediationId: r.remediation_id,
      state: r.status === 'proposed' ? (open.get(Number(r.remediation_id)) ?? 'pending') : (STATE_OF_RULE_STATUS[r.status] ?? r.status),
      appliedAt: optDate(r.applied_at),
    }));
  }

  // --- evaluations and cells ---

  /** Fingerprints of the stored cells, keyed `assetId|dimension`. */
  async cellFingerprints(): Promise<Map<string, { fingerprint: string; status: CellStatus }>> {
    const rows = await this.query<{ asset_id: number; dimension: string; fingerprint: string; status: CellStatus }>(
      `select asset_id, dimension, fingerprint, status from coverage_cell`,
    );
    return new Map(rows.map((r) => [`${r.asset_id}|${r.dimension}`, { fingerprint: r.fingerprint, status: r.status }]));
  }

  /**
   * Stores the cells that changed, then the evaluation. Cells are written in chunks of
   * {@link CELL_CHUNK}, several chunks at once on separate connections (a first evaluation writes
   * every cell: 70,000 for 10,000 assets); the evaluation row — summary and per-asset history — is
   * inserted only after all of them succeeded, under an id reserved first. Should a chunk fail, no
   * evaluation is recorded and the cells already written stay (they are what was evaluated; the
   * next run rewrites whatever differs).
   * @param changed cells whose fingerprint differs from the stored one (or that are new).
   * @returns the evaluation id.
   */
  async saveEvaluation(
    e: {
      startedAt: Date;
      finishedAt: Date;
      status: 'succeeded' | 'partial';
      discoveryRunId: number | null;
      summary: CoverageSummary;
      sources: Record<string, unknown>;
      codes: Map<number, string>;
      durationMs: number;
    },
    changed: ReadonlyArray<{ assetId: number; dimension: Dimension; status: CellStatus; evidence: CellEvidence; fingerprint: string }>,
  ): Promise<number> {
    const pool = await this.pool();
    const [{ id }] = (await pool.query<{ id: number }>(`select nextval(pg_get_serial_sequence('coverage_evaluation', 'id'))::int as id`)).rows;
    const chunks: string[] = [];
    for (let i = 0; i < changed.length; i += CELL_CHUNK) {
      chunks.push(JSON.stringify(changed.slice(i, i + CELL_CHUNK).map((c) => ({ a: c.assetId, d: c.dimension, s: c.status, e: c.evidence, f: c.fingerprint }))));
    }
    const writeChunk = (json: string) =>
      pool.query(
        `insert into coverage_cell (asset_id, dimension, status, evidence, fingerprint, evaluation_id, changed_at, updated_at)
         select x.a, x.d, x.s, x.e, x.f, $2, $3, $3 from jsonb_to_recordset($1::jsonb) as x(a int, d text, s text, e jsonb, f text)
         on conflict (asset_id, dimension) do update set
           status = excluded.status, evidence = excluded.evidence, fingerprint = excluded.fingerprint,
           evaluation_id = excluded.evaluation_id, updated_at = excluded.updated_at,
           changed_at = case when coverage_cell.status is distinct from excluded.status then excluded.changed_at else coverage_cell.changed_at end`,
        [json, id, e.finishedAt],
      );
    let next = 0;
    const workers = Array.from({ length: Math.min(CELL_WRITERS, chunks.length) }, async () => {
      while (next < chunks.length) await writeChunk(chunks[next++]);
    });
    await Promise.all(workers);
    await pool.query(
      `insert into coverage_evaluation (id, started_at, finished_at, status, discovery_run_id, asset_count, summary, overall_green_ratio, sources, codes, duration_ms)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        id,
        e.startedAt,
        e.finishedAt,
        e.status,
        e.discoveryRunId,
        e.summary.assets,
        JSON.stringify(e.summary),
        e.summary.overall,
        JSON.stringify(e.sources),
        JSON.stringify(Object.fromEntries(e.codes)),
        e.durationMs,
      ],
    );
    return id;
  }

  /** The newest evaluation, if any. */
  async latestEvaluation(): Promise<EvaluationRow | undefined> {
    const [r] = await this.query(`select * from coverage_evaluation order by finished_at desc, id desc limit 1`);
    return r ? toEvaluation(r) : undefined;
  }

  /** The newest evaluation finished at or before `at` that still has its per-asset codes. */
  async evaluationAtOrBefore(at: Date): Promise<EvaluationRow | undefined> {
    const [r] = await this.query(`select * from coverage_evaluation where finished_at <= $1 and codes <> '{}'::jsonb order by finished_at desc, id desc limit 1`, [at]);
    return r ? toEvaluation(r) : undefined;
  }

  /** Drops the per-asset codes of evaluations older than `before` (their summaries stay). @returns how many were pruned. */
  async pruneCodes(before: Date): Promise<number> {
    const r = await (await this.pool()).query(`update coverage_evaluation set codes = '{}'::jsonb where finished_at < $1 and codes <> '{}'::jsonb`, [before]);
    return r.rowCount ?? 0;
  }

  /** Current cells of one asset, in dimension order. */
  async cellsOf(assetId: number): Promise<CellRow[]> {
    const rows = await this.query(`select dimension, status, evidence, changed_at, evaluation_id from coverage_cell where asset_id = $1`, [assetId]);
    const byDim = new Map(rows.map((r) => [r.dimension as Dimension, r]));
    return DIMENSIONS.filter((d) => byDim.has(d)).map((d) => {
      const r = byDim.get(d)!;
      return { dimension: d, status: r.status, evidence: r.evidence, changedAt: date(r.changed_at), evaluationId: r.evaluation_id };
    });
  }

  /** The first red cell's why, for each asset id given (one statement). */
  async redReasons(assetIds: readonly number[]): Promise<Map<number, string>> {
    if (assetIds.length === 0) return new Map();
    const rows = await this.query<{ asset_id: number; dimension: string; why: string }>(
      `select asset_id, dimension, evidence->>'why' as why from coverage_cell where asset_id = any($1::int[]) and status = 'red'`,
      [assetIds],
    );
    const out = new Map<number, string>();
    for (const d of DIMENSIONS) for (const r of rows) if (r.dimension === d && !out.has(r.asset_id)) out.set(r.asset_id, `${d.replace('_', ' ')}: ${r.why}`);
    return out;
  }

  /** Assets by id (any state), for naming assets of older evaluations. */
  async assetsById(ids: readonly number[]): Promise<Map<number, AssetRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.query(`select ${ASSET_COLUMNS} from coverage_asset where id = any($1::int[])`, [ids]);
    return new Map(rows.map((r) => [Number(r.id), toAsset(r)]));
  }

  // --- rules and digests ---

  /** Records a rule proposal (idempotent per remediation). @returns false when this remediation was already recorded. */
  async recordRuleProposal(r: {
    assetId: number;
    ruleName: string;
    namespace: string;
    remediationId: number;
    incidentId: number;
    templates: string[];
    manifest: Record<string, unknown>;
    proposedBy: string;
    now: Date;
  }): Promise<boolean> {
    const pool = await this.pool();
    const res = await pool.query(
      `insert into coverage_rule (asset_id, rule_name, namespace, remediation_id, incident_id, templates, manifest, status, created_by, proposed_by, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, 'proposed', 'watchkeeper', $8, $9, $9)
       on conflict (remediation_id) do nothing`,
      [r.assetId, r.ruleName, r.namespace, r.remediationId, r.incidentId, JSON.stringify(r.templates), JSON.stringify(r.manifest), r.proposedBy.slice(0, 255), r.now],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Whether a digest was already posted to `chatId` for local day `day`. */
  async digestPosted(chatId: number, day: string): Promise<boolean> {
    const [r] = await this.query<{ n: number }>(`select count(*)::int as n from coverage_digest where chat_id = $1 and day = $2`, [chatId, day]);
    return r.n > 0;
  }

  /** Records a posted digest. */
  async recordDigest(d: { evaluationId: number; chatId: number; day: string; postedAt: Date; textMessageId: number; photoMessageId?: number; photoError?: string }): Promise<void> {
    await this.query(
      `insert into coverage_digest (evaluation_id, chat_id, day, posted_at, text_message_id, photo_message_id, photo_error) values ($1, $2, $3, $4, $5, $6, $7)`,
      [d.evaluationId, d.chatId, d.day, d.postedAt, d.textMessageId, d.photoMessageId ?? null, d.photoError ?? null],
    );
  }
}

/** Hash of a cell's status and evidence (change detection; md5 is not used for security). */
export function cellFingerprint(status: CellStatus, evidence: CellEvidence): string {
  return createHash('md5').update(status).update('|').update(JSON.stringify(evidence)).digest('hex').slice(0, 20);
}

/** Flattens evaluated cells to rows, with fingerprints (evidence objects shared between assets are hashed once). */
export function cellRows(cells: ReadonlyMap<number, AssetCells>): Array<{ assetId: number; dimension: Dimension; status: CellStatus; evidence: CellEvidence; fingerprint: string }> {
  const memo = new WeakMap<object, string>();
  const out: Array<{ assetId: number; dimension: Dimension; status: CellStatus; evidence: CellEvidence; fingerprint: string }> = [];
  for (const [assetId, c] of cells) {
    for (const d of DIMENSIONS) {
      const cell = c[d];
      let f = memo.get(cell);
      if (f === undefined) {
        f = cellFingerprint(cell.status, cell.evidence);
        memo.set(cell, f);
      }
      out.push({ assetId, dimension: d, status: cell.status, evidence: cell.evidence, fingerprint: f });
    }
  }
  return out;
}
