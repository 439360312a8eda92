/**
 * Monitoring coverage, the service (public entry for bot/ and jobs/): discovery of the asset
 * inventory, set-based evaluation of the seven dimensions, `/coverage` views, rule proposals that
 * close a red alerting or rule-creation cell through the approval flow, and the daily digest with
 * its heatmap picture. `main.ts` builds it; nothing here is a module-level singleton.
 */
import type { Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { evaluateCoverage, DIMENSION_SOURCES, type CoverageSources, type SourceResult } from '../../domain/coverage/evaluate.ts';
import type { CreatedRuleFact } from '../../domain/coverage/history.ts';
import { renderHeatmap, type HeatmapRow } from '../../domain/coverage/heatmap.ts';
import { buildRuleProposal, podPattern, promString, ruleNameFor } from '../../domain/coverage/rule-templates.ts';
import { cellChanges, greenRatio, isCritical, rankAssets, summarize, summaryDelta, type CoverageSummary, type RankedAsset } from '../../domain/coverage/summary.ts';
import {
  assetLabel,
  assetRef,
  cellsCode,
  DIMENSION_LABELS,
  DIMENSIONS,
  ASSET_KINDS,
  type AssetKind,
  type CellStatus,
  type Dimension,
} from '../../domain/coverage/types.ts';
import { parseTargetRef } from '../../domain/targets.ts';
import { manifestParams } from '../actions/apply-manifest.ts';
import type { Clock, ClusterPort } from '../ports.ts';
import type { PrometheusPort } from '../prometheus/client.ts';
import { listInventory } from './discovery.ts';
import { encodePng } from './png.ts';
import { cellRows, CoverageRepository, type AssetRow, type EvaluationRow } from './repository.ts';
import type {
  ActionProposer,
  AssetCoverageView,
  AssetLookup,
  CoverageActor,
  CoverageDigestView,
  CoverageNotifier,
  CoverageSummaryView,
  DigestPicture,
  DimensionLine,
  RedAssetLine,
  RuleProposalOutcome,
} from './ports.ts';

export type * from './ports.ts';
export { CoverageRepository } from './repository.ts';

/** Dependencies, passed in by main.ts (or a test). */
export interface CoverageDeps {
  orm: MikroORM;
  cluster: ClusterPort;
  /** Prometheus; undefined (PROMETHEUS_URL unset) leaves monitoring and alerting `unknown`. */
  prometheus?: PrometheusPort;
  /** Proposes the rule through the approval flow (the Agent). */
  proposer: ActionProposer;
  /** Posts the digest (the bot); undefined → digests are built but not posted. */
  notifier?: CoverageNotifier;
  clock: Clock;
  log: Logger;
}

/** Settings (from config). */
export interface CoverageSettings {
  /** Chat the digest goes to. */
  chatId?: number;
  /** Namespace globs that matter most (CRITICAL_NAMESPACES). */
  criticalNamespaces: readonly string[];
  /** Namespace globs left out of the inventory (default none). */
  excludeNamespaces?: readonly string[];
  /** Window of the remediation and rule-matching dimensions, days (default 30). */
  windowDays?: number;
  /** Rows in the heatmap (default 40). */
  heatmapRows?: number;
  /** Red assets listed in the digest (default 10). */
  topRed?: number;
  /** Labels added to proposed PrometheusRules (the Prometheus ruleSelector). */
  ruleLabels?: Readonly<Record<string, string>>;
  /** IANA time zone of the digest's day and times (default UTC). */
  timezone?: string;
  /** Per-asset history kept for this many days (default 35); summaries are kept. */
  historyDays?: number;
  /** A digest re-evaluates first when the latest evaluation is older than this, minutes (default 90). */
  maxEvaluationAgeMinutes?: number;
  /** Grace after applying a rule before Prometheus must serve it, minutes (default 30). */
  ruleLoadGraceMinutes?: number;
}

/** Outcome of a discovery run. */
export interface DiscoveryOutcome {
  runId: number;
  status: 'succeeded' | 'partial' | 'failed';
  total: number;
  added: number;
  gone: number;
  counts: Record<string, number>;
  errors: Record<string, string>;
}

/** Outcome of an evaluation. */
export interface EvaluationOutcome {
  evaluationId: number;
  status: 'succeeded' | 'partial';
  assets: number;
  summary: CoverageSummary;
  /** Cells written (changed or new). */
  changedCells: number;
  sources: Record<string, { ok: boolean; ms: number; error?: string }>;
  durationMs: number;
}

/** Outcome of posting the digest. */
export type DigestOutcome =
  | { kind: 'posted'; evaluationId: number; textMessageId: number; photo: 'sent' | 'failed' | 'skipped'; photoError?: string }
  | { kind: 'already_posted'; day: string }
  | { kind: 'no_chat' }
  | { kind: 'no_notifier' }
  | { kind: 'no_evaluation' };

/** Abbreviations of the dimensions in the picture. */
export const DIMENSION_ABBREVIATIONS: Readonly<Record<Dimension, string>> = {
  monitoring: 'MON',
  alerting: 'ALR',
  knowledge: 'KNW',
  playbook: 'PLB',
  remediation: 'REM',
  rule_matching: 'MAT',
  rule_creation: 'CRE',
};

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The coverage service. */
export class CoverageService {
  private readonly repo: CoverageRepository;
  private readonly log: Logger;
  private inFlight: Promise<{ discovery: DiscoveryOutcome; evaluation: EvaluationOutcome }> | undefined;

  constructor(
    private readonly deps: CoverageDeps,
    private readonly settings: CoverageSettings,
  ) {
    this.repo = new CoverageRepository(deps.orm);
    this.log = deps.log.child({ component: 'coverage' });
    // What became of proposed rules is heard from the approval flow, not read from its tables.
    deps.proposer.outcomes.subscribe(async (outcome) => {
      if (outcome.origin !== 'coverage') return;
      await this.repo.recordRuleOutcomes([outcome], deps.clock.now()).catch((err) => this.log.warn({ err, remediation: outcome.remediationId }, 'could not record a rule outcome'));
    });
  }

  /** Created-rule facts: proposals still open are read through the approval flow (catching up on outcomes missed). */
  private async createdRuleFacts(now: Date): Promise<CreatedRuleFact[]> {
    const open = await this.deps.proposer.outcomes.current(await this.repo.openRuleRemediations());
    await this.repo.recordRuleOutcomes(open, now);
    return this.repo.createdRuleFacts(new Map(open.map((o) => [o.remediationId, o.state])));
  }

  private get windowDays(): number {
    return this.settings.windowDays ?? 30;
  }

  /**
   * Lists the cluster and stores the inventory. A kind that cannot be listed makes the run
   * `partial` (its assets stay as they were); nothing listed at all makes it `failed`.
   */
  async discover(): Promise<DiscoveryOutcome> {
    const started = this.deps.clock.now();
    const t0 = performance.now();
    const runId = await this.repo.startDiscoveryRun(started);
    try {
      const listing = await listInventory(this.deps.cluster, { excludeNamespaces: this.settings.excludeNamespaces });
      const status = listing.listedKinds.length === 0 ? 'failed' : listing.listedKinds.length < ASSET_KINDS.length ? 'partial' : 'succeeded';
      const { added, gone } = status === 'failed' ? { added: 0, gone: 0 } : await this.repo.storeInventory(runId, started, listing.assets, listing.listedKinds);
      const outcome: DiscoveryOutcome = { runId, status, total: listing.assets.length, added, gone, counts: listing.counts, errors: listing.errors };
      await this.repo.finishDiscoveryRun(runId, { ...outcome, finishedAt: this.deps.clock.now(), durationMs: Math.round(performance.now() - t0) });
      if (status !== 'succeeded') this.log.warn({ runId, errors: listing.errors }, `coverage discovery ${status}`);
      else this.log.info({ runId, total: outcome.total, added, gone }, 'coverage discovery done');
      return outcome;
    } catch (err) {
      await this.repo
        .finishDiscoveryRun(runId, { status: 'failed', finishedAt: this.deps.clock.now(), counts: {}, errors: { store: errorText(err) }, total: 0, added: 0, gone: 0, durationMs: Math.round(performance.now() - t0) })
        .catch(() => {});
      throw err;
    }
  }

  /** Reads every data source once, for all assets, in parallel; a failure is kept as that source's error. */
  private async readSources(now: Date): Promise<{ sources: CoverageSources; timings: Record<string, { ok: boolean; ms: number; error?: string }> }> {
    const since = new Date(now.getTime() - this.windowDays * 86_400_000);
    const timings: Record<string, { ok: boolean; ms: number; error?: string }> = {};
    const read = async <T>(name: string, fn: () => Promise<T>): Promise<SourceResult<T>> => {
      const t0 = performance.now();
      try {
        const value = await fn();
        timings[name] = { ok: true, ms: Math.round(performance.now() - t0) };
        return { ok: true, value };
      } catch (err) {
        const error = errorText(err);
        timings[name] = { ok: false, ms: Math.round(performance.now() - t0), error };
        this.log.warn({ err, source: name }, 'coverage data source failed; its dimension is unknown');
        return { ok: false, error };
      }
    };
    const prom = this.deps.prometheus;
    const noProm = async (): Promise<never> => {
      throw new Error('PROMETHEUS_URL is not set');
    };
    const [targets, rules, knowledge, playbooks, actions, incidents, createdRules] = await Promise.all([
      read('targets', prom ? () => prom.activeTargets() : noProm),
      read('rules', prom ? () => prom.alertingRules() : noProm),
      read('knowledge', () => this.repo.knowledgeFacts()),
      read('playbooks', () => this.repo.playbookFacts()),
      read('actions', () => this.repo.actionFacts(since)),
      read('incidents', () => this.repo.incidentFacts(since)),
      read('createdRules', () => this.createdRuleFacts(now)),
    ]);
    return { sources: { targets, rules, knowledge, playbooks, actions, incidents, createdRules }, timings };
  }

  /**
   * Evaluates every live asset on the seven dimensions (a few set-based reads, one pure
   * evaluation, one transaction writing the evaluation and the cells that changed).
   */
  async evaluate(options: { discoveryRunId?: number } = {}): Promise<EvaluationOutcome> {
    const startedAt = this.deps.clock.now();
    const t0 = performance.now();
    const [assets, { sources, timings }, previous] = await Promise.all([this.repo.liveAssets(), this.readSources(startedAt), this.repo.cellFingerprints()]);
    const tRead = performance.now();
    const cells = evaluateCoverage(assets, sources, { now: startedAt, windowDays: this.windowDays, loadGraceMinutes: this.settings.ruleLoadGraceMinutes });
    const codes = new Map<number, string>();
    for (const [id, c] of cells) codes.set(id, cellsCode(c));
    const summary = summarize(codes.values());
    const rows = cellRows(cells);
    const changed = rows.filter((r) => previous.get(`${r.assetId}|${r.dimension}`)?.fingerprint !== r.fingerprint);
    const status = Object.values(timings).every((t) => t.ok) ? 'succeeded' : 'partial';
    const finishedAt = this.deps.clock.now();
    const tCompute = performance.now();
    const evaluationId = await this.repo.saveEvaluation(
      {
        startedAt,
        finishedAt,
        status,
        discoveryRunId: options.discoveryRunId ?? null,
        summary,
        sources: timings,
        codes,
        // reads and evaluation; the write of this row and the cells is in the returned durationMs
        durationMs: Math.round(performance.now() - t0),
      },
      changed,
    );
    const durationMs = Math.round(performance.now() - t0);
    const phases = { readMs: Math.round(tRead - t0), computeMs: Math.round(tCompute - tRead), writeMs: Math.round(performance.now() - tCompute) };
    this.log.info({ evaluationId, assets: assets.length, changedCells: changed.length, status, ms: durationMs, ...phases, overall: summary.overall }, 'coverage evaluated');
    return { evaluationId, status, assets: assets.length, summary, changedCells: changed.length, sources: timings, durationMs };
  }

  /**
   * The hourly job: discovery, then evaluation (also when discovery failed: the last inventory is
   * evaluated), then pruning of old per-asset history. Concurrent calls share one run.
   */
  run(): Promise<{ discovery: DiscoveryOutcome; evaluation: EvaluationOutcome }> {
    this.inFlight ??= (async () => {
      try {
        const discovery = await this.discover();
        const evaluation = await this.evaluate({ discoveryRunId: discovery.runId });
        const before = new Date(this.deps.clock.now().getTime() - (this.settings.historyDays ?? 35) * 86_400_000);
        await this.repo.pruneCodes(before).catch((err) => this.log.warn({ err }, 'pruning coverage history failed'));
        return { discovery, evaluation };
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  // --- views ---

  private async rank(e: EvaluationRow): Promise<{ ranked: RankedAsset[] }> {
    const assets = await this.repo.assetsById([...e.codes.keys()]);
    const items = [...e.codes].flatMap(([id, code]) => {
      const a = assets.get(id);
      return a ? [{ asset: a, code }] : [];
    });
    return { ranked: rankAssets(items, this.settings.criticalNamespaces) };
  }

  private dimensionLines(e: EvaluationRow, previous?: EvaluationRow): DimensionLine[] {
    const delta = previous ? summaryDelta(e.summary, previous.summary) : undefined;
    return DIMENSIONS.map((d) => {
      const c = e.summary.dimensions[d];
      const source = e.sources[DIMENSION_SOURCES[d].key];
      return {
        dimension: d,
        label: DIMENSION_LABELS[d],
        ...c,
        ratio: greenRatio(c),
        deltaPp: delta ? delta.dimensions[d] : undefined,
        error: source && !source.ok ? source.error : undefined,
      };
    });
  }

  private async redLines(ranked: readonly RankedAsset[], limit: number): Promise<RedAssetLine[]> {
    const top = ranked.filter((r) => r.red.length > 0).slice(0, limit);
    const reasons = await this.repo.redReasons(top.map((r) => r.asset.id));
    return top.map((r) => ({
      ref: assetRef(r.asset),
      label: assetLabel(r.asset),
      kind: r.asset.kind,
      critical: r.critical,
      red: r.red,
      why: reasons.get(r.asset.id),
    }));
  }

  private async summaryOf(e: EvaluationRow, ranked: readonly RankedAsset[], previous?: EvaluationRow): Promise<CoverageSummaryView> {
    const byKind: Partial<Record<AssetKind, number>> = {};
    for (const r of ranked) byKind[r.asset.kind] = (byKind[r.asset.kind] ?? 0) + 1;
    const discovery = await this.repo.latestDiscoveryRun();
    return {
      evaluationId: e.id,
      evaluatedAt: e.finishedAt,
      timezone: this.settings.timezone ?? 'UTC',
      assets: e.assetCount,
      byKind,
      dimensions: this.dimensionLines(e, previous),
      overall: e.summary.overall,
      criticalNamespaces: this.settings.criticalNamespaces,
      topRed: await this.redLines(ranked, this.settings.topRed ?? 10),
      discovery: discovery ? { at: discovery.finishedAt ?? discovery.startedAt, status: discovery.status, errors: discovery.errors } : undefined,
    };
  }

  /** The latest evaluation, summarised (`/coverage`); undefined before the first evaluation. */
  async summary(): Promise<CoverageSummaryView | undefined> {
    const e = await this.repo.latestEvaluation();
    if (!e) return undefined;
    const { ranked } = await this.rank(e);
    return this.summaryOf(e, ranked);
  }

  /**
   * The digest of the latest evaluation: summary, change since the evaluation 24 h earlier, and the
   * heatmap (PNG) of the assets that matter most.
   */
  async digest(): Promise<{ view: CoverageDigestView; picture?: DigestPicture; pictureError?: string } | undefined> {
    const e = await this.repo.latestEvaluation();
    if (!e) return undefined;
    const previous = await this.repo.evaluationAtOrBefore(new Date(e.finishedAt.getTime() - 24 * 3_600_000));
    const { ranked } = await this.rank(e);
    const base = await this.summaryOf(e, ranked, previous);
    const rowsWanted = this.settings.heatmapRows ?? 40;
    const view: CoverageDigestView = { ...base, picture: { rows: Math.min(rowsWanted, ranked.length), of: ranked.length } };
    if (previous) {
      view.previous = { evaluationId: previous.id, evaluatedAt: previous.finishedAt, overall: previous.summary.overall, assets: previous.assetCount };
      view.overallDeltaPp = summaryDelta(e.summary, previous.summary).overall;
      const ch = cellChanges(e.codes, previous.codes);
      const newlyRedIds = new Set(ch.turnedRed.map((t) => t.assetId));
      const newlyRed = ranked
        .filter((r) => newlyRedIds.has(r.asset.id))
        .slice(0, 5)
        .map((r) => ({
          ref: assetRef(r.asset),
          label: assetLabel(r.asset),
          kind: r.asset.kind,
          critical: r.critical,
          red: ch.turnedRed.find((t) => t.assetId === r.asset.id)!.dimensions,
        }));
      view.changes = { turnedRed: ch.turnedRed.length, turnedGreen: ch.turnedGreen.length, added: ch.added.length, removed: ch.removed.length, newlyRed };
    }
    try {
      return { view, picture: this.picture(view, ranked.slice(0, rowsWanted)) };
    } catch (err) {
      // The picture is a bonus; the digest goes out as text.
      this.log.error({ err }, 'rendering the coverage heatmap failed');
      return { view, pictureError: errorText(err) };
    }
  }

  /** Renders the heatmap of the given ranked rows as PNG, with a caption. */
  private picture(view: CoverageDigestView, rows: readonly RankedAsset[]): DigestPicture {
    const heatRows: HeatmapRow[] = rows.map((r) => ({ label: assetLabel(r.asset), statuses: DIMENSIONS.map((d) => r.statuses[d]), critical: r.critical }));
    const when = formatLocal(view.evaluatedAt, this.settings.timezone ?? 'UTC');
    const pct = view.overall === null ? 'n/a' : `${Math.round(view.overall * 100)}%`;
    const raster = renderHeatmap({
      title: `COVERAGE ${when}`,
      subtitle: `TOP ${rows.length} OF ${view.assets} ASSETS - ${pct} GREEN`,
      columns: DIMENSIONS.map((d) => DIMENSION_ABBREVIATIONS[d]),
      rows: heatRows,
      legend: [
        'MON MONITORING  ALR ALERTING  KNW KNOWLEDGE',
        'PLB PLAYBOOK  REM REMEDIATION  MAT RULE MATCHING',
        'CRE RULE CREATION   RED BAR: CRITICAL NAMESPACE',
      ],
    });
    return {
      png: encodePng(raster),
      caption: `Coverage heatmap: top ${rows.length} of ${view.assets} assets × 7 dimensions (critical namespaces first, then most red).`,
    };
  }

  /**
   * Posts the digest to the configured chat, once per local day (unless `force`). Re-evaluates
   * first when the latest evaluation is stale. The picture failing to send leaves the text.
   */
  async postDigest(options: { force?: boolean } = {}): Promise<DigestOutcome> {
    const chatId = this.settings.chatId;
    if (chatId === undefined) return { kind: 'no_chat' };
    if (!this.deps.notifier) return { kind: 'no_notifier' };
    const now = this.deps.clock.now();
    const day = localDay(now, this.settings.timezone ?? 'UTC');
    if (!options.force && (await this.repo.digestPosted(chatId, day))) return { kind: 'already_posted', day };
    const latest = await this.repo.latestEvaluation();
    const maxAgeMs = (this.settings.maxEvaluationAgeMinutes ?? 90) * 60_000;
    if (!latest || now.getTime() - latest.finishedAt.getTime() > maxAgeMs) {
      await this.run().catch((err) => this.log.error({ err }, 'evaluation before the digest failed; using the latest one'));
    }
    const built = await this.digest();
    if (!built) return { kind: 'no_evaluation' };
    const result = await this.deps.notifier.postDigest(chatId, built.view, built.picture);
    const photo = result.photo;
    if (photo.kind === 'failed') this.log.warn({ chatId, error: photo.error }, 'coverage digest picture not sent (sendPhoto failed); the text was posted');
    await this.repo.recordDigest({
      evaluationId: built.view.evaluationId,
      chatId,
      day,
      postedAt: this.deps.clock.now(),
      textMessageId: result.textMessageId,
      photoMessageId: photo.kind === 'sent' ? photo.messageId : undefined,
      photoError: photo.kind === 'failed' ? photo.error : built.pictureError,
    });
    return {
      kind: 'posted',
      evaluationId: built.view.evaluationId,
      textMessageId: result.textMessageId,
      photo: photo.kind,
      photoError: photo.kind === 'failed' ? photo.error : undefined,
    };
  }

  // --- one asset ---

  /** Finds live assets for what someone typed: `namespace/name`, `namespace/kind/name`, `node/name` or a bare name. */
  private async resolve(query: string): Promise<{ kind: 'found'; asset: AssetRow } | { kind: 'ambiguous'; candidates: string[] } | { kind: 'not_found'; query: string; suggestions: string[] } | { kind: 'invalid'; message: string }> {
    const q = query.trim();
    const usage = 'expected <namespace>/<name>, <namespace>/<kind>/<name> or node/<name>';
    if (!q) return { kind: 'invalid', message: usage };
    const parts = q.split('/').filter(Boolean);
    let found: AssetRow[] = [];
    if (parts.length === 3) {
      const parsed = parseTargetRef(q);
      if (parsed.kind === 'invalid') return { kind: 'invalid', message: parsed.message };
      if (!(ASSET_KINDS as readonly string[]).includes(parsed.target.kind)) {
        return { kind: 'invalid', message: `${parsed.target.kind} is not an asset kind (${ASSET_KINDS.join(', ')})` };
      }
      found = await this.repo.findAssets(parsed.target.namespace, parsed.target.name, parsed.target.kind as AssetKind);
    } else if (parts.length === 2) {
      found = await this.repo.findAssets(parts[0], parts[1]);
      if (found.length === 0 && ['node', 'nodes', 'no'].includes(parts[0].toLowerCase())) found = await this.repo.findAssets('', parts[1], 'Node');
    } else if (parts.length === 1) {
      found = await this.repo.findByName(parts[0]);
    } else return { kind: 'invalid', message: usage };
    const live = found.filter((a) => !a.goneAt);
    const pool = live.length ? live : found;
    if (pool.length === 1) return { kind: 'found', asset: pool[0] };
    if (pool.length > 1) return { kind: 'ambiguous', candidates: pool.map((a) => assetRef(a)) };
    const hint = parts.length >= 2 && !['node', 'nodes', 'no'].includes(parts[0].toLowerCase()) ? `${parts[0]}/${parts[parts.length - 1]}` : (parts[parts.length - 1] ?? q);
    const suggestions = (await this.repo.suggestAssets(hint)).map((a) => assetRef(a));
    return { kind: 'not_found', query: q, suggestions };
  }

  private async assetView(a: AssetRow): Promise<AssetCoverageView> {
    const [cells, latest] = await Promise.all([this.repo.cellsOf(a.id), this.repo.latestEvaluation()]);
    const byDim = new Map(cells.map((c) => [c.dimension, c]));
    const statusOf = (d: Dimension): CellStatus | undefined => byDim.get(d)?.status;
    return {
      assetId: a.id,
      ref: assetRef(a),
      kind: a.kind,
      namespace: a.namespace,
      name: a.name,
      owner: a.owner,
      internalIp: a.internalIp,
      labels: a.labels,
      members: a.members.length,
      critical: isCritical(a.namespace, this.settings.criticalNamespaces),
      firstSeenAt: a.firstSeenAt,
      lastSeenAt: a.lastSeenAt,
      goneAt: a.goneAt,
      evaluatedAt: cells.length && latest?.codes.has(a.id) ? latest.finishedAt : cells.length ? cells[0].changedAt : undefined,
      cells: cells.map((c) => ({ dimension: c.dimension, label: DIMENSION_LABELS[c.dimension], status: c.status, evidence: c.evidence, changedAt: c.changedAt })),
      fixable: a.kind !== 'Node' && !a.goneAt && statusOf('rule_creation') !== 'green',
    };
  }

  /** One asset with its evidence (`/coverage <namespace>/<name>`). */
  async lookup(query: string): Promise<AssetLookup> {
    const r = await this.resolve(query);
    if (r.kind !== 'found') return r;
    return { kind: 'found', asset: await this.assetView(r.asset) };
  }

  /**
   * Proposes a PrometheusRule for a workload from the templates, as an approval card through the
   * normal flow (blast radius, dry-run, approvers, server-side apply, verification). Recorded as
   * created by Watchkeeper; once applied, the next evaluation turns rule creation (and, when
   * Prometheus loads it, alerting) green.
   */
  async proposeRule(query: string, actor: CoverageActor): Promise<RuleProposalOutcome> {
    const r = await this.resolve(query);
    if (r.kind !== 'found') return r;
    const a = r.asset;
    const ref = assetRef(a);
    if (a.kind === 'Node') return { kind: 'unsupported', ref, why: 'the rule templates are about workloads; node alerts come from node-exporter rules' };
    if (a.goneAt) return { kind: 'unsupported', ref, why: `it is no longer in the cluster (gone since ${a.goneAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)` };
    const cells = await this.repo.cellsOf(a.id);
    const creation = cells.find((c) => c.dimension === 'rule_creation');
    if (creation?.status === 'green') return { kind: 'not_needed', ref, why: creation.evidence.why };
    let metrics: string[] | undefined;
    if (this.deps.prometheus) {
      metrics = await this.deps.prometheus
        .metricNames(`{namespace=${promString(a.namespace)}, pod=~${promString(podPattern(a.kind, a.name))}}`)
        .catch((err) => {
          this.log.warn({ err, asset: ref }, 'could not read the metrics of the asset; the 5xx template is left out');
          return undefined;
        });
    }
    const ruleName = ruleNameFor(a, await this.repo.nameTakenByOtherKind(a.kind, a.namespace, a.name));
    const proposal = buildRuleProposal(a, { name: ruleName, metrics, ruleLabels: this.settings.ruleLabels });
    const alerts = proposal.included.map((i) => i.alert);
    const summary = `PrometheusRule ${a.namespace}/${ruleName} for ${ref}: ${alerts.join(', ')}`;
    const evidence = [
      ...cells.filter((c) => c.dimension === 'alerting' || c.dimension === 'rule_creation').map((c) => `${DIMENSION_LABELS[c.dimension]} is ${c.status}: ${c.evidence.why}`),
      ...proposal.included.map((i) => `template ${i.template} → alert ${i.alert}`),
      ...proposal.skipped.map((s) => `template ${s.template} left out: ${s.why}`),
    ];
    const { incidentId, remediationId } = await this.deps.proposer.proposeAction({
      key: `coverage-rule:${ref}`,
      title: `Alerting rules for ${ref}`,
      summary,
      target: { kind: 'Manifest', namespace: a.namespace, name: ruleName },
      action: 'apply_manifest',
      params: manifestParams([proposal.object], summary),
      evidence,
      actor,
      origin: 'coverage',
    });
    const inserted = await this.repo.recordRuleProposal({
      assetId: a.id,
      ruleName,
      namespace: a.namespace,
      remediationId,
      incidentId,
      templates: proposal.included.map((i) => i.template),
      manifest: proposal.object as Record<string, unknown>,
      proposedBy: `user:${actor.id} ${actor.name}`,
      now: this.deps.clock.now(),
    });
    this.log.info({ asset: ref, ruleName, remediationId, alreadyOpen: !inserted }, 'coverage rule proposed');
    return { kind: 'proposed', ref, ruleName, namespace: a.namespace, incidentId, remediationId, included: proposal.included, skipped: proposal.skipped, alreadyOpen: !inserted };
  }
}

/** `YYYY-MM-DD` of `at` in `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** `YYYY-MM-DD HH:MM <zone>` of `at` in `timeZone`. */
export function formatLocal(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timeZone === 'UTC' || timeZone === 'Etc/UTC' ? 'UTC' : timeZone}`;
}
