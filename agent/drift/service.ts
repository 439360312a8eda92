/**
 * The drift service (issue 5): scans each desired-state source against the cluster, stores a
 * report when the set of drifted items changed since the last scan (never the same drift twice),
 * interprets it (local model, or rules), posts a card, and carries out what approvers decide:
 *
 * - **Acknowledge / Ignore**: a status change, with who and when.
 * - **Rollback**: Git's version of the drifted objects goes through the normal approval flow
 *   (`apply_manifest`: blast radius, dry-run, approvers, server-side apply with the `watchkeeper`
 *   field manager, verification, audit), one proposal per namespace so each is scored on its own.
 *   The report becomes `rolled_back` only when every proposal *succeeded* (verified); the service
 *   hears each proposal's outcome from the approval flow (`RemediationOutcomes`) and reads where
 *   they stand through it on each scan. A proposal rejected, expired or failed brings the buttons back.
 * - **Adopt**: the live values are written into the manifests (only the drifted fields), committed
 *   with a message naming the report and pushed (`agent/git/adopt.ts`); the card links the commit.
 *   The bot asks for confirmation before calling {@link DriftService.adopt}.
 *
 * Only approvers and admins may act; everyone on the operator list may read. Every step is
 * audited (`drift.*` actions, subject `drift:<id>`).
 */
import type { Logger } from 'pino';
import type { DriftConfig, DriftSourceConfig } from '../../config.ts';
import { can } from '../../domain/authz.ts';
import { formatRef, refKey, desiredRef, DEFAULT_CLUSTER_SCOPED_KINDS, type DriftOptions } from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { TERMINAL_STATES } from '../../domain/remediation/index.ts';
import { manifestParams } from '../actions/apply-manifest.ts';
import { adoptLiveState, type AdoptTarget } from '../git/adopt.ts';
import { GitSource } from '../git/source.ts';
import type { Clock, ClusterPort } from '../ports.ts';
import { interpretDrift } from './interpret.ts';
import type { DriftAudit, DriftChatPort, DriftModel, DriftProposer, RoleLookup } from './ports.ts';
import { DriftRepository, OPEN_STATUSES } from './repository.ts';
import { scanDesiredState } from './scan.ts';
import type { DriftCardView, DriftReportRow, DriftRollback, RollbackProposal } from './types.ts';
import { buildDriftCard, isOpen } from './views.ts';

/** Someone acting from the chat. */
export interface DriftActor {
  id: number;
  name: string;
}

/** Settings (from config `drift`, plus the chat). */
export interface DriftServiceSettings extends Omit<DriftConfig, 'chatId' | 'scanCron'> {
  /** Chat the report cards go to. */
  chatId: number;
  /**
   * @deprecated Ignored: rollback outcomes are heard from the approval flow, not polled. Kept so
   * existing callers still compile.
   */
  rollbackPollMs?: number;
  /** kubectl used to render kustomize folders; `null` never renders. Default `kubectl`. */
  kubectl?: string | null;
}

/** Dependencies, wired by main.ts (or a test). */
export interface DriftServiceDeps {
  repository: DriftRepository;
  cluster: ClusterPort;
  /** The chat; without it reports are stored but not posted. */
  chat?: DriftChatPort;
  /** The approval flow (the Agent). */
  proposer: DriftProposer;
  /** The model router; without it interpretations are rules-based. */
  model?: DriftModel;
  audit: DriftAudit;
  roleOf: RoleLookup;
  clock: Clock;
  log: Logger;
}

/** What a scan of one source did. */
export type DriftScanResult =
  | { kind: 'new_report'; source: string; reportId: number; items: number; superseded: number[] }
  | { kind: 'unchanged'; source: string; reportId: number | null }
  | { kind: 'in_sync'; source: string; resolved: number[] }
  | { kind: 'failed'; source: string; error: string };

/** The answer to a button press or a command. */
export interface DriftReply {
  kind: 'done' | 'forbidden' | 'stale' | 'refused' | 'failed';
  /** Short text for the callback answer or the chat (≤ 200 characters for callbacks). */
  text: string;
  /** A longer message for the chat, when there is one (adopt results, rollback notes). */
  detail?: string;
}

