/**
 * The drift service's data: report rows as the service reads them, what is stored inside them,
 * and the card views the bot renders.
 */
import type { DriftItem, DriftLevel } from '../../domain/drift/index.ts';
import type { DriftReportStatus } from '../../entities/drift.ts';
import type { CardButton } from '../ports.ts';

export type { DriftReportStatus };

/** A drift item as stored in a report: the domain item plus where Git declares the object. */
export interface StoredDriftItem extends DriftItem {
  /** Manifest file relative to the repository root, with `:line` when known. */
  readonly file?: string;
}

/** What a drift probably is. */
export type DriftIntent = 'emergency_hotfix' | 'human_error' | 'automated_change' | 'unknown';

/** The interpretation of a report: by the local model, or by rules when no model answered. */
export interface DriftInterpretation {
  intent: DriftIntent;
  explanation: string;
  risk: 'low' | 'medium' | 'high';
  /** 0–1. */
  confidence: number;
  /** `model`: a local model answered; `rules`: the rules-based fallback. */
  source: 'model' | 'rules';
  /** `ollama/qwen2.5:7b` when `source` is `model`. */
  model?: string;
  /** Why no model answer was used (rules only). */
  fallbackReasons?: string[];
}

/** Manifest problems of a scan (a malformed file is reported with its line; the rest is scanned). */
export interface DriftProblems {
  errors: Array<{ file: string; line?: number; column?: number; message: string }>;
  warnings: string[];
}

/** One approval proposal made by Rollback (one per namespace, so each is scored on its own). */
export interface RollbackProposal {
  namespace: string;
  incidentId: number;
  remediationId: number;
  /** Last known remediation state (`pending`, `succeeded`, `failed`, …). */
  state: string;
  objects: number;
}

/** What Rollback did. */
export interface DriftRollback {
  proposedBy: string;
  proposedAt: string;
  proposals: RollbackProposal[];
  /** Objects not rolled back (Secrets, objects only in the cluster), with why. */
  notes: string[];
  /** `proposed` while any proposal is open; `succeeded` when all succeeded; `failed` when one ended otherwise. */
  outcome: 'proposed' | 'succeeded' | 'failed';
}

/** The adopt commit. */
export interface DriftCommit {
  sha: string;
  branch: string;
  baseBranch: string;
  url?: string;
  files: string[];
  adopted: number;
  skipped: Array<{ ref: string; path: string; reason: string }>;
  at: string;
}

/** A report as the service reads it. */
export interface DriftReportRow {
  id: number;
  source: string;
  fingerprint: string;
  items: StoredDriftItem[];
  counts: Record<DriftLevel, number>;
  gitObjects: Array<Record<string, unknown>>;
  interpretation: DriftInterpretation | null;
  status: DriftReportStatus;
  statusBy: string | null;
  statusAt: Date | null;
  gitSha: string | null;
  gitBranch: string | null;
  problems: DriftProblems;
  rollback: DriftRollback | null;
  commit: DriftCommit | null;
  card: { chatId: number; messageId: number } | null;
  supersededBy: number | null;
  resolvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One object of a report, with its items (for cards and `/drift <id>`). */
export interface DriftObjectView {
  /** `shop/Deployment.apps/web`. */
  ref: string;
  file?: string;
  items: Array<{ level: DriftLevel; change: StoredDriftItem['change']; path: string; git: string; live: string }>;
}

/** What a drift report card shows, as data; `bot/drift.ts` renders it. */
export interface DriftCardView {
  reportId: number;
  source: string;
  status: DriftReportStatus;
  statusBy?: string;
  statusAt?: Date;
  createdAt: Date;
  counts: Record<DriftLevel, number>;
  itemCount: number;
  /** Objects with their items; the card shows the first few, `/drift <id>` all. */
  objects: DriftObjectView[];
  interpretation?: DriftInterpretation;
  git?: { sha?: string; branch?: string };
  problems: DriftProblems;
  rollback?: DriftRollback;
  commit?: DriftCommit;
  supersededBy?: number;
  resolvedAt?: Date;
  buttons: CardButton[];
}

/** Card verbs and their one-letter codes in callback data `wd:<code>:<report id>`. */
export const DRIFT_VERBS = { r: 'rollback', a: 'adopt', k: 'acknowledge', i: 'ignore', d: 'details' } as const;
export type DriftVerb = (typeof DRIFT_VERBS)[keyof typeof DRIFT_VERBS];

/** Callback data of a drift card button (≤ 64 bytes: `wd:r:123456`). */
export function driftCallbackData(verb: DriftVerb, reportId: number): string {
  const code = (Object.entries(DRIFT_VERBS).find(([, v]) => v === verb) ?? ['?'])[0];
  return `wd:${code}:${reportId}`;
}

/** Parses drift callback data; undefined when it is not a drift button. */
export function parseDriftCallback(data: string): { verb: DriftVerb; reportId: number } | undefined {
  const m = /^wd:([a-z]):(\d{1,12})$/.exec(data);
  if (!m) return undefined;
  const verb = DRIFT_VERBS[m[1] as keyof typeof DRIFT_VERBS];
  return verb ? { verb, reportId: Number(m[2]) } : undefined;
}
