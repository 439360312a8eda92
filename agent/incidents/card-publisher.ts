/**
 * Card publisher: keeps the chat showing the database's truth. Posts a card per (incident,
 * remediation), edits every card of an incident when something changed (one refresh per incident
 * at a time, changes arriving meanwhile folded into one more pass), and skips edits that would
 * change nothing (an LRU of what each message last showed).
 */
import type { CardMessage, Incident, IncidentCardView, Remediation } from '../ports.ts';
import { buildIncidentCard, buildKnowledgeCard, type CardExtras } from './card-view.ts';
import type { Core } from './context.ts';

/** Messages whose last shown view is remembered (oldest forgotten first). */
const REMEMBERED_MESSAGES = 2000;

/** Posts and edits incident and knowledge cards. One per process (it holds the LRU). */
export class CardPublisher {
  private readonly refreshing = new Map<number, { again: boolean; done: Promise<void> }>();
  /** Last view sent per message (`chat:message`), to skip edits that change nothing. */
  private readonly lastShown = new Map<string, string>();

  constructor(private readonly core: Core) {}

  /**
   * Shows the incident's newest remediation: posts a card for it unless one exists (or the alert
   * group is silenced: audited as `card.suppressed`), then edits the others.
   * @param known the incident and remediation when the caller has just read them (no re-read).
   */
  async publish(incidentId: number, known: { incident?: Incident; remediation?: Remediation | null } = {}): Promise<void> {
    const { repos, clock } = this.core;
    const incident = known.incident ?? (await repos.incidents.get(incidentId));
    if (!incident) return;
    const rem = known.remediation !== undefined ? (known.remediation ?? undefined) : await repos.remediations.latestOf(incidentId);
    const cards = await repos.cards.ofIncident(incidentId);
    if (!cards.some((c) => c.remediationId === (rem?.id ?? null))) {
      const silencedUntil = await repos.silences.silencedUntil(incident.groupKey, clock.now());
      if (silencedUntil) {
        await this.core.audit('worker', 'card.suppressed', `incident:${incidentId}`, { output: { silencedUntil: silencedUntil.toISOString() } });
      } else {
        await this.post(incident, rem);
      }
    }
    await this.refresh(incidentId);
  }

  /** Posts a new card for (incident, remediation) — also while silenced (an Undo, a woken card) — then edits the others. */
  async postAndRefresh(incidentId: number, remediationId: number): Promise<void> {
    const { repos } = this.core;
    const [incident, rem] = await Promise.all([repos.incidents.get(incidentId), repos.remediations.get(remediationId)]);
    if (!incident) return;
    await this.post(incident, rem);
    await this.refresh(incidentId);
  }

  /** Posts a new card and remembers its message (audited as `card.post`). */
  private async post(incident: Incident, rem: Remediation | undefined): Promise<void> {
    const { repos, notifier, clock, settings } = this.core;
    const view = await this.viewOf(incident, rem);
    const t0 = Date.now();
    const ref = await notifier.postIncidentCard(settings.alertChatId, view);
    this.remember(`${ref.chatId}:${ref.messageId}`, JSON.stringify(view));
    await repos.cards.save({ ref, kind: 'incident', incidentId: incident.id, remediationId: rem?.id, now: clock.now() });
    await this.core.audit('worker', 'card.post', `incident:${incident.id}`, { output: { ...ref, remediation: rem?.id ?? null }, durationMs: Date.now() - t0 });
  }

