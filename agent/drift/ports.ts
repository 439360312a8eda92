/**
 * What the drift service needs from the outside world, as ports: the chat (the bot implements
 * {@link DriftChatPort} in `bot/drift.ts`), the approval flow (the {@link Agent} satisfies
 * {@link DriftProposer}), the local model (the model router satisfies {@link DriftModel}) and the
 * audit log. `main.ts` wires them in.
 */
import type { Role } from '../../domain/authz.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';
import type { CompletionOutcome, CompletionRequest, Intent } from '../llm/router.ts';
import type { CardButton, CardRef, RemediationOutcomes } from '../ports.ts';
import type { DriftCardView } from './types.ts';

export type { CardButton, CardRef };

/** Posts and edits drift report cards. Both throw on Telegram errors (after the bot's retries). */
export interface DriftChatPort {
  postDriftCard(chatId: number, view: DriftCardView): Promise<CardRef>;
  /** Edits a posted card; "message is not modified" is not an error. */
  editDriftCard(ref: CardRef, view: DriftCardView): Promise<void>;
}

/**
 * The approval flow: what Rollback goes through (`Agent.proposeAction`), and what became of the
 * proposals (`Agent.outcomes`: heard as they happen, read once to catch up).
 */
export interface DriftProposer {
  outcomes: Pick<RemediationOutcomes, 'subscribe' | 'current'>;
  proposeAction(input: {
    key: string;
    title: string;
    summary: string;
    target: TargetRef;
    action: 'apply_manifest';
    params: Record<string, string | number>;
    category?: string;
    evidence?: string[];
    /** Where the remediation comes from (stored with it; outcomes are told with it). */
    origin?: 'drift';
    actor?: { id: number; name: string };
  }): Promise<{ incidentId: number; remediationId: number }>;
}

/** The model router's `complete` (intent `drift-interpret` is sensitive: local models only). */
export interface DriftModel {
  complete<T>(intent: Intent, request: CompletionRequest<T>): Promise<CompletionOutcome<T>>;
}

/** An audit row (as `Store.audit` takes it). */
export interface DriftAuditEntry {
  actor: string;
  action: string;
  subject?: string;
  input?: unknown;
  output?: unknown;
  durationMs?: number;
  error?: string;
}

/** Writes an audit row; `main.ts` passes `(e) => store.audit(e, new Date())`. */
export type DriftAudit = (entry: DriftAuditEntry) => Promise<void>;

/** Role of a Telegram user (`Agent.roleOf`); undefined when not an operator. */
export type RoleLookup = (userId: number) => Role | undefined;