/** See the module comment. */
export class DriftService {
  private readonly sources = new Map<string, { config: DriftSourceConfig; git: GitSource }>();
  private readonly log: Logger;
  private readonly adopting = new Set<number>();
  private unsubscribe: (() => void) | undefined;
  private polling = false;

  constructor(
    private readonly deps: DriftServiceDeps,
    private readonly settings: DriftServiceSettings,
  ) {
    this.log = deps.log.child({ component: 'drift' });
    for (const config of settings.sources) {
      this.sources.set(config.name, {
        config,
        git: new GitSource({ name: config.name, url: config.url, branch: config.branch, credentials: config.credentials }, { cacheDir: settings.cacheDir }),
      });
    }
  }

  /** Names of the configured sources. */
  get sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  /**
   * Starts following Rollback proposals: each outcome of a drift remediation is heard from the
   * approval flow (`RemediationOutcomes`) as it happens; one catch-up now picks up proposals that
   * ended while Watchkeeper was down.
   */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.proposer.outcomes.subscribe(async (outcome) => {
      if (outcome.origin !== 'drift') return;
      await this.syncRollbacks().catch((err) => this.log.warn({ err, remediation: outcome.remediationId }, 'rollback sync failed'));
    });
    void this.syncRollbacks().catch((err) => this.log.warn({ err }, 'rollback sync failed'));
  }

  /** Stops following proposals. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** True when the user is on the operator list (any role): may read reports and scan. */
  isOperator(userId: number): boolean {
    return can(this.deps.roleOf(userId), 'drift.scan').kind === 'allow';
  }

  // --- scanning ---

  /**
   * Scans every source (or one): a new report (stored, interpreted, posted) only when the set of
   * drifted items differs from the last scan's. Failures of one source do not stop the others.
   * @param options.actor who asked (`/drift scan`); the schedule passes none.
   */
  async scan(options: { actor?: DriftActor; source?: string } = {}): Promise<DriftScanResult[]> {
    await this.syncRollbacks().catch((err) => this.log.warn({ err }, 'rollback sync before scan failed'));
    const results: DriftScanResult[] = [];
    for (const [name, source] of this.sources) {
      if (options.source && options.source !== name) continue;
      results.push(await this.scanSource(name, source.config, source.git, options.actor));
    }
    return results;
  }

  private detection(config: DriftSourceConfig): DriftOptions {
    return { defaultNamespace: config.defaultNamespace, ownershipLabel: this.settings.ownershipLabel, ignore: this.settings.ignoreFields };
  }

  private async scanSource(name: string, config: DriftSourceConfig, git: GitSource, actor?: DriftActor): Promise<DriftScanResult> {
    const { repository, clock } = this.deps;
    const t0 = Date.now();
    const who = actor ? `user:${actor.id}` : 'system';
    let scanned;
    try {
      scanned = await git.exclusive(async () => {
        const checkout = await git.checkout();
        const outcome = await scanDesiredState(
          {
            dir: checkout.dir,
            folders: config.folders,
            namespaces: config.namespaces,
            detection: this.detection(config),
            manifests: { kubectl: this.settings.kubectl === undefined ? 'kubectl' : this.settings.kubectl },
          },
          this.deps.cluster,
        );
        return { checkout, outcome };
      });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.log.error({ err, source: name }, 'drift scan failed');
      await repository.recordScanError(name, error, clock.now()).catch(() => undefined);
      await this.audit(who, 'drift.scan', `drift-source:${name}`, { error, durationMs: Date.now() - t0 });
      return { kind: 'failed', source: name, error };
    }
    const { checkout, outcome } = scanned;
    const now = clock.now();
    const state = await repository.sourceState(name);
    const auditScan = (output: Record<string, unknown>) =>
      this.audit(who, 'drift.scan', `drift-source:${name}`, {
        input: { source: name, sha: checkout.sha ?? null, branch: checkout.branch ?? null },
        output: { ...output, items: outcome.items.length, counts: outcome.counts, desired: outcome.desiredCount, live: outcome.liveCount, errors: outcome.problems.errors.length },
        durationMs: Date.now() - t0,
      });

    if (state && state.fingerprint === outcome.fingerprint) {
      await repository.saveSourceState({ ...state, scannedAt: now, lastError: null });
      // A report whose card could not be posted (Telegram down) is posted now.
      if (state.reportId !== null) {
        const report = await repository.getReport(state.reportId);
        if (report && !report.card && isOpen(report)) await this.postCard(report);
      }
      await auditScan({ result: 'unchanged', reportId: state.reportId });
      return { kind: 'unchanged', source: name, reportId: state.reportId };
    }

    if (outcome.items.length === 0) {
      const resolved: number[] = [];
      for (const old of await repository.openReportsOf(name)) {
        const updated = await repository.updateReport(old.id, { resolvedAt: now }, now);
        if (updated) {
          resolved.push(old.id);
          await this.refreshCard(updated);
        }
      }
      await repository.saveSourceState({ source: name, fingerprint: outcome.fingerprint, reportId: null, scannedAt: now, lastError: null });
      await auditScan({ result: 'in_sync', resolved });
      return { kind: 'in_sync', source: name, resolved };
    }

    let report = await repository.createReport({
      source: name,
      fingerprint: outcome.fingerprint,
      items: outcome.items,
      counts: outcome.counts,
      gitObjects: outcome.gitObjects.filter((o) => o.kind !== 'Secret') as Array<Record<string, unknown>>,
      gitSha: checkout.sha,
      gitBranch: checkout.branch,
      problems: outcome.problems,
      now,
    });
    await repository.saveSourceState({ source: name, fingerprint: outcome.fingerprint, reportId: report.id, scannedAt: now, lastError: null });
    const t1 = Date.now();
    const interpretation = await interpretDrift(outcome.items, this.deps.model, { autoscaled: outcome.autoscaled }).catch((err) => {
      this.log.warn({ err }, 'drift interpretation failed');
      return undefined;
    });
    if (interpretation) {
      report = (await repository.updateReport(report.id, { interpretation }, clock.now())) ?? report;
      await this.audit('worker', 'drift.interpret', `drift:${report.id}`, {
        output: { intent: interpretation.intent, risk: interpretation.risk, confidence: interpretation.confidence, source: interpretation.source, model: interpretation.model ?? null },
        error: interpretation.fallbackReasons?.join('; ') || undefined,
        durationMs: Date.now() - t1,
      });
    }
    const superseded: number[] = [];
    for (const old of await repository.openReportsOf(name, report.id)) {
      const updated = await repository.updateReport(old.id, { supersededBy: report.id }, now);
      if (updated) {
        superseded.push(old.id);
        await this.refreshCard(updated);
      }
    }
    await auditScan({ result: 'new_report', reportId: report.id, superseded });
    await this.postCard(report);
    return { kind: 'new_report', source: name, reportId: report.id, items: report.items.length, superseded };
  }

  // --- reading ---

  /** Open reports (pending or acknowledged, not superseded or resolved), newest first. */
  async openReports(limit = 20): Promise<DriftCardView[]> {
    await this.syncRollbacks().catch((err) => this.log.warn({ err }, 'rollback sync failed'));
    return (await this.deps.repository.listOpen(limit)).map(buildDriftCard);
  }

  /** The newest reports of any status (for `/drift` when none is open). */
  async recentReports(limit = 5): Promise<DriftCardView[]> {
    return (await this.deps.repository.listRecent(limit)).map(buildDriftCard);
  }

  /** One report as a card view, or undefined. */
  async report(id: number): Promise<DriftCardView | undefined> {
    const row = await this.deps.repository.getReport(id);
    return row ? buildDriftCard(row) : undefined;
  }

  // --- decisions ---

  /** Acknowledge (seen, leave it) or Ignore (not worth acting on). Approvers only. */
  async decide(reportId: number, verb: 'acknowledge' | 'ignore', actor: DriftActor): Promise<DriftReply> {
    const checked = await this.checkActor(reportId, verb, actor);
    if ('kind' in checked) return checked;
    const now = this.deps.clock.now();
    const status = verb === 'acknowledge' ? 'acknowledged' : 'ignored';
    const from = verb === 'acknowledge' ? (['pending'] as const) : OPEN_STATUSES;
    const updated = await this.deps.repository.updateReport(reportId, { status, statusBy: actor.name, statusAt: now }, now, { fromStatuses: from, openOnly: true });
    if (!updated) {
      await this.refreshCard(checked.report);
      return { kind: 'stale', text: `Report #${reportId} is already ${checked.report.status.replace('_', ' ')}.` };
    }
    await this.audit(`user:${actor.id}`, `drift.${verb}`, `drift:${reportId}`, { output: { status } });
    await this.refreshCard(updated);
    return { kind: 'done', text: verb === 'acknowledge' ? `👀 Report #${reportId} acknowledged.` : `🙈 Report #${reportId} ignored.` };
  }

  /**
   * Rollback: proposes Git's version of the drifted objects through the approval flow (one card per
   * namespace). Approvers only; the report becomes `rolled_back` once every proposal succeeded.
   */
  async rollback(reportId: number, actor: DriftActor): Promise<DriftReply> {
    const checked = await this.checkActor(reportId, 'rollback', actor);
    if ('kind' in checked) return checked;
    const { report } = checked;
    if (report.rollback?.outcome === 'proposed') return { kind: 'refused', text: 'A rollback of this report is already waiting for approval.' };
    const notes: string[] = [];
    const objects = report.gitObjects as KObject[];
    const secrets = report.items.filter((i) => i.kind === 'Secret' && i.group === '' && i.change !== 'not_in_git');
    if (secrets.length) notes.push(`${new Set(secrets.map((s) => formatRef(s))).size} Secret(s) are not rolled back from the chat`);
    const extras = report.items.filter((i) => i.change === 'not_in_git');
    if (extras.length) notes.push(`${extras.length} object(s) only in the cluster are not deleted by a rollback`);
    const extraFields = report.items.filter((i) => i.change === 'modified' && i.gitValue === null);
    if (extraFields.length) notes.push(`${extraFields.length} field(s) set only in the cluster stay unless their field manager releases them (server-side apply)`);
    if (objects.length === 0) return { kind: 'refused', text: 'Nothing to roll back: no drifted object has a version in Git.', detail: notes.join('\n') || undefined };

    const now = this.deps.clock.now();
    const claim: DriftRollback = { proposedBy: actor.name, proposedAt: now.toISOString(), proposals: [], notes, outcome: 'proposed' };
    const claimed = await this.deps.repository.claimRollback(reportId, claim, now);
    if (!claimed) return { kind: 'stale', text: `Report #${reportId} is closed, or its rollback is already waiting for approval.` };
    const byNamespace = new Map<string, KObject[]>();
    for (const o of objects) {
      const ns = o.metadata?.namespace ?? '';
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
    }
    const proposals: RollbackProposal[] = [];
    try {
      for (const [namespace, group] of byNamespace) {
        const summary = `Re-apply Git's version of ${group.length} drifted object(s)${namespace ? ` in ${namespace}` : ''} (drift report #${reportId}${report.gitSha ? `, commit ${report.gitSha.slice(0, 8)}` : ''})`;
        const evidence = report.items
          .filter((i) => i.namespace === namespace && i.change !== 'not_in_git')
          .slice(0, 8)
          .map((i) => `${formatRef(i)}${i.path ? ` ${i.path}` : ''}: ${i.change === 'missing' ? 'missing from the cluster' : 'differs from Git'}`);
        const proposed = await this.deps.proposer.proposeAction({
          key: `drift:${reportId}:${namespace || 'cluster'}`,
          title: `Drift rollback #${reportId}`,
          summary,
          target: { kind: 'Manifest', namespace, name: `drift-${reportId}` },
          action: 'apply_manifest',
          params: manifestParams(group, summary),
          category: 'config_error',
          evidence,
          actor,
          origin: 'drift',
        });
        proposals.push({ namespace, incidentId: proposed.incidentId, remediationId: proposed.remediationId, state: 'pending', objects: group.length });
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const failed: DriftRollback = { ...claim, proposals, outcome: proposals.length ? 'proposed' : 'failed', notes: [...notes, `proposing failed: ${message}`] };
      const updated = await this.deps.repository.updateReport(reportId, { rollback: failed }, this.deps.clock.now());
      await this.audit(`user:${actor.id}`, 'drift.rollback', `drift:${reportId}`, { output: { proposals }, error: message });
      if (updated) await this.refreshCard(updated);
      return { kind: 'failed', text: `Rollback could not be proposed: ${message.slice(0, 150)}` };
    }
    const rollback: DriftRollback = { ...claim, proposals };
    const updated = await this.deps.repository.updateReport(reportId, { rollback }, this.deps.clock.now());
    await this.audit(`user:${actor.id}`, 'drift.rollback', `drift:${reportId}`, {
      input: { objects: objects.map((o) => `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`) },
      output: { proposals: proposals.map((p) => ({ namespace: p.namespace, incident: p.incidentId, remediation: p.remediationId })), notes },
    });
    if (updated) await this.refreshCard(updated);
    await this.syncRollbacks().catch(() => undefined);
    const cards = proposals.map((p) => `#${p.incidentId}`).join(', ');
    return {
      kind: 'done',
      text: `⏪ Rollback proposed (${proposals.length === 1 ? 'approval card' : 'approval cards'} ${cards}); it needs approval like any action.`,
      detail: notes.length ? `Rollback of drift report #${reportId}: ${notes.join('; ')}.` : undefined,
    };
  }

  /**
   * Checks whether `actor` may adopt the report now, before the bot asks for confirmation.
   * @returns `done` with the confirmation question, or the refusal.
   */
  async adoptQuestion(reportId: number, actor: DriftActor): Promise<DriftReply> {
    const checked = await this.checkActor(reportId, 'adopt', actor);
    if ('kind' in checked) return checked;
    const { report } = checked;
    if (report.rollback?.outcome === 'proposed') return { kind: 'refused', text: 'A rollback of this report is waiting for approval; reject it first.' };
    const modified = report.items.filter((i) => i.change === 'modified');
    if (modified.length === 0) return { kind: 'refused', text: 'Nothing to adopt: no field differs (only whole objects are missing or extra).' };
    const source = this.sources.get(report.source);
    if (!source) return { kind: 'stale', text: `The source "${report.source}" of report #${reportId} is no longer configured.` };
    const branch = this.settings.pushMode === 'new-branch' ? `${this.settings.branchPrefix}${reportId}` : (report.gitBranch ?? source.config.branch ?? 'the configured branch');
    const objects = new Set(modified.map((i) => refKey(i))).size;
    return {
      kind: 'done',
      text: `Adopt report #${reportId}?`,
      detail:
        `${actor.name}: adopt drift report #${reportId}? The live values of ${modified.length} field(s) in ${objects} object(s) will be written into the manifests ` +
        `of ${source.git.displayUrl} and pushed to ${this.settings.pushMode === 'new-branch' ? 'a new branch' : 'the branch'} ${branch}. Reply yes or no.`,
    };
  }

  /** Adopt: writes the live values into Git, commits and pushes (see `agent/git/adopt.ts`). Approvers only. */
  async adopt(reportId: number, actor: DriftActor): Promise<DriftReply> {
    const checked = await this.checkActor(reportId, 'adopt', actor);
    if ('kind' in checked) return checked;
    const { report } = checked;
    const source = this.sources.get(report.source);
    if (!source) return { kind: 'stale', text: `The source "${report.source}" of report #${reportId} is no longer configured.` };
    if (report.rollback?.outcome === 'proposed') return { kind: 'refused', text: 'A rollback of this report is waiting for approval; reject it first.' };
    if (this.adopting.has(reportId)) return { kind: 'refused', text: `Report #${reportId} is being adopted already.` };
    this.adopting.add(reportId);
    const t0 = Date.now();
    try {
      const targets: AdoptTarget[] = report.items.map((i) => ({ group: i.group, kind: i.kind, namespace: i.namespace, name: i.name, path: i.path, change: i.change }));
      const result = await adoptLiveState({
        reportId,
        targets,
        source: source.git,
        folders: source.config.folders,
        detection: this.detection(source.config),
        readLive: (objects) => this.readLive(objects, source.config),
        push: { mode: this.settings.pushMode, branchPrefix: this.settings.branchPrefix },
        author: this.settings.author,
        actor: actor.name,
        manifests: { kubectl: null },
      });
      const subject = `drift:${reportId}`;
      switch (result.kind) {
        case 'impossible':
          await this.audit(`user:${actor.id}`, 'drift.adopt', subject, { error: result.reason, durationMs: Date.now() - t0 });
          return { kind: 'refused', text: `Cannot adopt: ${result.reason}`.slice(0, 200) };
        case 'nothing_to_adopt': {
          await this.audit(`user:${actor.id}`, 'drift.adopt', subject, { output: { committed: false, skipped: result.skipped }, durationMs: Date.now() - t0 });
          const reasons = result.skipped.slice(0, 8).map((s) => `• ${formatRef(s)}${s.path ? ` ${s.path}` : ''}: ${s.reason}`);
          return { kind: 'refused', text: 'Nothing was adopted.', detail: [`Nothing from drift report #${reportId} was written to Git:`, ...reasons].join('\n') };
        }
        case 'committed': {
          const now = this.deps.clock.now();
          const commit = {
            sha: result.sha,
            branch: result.branch,
            baseBranch: result.baseBranch,
            url: result.url,
            files: result.files,
            adopted: result.adopted.length,
            skipped: result.skipped.map((s) => ({ ref: formatRef(s), path: s.path, reason: s.reason })),
            at: now.toISOString(),
          };
          const updated = await this.deps.repository.updateReport(reportId, { status: 'adopted', statusBy: actor.name, statusAt: now, commit }, now, {
            fromStatuses: OPEN_STATUSES,
          });
          await this.audit(`user:${actor.id}`, 'drift.adopt', subject, {
            output: { sha: result.sha, branch: result.branch, base: result.baseBranch, files: result.files, adopted: result.adopted.length, skipped: result.skipped.length },
            durationMs: Date.now() - t0,
          });
          if (updated) await this.refreshCard(updated);
          const where = `${result.sha.slice(0, 8)} on ${result.branch}`;
          const skippedText = result.skipped.length ? `\nNot adopted:\n${result.skipped.slice(0, 8).map((s) => `• ${formatRef(s)}${s.path ? ` ${s.path}` : ''}: ${s.reason}`).join('\n')}` : '';
          return {
            kind: 'done',
            text: `📥 Adopted: commit ${where}.`,
            detail: `📥 Drift report #${reportId} adopted by ${actor.name}: ${result.adopted.length} field(s) in ${result.files.join(', ')}, commit ${where}${result.url ? ` (${result.url})` : ''}.${
              this.settings.pushMode === 'new-branch' ? ` Merge ${result.branch} into ${result.baseBranch} to end the drift.` : ''
            }${skippedText}`,
          };
        }
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error({ err, report: reportId }, 'adopt failed');
      await this.audit(`user:${actor.id}`, 'drift.adopt', `drift:${reportId}`, { error: message, durationMs: Date.now() - t0 });
      return { kind: 'failed', text: `Adopt failed: ${message}`.slice(0, 200), detail: `Adopt of drift report #${reportId} failed: ${message}` };
    } finally {
      this.adopting.delete(reportId);
    }
  }

  /** Live versions of Git objects, keyed by ref (absent when not in the cluster). */
  private async readLive(objects: readonly KObject[], config: DriftSourceConfig): Promise<Map<string, KObject>> {
    const out = new Map<string, KObject>();
    const pairing = { defaultNamespace: config.defaultNamespace, clusterScopedKinds: DEFAULT_CLUSTER_SCOPED_KINDS };
    for (const o of objects) {
      const ref = desiredRef(o, pairing);
      if (!ref) continue;
      const live = await this.deps.cluster.readObject({ apiVersion: o.apiVersion!, kind: ref.kind, namespace: ref.namespace || undefined, name: ref.name });
      if (live) {
        live.apiVersion ??= o.apiVersion;
        live.kind ??= ref.kind;
        out.set(refKey(ref), live);
      }
    }
    return out;
  }

  /**
   * Follows Rollback proposals: when every proposal of a report succeeded the report becomes
   * `rolled_back` (by whoever proposed it); when one ended otherwise the rollback is marked failed
   * and the buttons come back. Called when a drift remediation's outcome is heard, by scans and by `/drift`.
   * @returns how many reports changed.
   */
  async syncRollbacks(): Promise<number> {
    if (this.polling) return 0;
    this.polling = true;
    try {
      let changed = 0;
      for (const report of await this.deps.repository.reportsWithOpenRollback()) {
        const rollback = report.rollback!;
        if (rollback.proposals.length === 0) continue; // still being proposed
        const states = new Map((await this.deps.proposer.outcomes.current(rollback.proposals.map((p) => p.remediationId))).map((o) => [o.remediationId, o] as const));
        const proposals = rollback.proposals.map((p) => ({ ...p, state: states.get(p.remediationId)?.state ?? p.state }));
        const succeeded = proposals.every((p) => p.state === 'succeeded');
        const ended = proposals.some((p) => TERMINAL_STATES.includes(p.state as never) && p.state !== 'succeeded');
        const outcome: DriftRollback['outcome'] = succeeded ? 'succeeded' : ended ? 'failed' : 'proposed';
        const moved = proposals.some((p, i) => p.state !== rollback.proposals[i]!.state);
        if (!moved && outcome === rollback.outcome) continue;
        const now = this.deps.clock.now();
        const next: DriftRollback = { ...rollback, proposals, outcome };
        let updated: DriftReportRow | undefined;
        if (outcome === 'succeeded') {
          updated = await this.deps.repository.updateReport(report.id, { rollback: next, status: 'rolled_back', statusBy: rollback.proposedBy, statusAt: now }, now, { fromStatuses: OPEN_STATUSES });
          updated ??= await this.deps.repository.updateReport(report.id, { rollback: next }, now);
        } else {
          updated = await this.deps.repository.updateReport(report.id, { rollback: next }, now);
        }
        if (outcome !== 'proposed') {
          await this.audit('worker', outcome === 'succeeded' ? 'drift.rolled_back' : 'drift.rollback_failed', `drift:${report.id}`, {
            output: { proposals: proposals.map((p) => ({ remediation: p.remediationId, state: p.state, message: states.get(p.remediationId)?.message })) },
          });
        }
        if (updated) await this.refreshCard(updated);
        changed++;
      }
      return changed;
    } finally {
      this.polling = false;
    }
  }

  // --- helpers ---

  /** Role and report checks shared by every decision; refusals are audited. */
  private async checkActor(
    reportId: number,
    verb: 'acknowledge' | 'ignore' | 'rollback' | 'adopt',
    actor: DriftActor,
  ): Promise<DriftReply | { report: DriftReportRow }> {
    const report = await this.deps.repository.getReport(reportId);
    if (can(this.deps.roleOf(actor.id), `drift.${verb}`).kind === 'deny') {
      await this.audit(`user:${actor.id}`, `drift.${verb}.denied`, `drift:${reportId}`, {
        input: { user: actor.name, role: this.deps.roleOf(actor.id) ?? 'none' },
        error: 'not on the approver list',
      });
      return { kind: 'forbidden', text: '⛔ You are not on the approver list; nothing was changed.' };
    }
    if (!report) return { kind: 'stale', text: `No drift report #${reportId}. See /drift for open ones.` };
    if (!isOpen(report)) {
      await this.refreshCard(report);
      const why = report.supersededBy
        ? `superseded by report #${report.supersededBy}`
        : report.resolvedAt
          ? 'resolved (no drift any more)'
          : `${report.status.replace('_', ' ')}${report.statusBy ? ` by ${report.statusBy}` : ''}`;
      return { kind: 'stale', text: `Report #${reportId} is closed: ${why}.` };
    }
    return { report };
  }

  private async postCard(report: DriftReportRow): Promise<void> {
    if (!this.deps.chat) return;
    try {
      const ref = await this.deps.chat.postDriftCard(this.settings.chatId, buildDriftCard(report));
      await this.deps.repository.updateReport(report.id, { card: ref }, this.deps.clock.now());
      await this.audit('worker', 'drift.card.post', `drift:${report.id}`, { output: ref });
    } catch (err) {
      this.log.warn({ err, report: report.id }, 'could not post the drift card; the next scan tries again');
    }
  }

  private async refreshCard(report: DriftReportRow): Promise<void> {
    if (!this.deps.chat || !report.card) return;
    await this.deps.chat.editDriftCard(report.card, buildDriftCard(report)).catch((err) => this.log.warn({ err, report: report.id }, 'drift card edit failed'));
  }

  private async audit(actor: string, action: string, subject: string, d: { input?: unknown; output?: unknown; durationMs?: number; error?: string }): Promise<void> {
    try {
      await this.deps.audit({ actor, action, subject: subject.slice(0, 64), ...d });
    } catch (err) {
      this.log.error({ err, action, subject }, 'audit write failed');
    }
  }
}