  /**
   * Re-renders every card of an incident from the database: each card shows its own remediation;
   * only the newest card of a remediation keeps its buttons (older ones were re-posted below).
   */
  refresh(incidentId: number): Promise<void> {
    const running = this.refreshing.get(incidentId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.refreshNow(incidentId);
        } while (entry.again);
      } finally {
        this.refreshing.delete(incidentId);
      }
    })();
    this.refreshing.set(incidentId, entry);
    return entry.done;
  }

  /** Like {@link refresh}, logging instead of throwing (a card edit must not fail a decision). */
  async refreshQuietly(incidentId: number): Promise<void> {
    await this.refresh(incidentId).catch((err) => this.core.log.warn({ err, incident: incidentId }, 'card edit failed'));
  }

  private async refreshNow(incidentId: number): Promise<void> {
    const { repos, notifier } = this.core;
    const incident = await repos.incidents.get(incidentId);
    if (!incident) return;
    const messages = await repos.cards.ofIncident(incidentId);
    const newestOf = new Map<number | null, number>();
    for (const m of messages) newestOf.set(m.remediationId, m.messageId);
    const views = new Map<number | null, IncidentCardView>();
    for (const msg of messages) {
      let view = views.get(msg.remediationId);
      if (!view) {
        view = await this.viewOf(incident, msg.remediationId ?? undefined);
        views.set(msg.remediationId, view);
      }
      const shown = newestOf.get(msg.remediationId) === msg.messageId ? view : { ...view, actions: [], repostedBelow: true };
      await this.edit(msg, shown);
    }
  }

  private async edit(msg: CardMessage, view: IncidentCardView): Promise<void> {
    const key = `${msg.chatId}:${msg.messageId}`;
    const fingerprint = JSON.stringify(view);
    if (this.lastShown.get(key) === fingerprint) return;
    await this.core.notifier.editIncidentCard({ chatId: msg.chatId, messageId: msg.messageId }, view);
    this.remember(key, fingerprint);
  }

  private remember(key: string, fingerprint: string): void {
    this.lastShown.delete(key);
    this.lastShown.set(key, fingerprint);
    if (this.lastShown.size > REMEMBERED_MESSAGES) this.lastShown.delete(this.lastShown.keys().next().value!);
  }

  /**
   * The view of an incident's card for a remediation (none given: its newest remediation, if any).
   *
   * The approval decisions are read BEFORE the remediation row: a decision and the state change it
   * causes commit in one transaction, so a row read afterwards always shows the state that matches
   * every decision seen. (Read the other way round, a card could say "Rejected by …" while still
   * offering the Approve button of the pending state read a moment earlier.)
   * @param remediation the remediation's id, or the row when the caller just read it after its decisions
   */
  async viewOf(incident: Incident, remediation: Remediation | number | undefined): Promise<IncidentCardView> {
    const { repos, clock } = this.core;
    const id = typeof remediation === 'number' ? remediation : remediation?.id ?? (await repos.remediations.latestOf(incident.id))?.id;
    const decisions = id === undefined ? [] : await repos.remediations.decisions(id);
    const rem = id === undefined ? undefined : typeof remediation === 'object' && decisions.length === 0 ? remediation : (await repos.remediations.byIds([id]))[0];
    const [playbook, undo, silencedUntil] = await Promise.all([
      rem?.symptomsHash ? repos.knowledge.playbook(rem.symptomsHash, rem.action) : undefined,
      rem ? repos.remediations.undoOf(rem.id) : undefined,
      repos.silences.silencedUntil(incident.groupKey, clock.now()),
    ]);
    const extras: CardExtras = {};
    if (playbook) extras.trust = { score: playbook.trustScore, successes: playbook.successes, failures: playbook.failures };
    if (rem) extras.undone = undo !== undefined;
    if (silencedUntil) extras.silencedUntil = silencedUntil;
    return buildIncidentCard(incident, rem, decisions, extras);
  }

  /** Posts the review card of a knowledge entry and remembers its message. */
  async postKnowledge(id: number): Promise<void> {
    const { repos, notifier, clock, settings } = this.core;
    const entry = await repos.knowledge.get(id);
    if (!entry) return;
    const ref = await notifier.postKnowledgeCard(settings.alertChatId, buildKnowledgeCard(entry));
    await repos.cards.save({ ref, kind: `knowledge:${id}`, now: clock.now() });
  }

  /** Re-renders the review card(s) of a knowledge entry. */
  async refreshKnowledge(id: number): Promise<void> {
    const { repos, notifier } = this.core;
    const entry = await repos.knowledge.get(id);
    if (!entry) return;
    for (const ref of await repos.cards.ofKnowledge(id)) await notifier.editKnowledgeCard(ref, buildKnowledgeCard(entry));
  }
}
