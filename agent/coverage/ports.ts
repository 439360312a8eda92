/**
 * What the coverage service needs from the outside world (posting the digest, proposing actions)
 * and the views it hands to the bot. Views are data; bot/coverage.ts renders them.
 */
import type { ActionKind, TargetRef } from '../../domain/diagnosis.ts';
import type { AssetKind, CellEvidence, CellStatus, Dimension } from '../../domain/coverage/types.ts';
import type { RuleTemplate } from '../../domain/coverage/rule-templates.ts';
import type { RemediationOutcomes } from '../ports.ts';

/** A person asking from the chat. */
export interface CoverageActor {
  id: number;
  name: string;
}

/**
 * Proposes a catalog action through the normal approval flow, and tells what became of the
 * proposals. {@link Agent} implements it (`Agent.proposeAction`, `Agent.outcomes`); tests may pass
 * a stub.
 */
export interface ActionProposer {
  /** Outcomes of remediations: heard as they happen, read for proposals still open. */
  outcomes: Pick<RemediationOutcomes, 'subscribe' | 'current'>;
  proposeAction(input: {
    key: string;
    title: string;
    summary: string;
    target: TargetRef;
    action: ActionKind;
    params: Record<string, string | number>;
    category?: string;
    evidence?: string[];
    actor?: CoverageActor;
    /** Where the remediation comes from (stored with it; outcomes are told with it). */
    origin?: 'coverage';
  }): Promise<{ incidentId: number; remediationId: number }>;
}

/** Green ratio and counts of one dimension in the digest or summary. */
export interface DimensionLine {
  dimension: Dimension;
  label: string;
  green: number;
  yellow: number;
  red: number;
  unknown: number;
  /** Green / known cells, 0–1; null when every cell is unknown. */
  ratio: number | null;
  /** Change since the comparison evaluation, percentage points; undefined when there is none. */
  deltaPp?: number | null;
  /** The source's error when the dimension is unknown. */
  error?: string;
}

/** A red asset worth attention. */
export interface RedAssetLine {
  ref: string;
  label: string;
  kind: AssetKind;
  critical: boolean;
  red: Dimension[];
  /** Why of its first red cell. */
  why?: string;
}

/** The latest evaluation, summarised (`/coverage`). */
export interface CoverageSummaryView {
  evaluationId: number;
  evaluatedAt: Date;
  /** IANA time zone to show times in. */
  timezone: string;
  assets: number;
  /** Assets per kind. */
  byKind: Partial<Record<AssetKind, number>>;
  dimensions: DimensionLine[];
  overall: number | null;
  /** Critical-namespace patterns (for the text). */
  criticalNamespaces: readonly string[];
  topRed: RedAssetLine[];
  /** Last discovery run. */
  discovery?: { at: Date; status: string; errors: Record<string, string> };
}

/** The daily digest: the summary plus the change since yesterday and a picture. */
export interface CoverageDigestView extends CoverageSummaryView {
  /** The evaluation compared with (latest at or before 24 h earlier). */
  previous?: { evaluationId: number; evaluatedAt: Date; overall: number | null; assets: number };
  overallDeltaPp?: number | null;
  changes?: { turnedRed: number; turnedGreen: number; added: number; removed: number; newlyRed: RedAssetLine[] };
  /** Rows in the picture and of how many assets. */
  picture: { rows: number; of: number };
}

/** One asset with its evidence (`/coverage <namespace>/<name>`). */
export interface AssetCoverageView {
  assetId: number;
  ref: string;
  kind: AssetKind;
  namespace: string;
  name: string;
  owner?: string;
  internalIp?: string;
  labels: Record<string, string>;
  members: number;
  critical: boolean;
  firstSeenAt: Date;
  lastSeenAt: Date;
  goneAt?: Date;
  evaluatedAt?: Date;
  cells: Array<{ dimension: Dimension; label: string; status: CellStatus; evidence: CellEvidence; changedAt?: Date }>;
  /** `/coverage fix` can propose a rule: a workload whose alerting or rule-creation cell is not green. */
  fixable: boolean;
}

/** Outcome of looking an asset up by what someone typed. */
export type AssetLookup =
  | { kind: 'found'; asset: AssetCoverageView }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'not_found'; query: string; suggestions: string[] }
  | { kind: 'invalid'; message: string };

/** Outcome of `/coverage fix`. */
export type RuleProposalOutcome =
  | {
      kind: 'proposed';
      ref: string;
      ruleName: string;
      namespace: string;
      incidentId: number;
      remediationId: number;
      included: Array<{ template: RuleTemplate; alert: string }>;
      skipped: Array<{ template: RuleTemplate; why: string }>;
      /** An open proposal for this asset already existed; its card stands. */
      alreadyOpen: boolean;
    }
  | { kind: 'not_needed'; ref: string; why: string }
  | { kind: 'unsupported'; ref: string; why: string }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'not_found'; query: string; suggestions: string[] }
  | { kind: 'invalid'; message: string };

/** The digest as posted. */
export interface DigestPicture {
  png: Uint8Array;
  /** Caption under the picture (≤ 1024 characters). */
  caption: string;
}

/** Where each part of a posted digest went. */
export interface DigestPostResult {
  textMessageId: number;
  photo: { kind: 'sent'; messageId: number } | { kind: 'failed'; error: string } | { kind: 'skipped' };
}

/**
 * Posts the digest to a chat: the text, then the picture (`sendPhoto`). A picture that cannot be
 * sent must not lose the text: implementations post the text first and report the photo failure.
 * Implemented by the bot (bot/coverage.ts).
 * @throws when the text cannot be posted (Telegram error after retries).
 */
export interface CoverageNotifier {
  postDigest(chatId: number, digest: CoverageDigestView, picture?: DigestPicture): Promise<DigestPostResult>;
}
