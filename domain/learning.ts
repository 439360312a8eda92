/**
 * Learning from outcomes: the symptoms hash that keys playbooks, the EWMA trust score, runbook
 * drafts for verified successes, anti-patterns for failures, and fine-tuning records.
 *
 * Pure: no I/O, no clock (times are passed in). Hashing is FNV-1a 64 ({@link fnv1a64}).
 */
import type { ActionKind, Category, Finding, TargetRef } from './diagnosis.ts';
import { formatTarget } from './diagnosis.ts';
import { fnv1a64, stableStringify } from './drift/fingerprint.ts';
import { isIPv6, redact } from './redaction.ts';

// ---------------------------------------------------------------------------------------------
// Symptoms hash
// ---------------------------------------------------------------------------------------------

/**
 * The parts of a failure that identify it for learning. Everything here goes into the hash, after
 * normalisation; nothing else does.
 */
export interface SymptomSignature {
  /** Kind of the workload (`Deployment`, `StatefulSet`…; `Pod` for a bare pod). */
  targetKind: string;
  /** Namespace: the same workload name in `shop-staging` and `shop-prod` is a different playbook. */
  namespace: string;
  /** Workload name; pod names are reduced to their workload part (see {@link workloadNameOf}). */
  workload: string;
  category: Category | string;
  /** Analyzer that produced the finding, e.g. `pod.crash_loop`. */
  analyzer: string;
  /** The finding's cause sentence; variable parts are removed by {@link normaliseCause}. */
  cause: string;
  /** Exit code of the failing container, reduced to its class ({@link exitCodeClass}). */
  exitCode?: number;
}

/**
 * Findings about a target, as the analyzers return them (best first). Only the first (primary)
 * finding is hashed: secondary findings come and go with timing (an event that expired, a probe
 * that had not failed yet) and would make the same failure hash differently.
 */
export interface FindingsSymptoms {
  target: TargetRef;
  findings: readonly Finding[];
  /**
   * The workload that owns the target's pods, when the evidence gatherer resolved it (e.g. the
   * Deployment of a pod named by the alert). Preferred over `target`, so a pod alert and a
   * deployment alert for the same failure hash alike.
   */
  workload?: { kind: string; name: string };
}

/** Input of {@link symptomsHash}: a ready signature, or findings about a target. */
export type SymptomsInput = SymptomSignature | FindingsSymptoms;

/**
 * A 16-hex-digit hash of a failure's symptoms that keys playbooks, trust scores and anti-patterns.
 *
 * Included: workload kind, namespace, workload name, category, analyzer, the normalised cause
 * text and the exit code class — so the same failure of the same workload hashes equal again,
 * while a different category, analyzer, workload, namespace or cause differs.
 *
 * Excluded (normalised away), because they change every time the same failure recurs: pod names
 * and their ReplicaSet hashes and random suffixes, StatefulSet ordinals, timestamps, IP addresses,
 * UIDs, image digests and other long hex strings, and every number (restart counts, replica counts,
 * memory limits, durations, revisions). The exact exit code is reduced to its class (1 and 2 are
 * both "application error"; 137 is SIGKILL).
 *
 * @param input a {@link SymptomSignature}, or findings about a target.
 * @returns 16 lowercase hex digits.
 * @example symptomsHash({ target, findings: analyze(evidence) }) // '3f5c0e4d9a1b2c7e'
 */
export function symptomsHash(input: SymptomsInput): string {
  const sig = 'findings' in input ? signatureOf(input) : input;
  const exitCode = sig.exitCode ?? exitCodeIn(sig.cause);
  return fnv1a64(
    stableStringify([
      'symptoms/v1',
      sig.targetKind,
      sig.namespace,
      workloadNameOf(sig.targetKind, sig.workload),
      sig.category,
      sig.analyzer,
      normaliseCause(sig.cause),
      exitCodeClass(exitCode),
    ]),
  );
}

/**
 * The signature of findings about a target: the primary finding's category, analyzer and cause
 * (`unknown`/`none`/empty when there is none), and the exit code found in its cause or evidence.
 */
export function signatureOf(input: FindingsSymptoms): SymptomSignature {
  const primary = input.findings[0];
  const workload = input.workload ?? { kind: input.target.kind, name: input.target.name };
  const exitCode = primary ? (exitCodeIn(primary.cause) ?? firstDefined(primary.evidence.map(exitCodeIn))) : undefined;
  return {
    targetKind: workload.kind,
    namespace: input.target.namespace,
    workload: workload.name,
    category: primary?.category ?? 'unknown',
    analyzer: primary?.analyzer ?? 'none',
    cause: primary?.cause ?? '',
    ...(exitCode !== undefined ? { exitCode } : {}),
  };
}

/** Characters Kubernetes uses for generated name suffixes (`k8s.io/apimachinery/pkg/util/rand`): no vowels, no 0/1/3. */
const K8S_RAND = '[bcdfghjklmnpqrstvwxz2456789]';

/**
 * The workload part of a name: for a Pod, the Deployment-style `web-7c9d8f6b4-x2kqz` → `web`,
 * the DaemonSet/Job-style `agent-x2kqz` → `agent`, the StatefulSet-style `db-0` → `db`; for a Job
 * created by a CronJob, `db-backup-29012345` → `db-backup` (the suffix is the scheduled minute).
 * Other kinds are returned unchanged (their names are stable).
 */
export function workloadNameOf(kind: string, name: string): string {
  if (kind === 'Job') return name.replace(/-\d{8,}$/, '');
  if (kind !== 'Pod') return name;
  return name
    .replace(new RegExp(`-${K8S_RAND}{6,10}-${K8S_RAND}{5}$`), '')
    .replace(new RegExp(`-${K8S_RAND}{5}$`), '')
    .replace(/-\d+$/, '');
}

/** Lower-case IPv6 candidates, validated with {@link isIPv6}. */
const IPV6_CANDIDATE = /(?<![0-9a-z:.])(?=[0-9a-f:]*:[0-9a-f:]*:)[0-9a-f:]+(?:\.\d{1,3}){0,3}(?![0-9a-z:])/g;

/**
 * A cause sentence without its variable parts, lower-cased, in this order: timestamps → `<time>`,
 * UIDs → `<uid>`, `sha256:` digests and hex strings of 12+ digits → `<hash>`, IPv4/IPv6 addresses
 * (with port) → `<ip>`, generated pod/ReplicaSet suffixes → `-<pod>`, numbers → `#`, then
 * whitespace collapsed.
 *
 * @example normaliseCause('Pod web-7c9d8f6b4-x2kqz restarted 12 times at 2024-05-01T10:00:00Z')
 * // 'pod web-<pod> restarted # times at <time>'
 */
export function normaliseCause(cause: string): string {
  return cause
    .toLowerCase()
    .replace(/\b\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?/g, '<time>')
    .replace(/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uid>')
    .replace(/\b(?:sha256|sha512|docker|containerd|cri-o):(?:\/\/)?[0-9a-f]{12,}\b/g, '<hash>')
    .replace(/\b[0-9a-f]{12,}\b/g, '<hash>')
    .replace(IPV6_CANDIDATE, (m) => (isIPv6(m) ? '<ip>' : m))
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '<ip>')
    .replace(new RegExp(`-${K8S_RAND}{6,10}-${K8S_RAND}{5}\\b`, 'g'), '-<pod>')
    .replace(new RegExp(`(?<=[a-z0-9])-${K8S_RAND}{5,10}\\b`, 'g'), '-<pod>')
    .replace(/\d+(?:\.\d+)?/g, '#')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The class of an exit code, so that symptoms hash by meaning, not by number:
 * `none` (not reported), `success` (0), `not_executable` (126), `not_found` (127),
 * `start_failure` (128), `signal_<n>` (129–159, killed by signal n: 137 → `signal_9`,
 * 143 → `signal_15`), otherwise `app_error`.
 */
export function exitCodeClass(code: number | undefined): string {
  if (code === undefined || !Number.isFinite(code)) return 'none';
  if (code === 0) return 'success';
  if (code === 126) return 'not_executable';
  if (code === 127) return 'not_found';
  if (code === 128) return 'start_failure';
  if (code > 128 && code < 160) return `signal_${code - 128}`;
  return 'app_error';
}

function exitCodeIn(text: string): number | undefined {
  const m = /exit code (-?\d+)/i.exec(text);
  return m ? Number(m[1]) : undefined;
}

function firstDefined<T>(values: ReadonlyArray<T | undefined>): T | undefined {
  return values.find((v) => v !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Trust score
// ---------------------------------------------------------------------------------------------

/**
 * Trust of a playbook before any verified outcome: 0.5, neither trusted nor distrusted. Starting
 * from the first outcome instead would give full trust (1.0) after a single lucky success.
 */
export const EWMA_PRIOR = 0.5;

/**
 * One step of the exponentially weighted moving average of verified outcomes:
 * `α·outcome + (1 − α)·previous`, starting from {@link EWMA_PRIOR} when there is no previous value.
 *
 * @param previous the current trust score (0–1), or undefined for a new playbook.
 * @param outcome 1 for a verified success, 0 for a failure.
 * @param alpha smoothing factor, 0 < α ≤ 1 (config `TRUST_ALPHA`, default 0.3); α = 1 keeps only the latest outcome.
 * @throws RangeError for α outside (0, 1], an outcome other than 0/1, or a previous value outside [0, 1].
 * @example ewma(undefined, 1, 0.3) // 0.65
 */
export function ewma(previous: number | undefined, outcome: 0 | 1, alpha: number): number {
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`ewma: alpha must be in (0, 1], got ${alpha}`);
  if (outcome !== 0 && outcome !== 1) throw new RangeError(`ewma: outcome must be 0 or 1, got ${String(outcome)}`);
  if (previous !== undefined && !(previous >= 0 && previous <= 1)) {
    throw new RangeError(`ewma: previous must be in [0, 1], got ${previous}`);
  }
  const prev = previous ?? EWMA_PRIOR;
  return alpha * outcome + (1 - alpha) * prev;
}

/**
 * The trust score after a sequence of outcomes, oldest first ({@link ewma} folded from the prior).
 * @example trustScore([1, 1, 0], 0.5) // 0.4375
 */
export function trustScore(outcomes: ReadonlyArray<0 | 1>, alpha: number, prior?: number): number {
  if (outcomes.length === 0) {
    ewma(prior, 1, alpha); // validates alpha and prior
    return prior ?? EWMA_PRIOR;
  }
  return outcomes.reduce<number | undefined>((score, outcome) => ewma(score, outcome, alpha), prior) as number;
}

// ---------------------------------------------------------------------------------------------
// Runbook drafts and anti-patterns
// ---------------------------------------------------------------------------------------------

/** A verified success to turn into a runbook draft. */
export interface RunbookInput {
  symptomsHash: string;
  target: TargetRef;
  category: Category | string;
  /** The diagnosis cause sentence. */
  cause: string;
  /** Evidence lines that proved it (redacted again here: secrets never reach a runbook). */
  evidence: readonly string[];
  action: ActionKind;
  /** Human wording of the action taken, e.g. `rollout restart deployment/web`. */
  actionDescription: string;
  /** What verification saw, e.g. `rollout complete, 3/3 pods ready, no restarts in 120 s`. */
  verification: string;
  /** When the incident started (the alert's `startsAt`). */
  detectedAt: Date;
  /** When verification succeeded. */
  recoveredAt: Date;
}

/** A runbook entry draft, sent as a review card (publish / discard). */
export interface RunbookDraft {
  symptomsHash: string;
  title: string;
  /** Milliseconds from detection to verified recovery (0 if the clocks disagree). */
  timeToRecoverMs: number;
  /** Markdown body: symptoms, evidence, action taken, verification, time to recover. */
  markdown: string;
}

/** Most evidence lines copied into a runbook. */
export const RUNBOOK_MAX_EVIDENCE_LINES = 12;

/**
 * Drafts a runbook entry for a verified success.
 *
 * @param input the incident, the action and what verification saw.
 * @returns the draft; evidence lines are redacted (secrets) and fenced, at most {@link RUNBOOK_MAX_EVIDENCE_LINES}.
 * @example draftRunbook(input).title // 'crash_loop on shop/Deployment/web: restart'
 */
export function draftRunbook(input: RunbookInput): RunbookDraft {
  const ttr = Math.max(0, input.recoveredAt.getTime() - input.detectedAt.getTime());
  const title = `${input.category} on ${formatTarget(input.target)}: ${input.action}`;
  const evidence = input.evidence.slice(0, RUNBOOK_MAX_EVIDENCE_LINES).map((line) => redact(line, { mode: 'local' }).text);
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(evidence.join('\n')) + 1));
  const lines = [
    `# ${title}`,
    '',
    `Symptoms hash: \`${input.symptomsHash}\``,
    '',
    '## Symptoms',
    redact(input.cause, { mode: 'local' }).text,
    '',
    '## Evidence',
    ...(evidence.length > 0 ? [fence, ...evidence, fence] : ['(none recorded)']),
    '',
    '## Action taken',
    `${input.actionDescription} (\`${input.action}\`)`,
    '',
    '## Verification',
    input.verification,
    '',
    '## Time to recover',
    formatDuration(ttr),
    '',
  ];
  return { symptomsHash: input.symptomsHash, title, timeToRecoverMs: ttr, markdown: lines.join('\n') };
}

/** Days an anti-pattern blocks auto-execution (the 7 days). */
export const ANTI_PATTERN_TTL_DAYS = 7;

/** A failed action for a symptoms hash, which blocks auto-execution of that action for that hash until it expires. */
export interface AntiPattern {
  symptomsHash: string;
  action: ActionKind;
  target: TargetRef;
  /** Why it failed, in words (verification result, error). */
  reason: string;
  recordedAt: Date;
  /** `recordedAt` + {@link ANTI_PATTERN_TTL_DAYS} days (or the given ttl). */
  expiresAt: Date;
}

/** A failure to record as an anti-pattern. */
export interface AntiPatternInput {
  symptomsHash: string;
  action: ActionKind;
  target: TargetRef;
  reason: string;
  now: Date;
  /** Days until it expires (default {@link ANTI_PATTERN_TTL_DAYS}). */
  ttlDays?: number;
}

/**
 * The anti-pattern record for a failed action. An empty reason becomes `no reason recorded`.
 * @throws RangeError when `now` is not a valid Date or `ttlDays` is not positive.
 */
export function antiPattern(input: AntiPatternInput): AntiPattern {
  if (Number.isNaN(input.now.getTime())) throw new RangeError('antiPattern: now is not a valid Date');
  const days = input.ttlDays ?? ANTI_PATTERN_TTL_DAYS;
  if (!(days > 0)) throw new RangeError(`antiPattern: ttlDays must be positive, got ${days}`);
  return {
    symptomsHash: input.symptomsHash,
    action: input.action,
    target: { ...input.target },
    reason: input.reason.trim() || 'no reason recorded',
    recordedAt: new Date(input.now.getTime()),
    expiresAt: new Date(input.now.getTime() + days * 24 * 60 * 60 * 1000),
  };
}

/** True while the anti-pattern blocks auto-execution (`now` before `expiresAt`). */
export function isAntiPatternActive(record: Pick<AntiPattern, 'expiresAt'>, now: Date): boolean {
  return now.getTime() < record.expiresAt.getTime();
}

// ---------------------------------------------------------------------------------------------
// Fine-tuning export
// ---------------------------------------------------------------------------------------------

/** A verified incident, as stored. */
export interface FinetuneIncident {
  /** Evidence lines as gathered (may contain secrets; they are redacted here). */
  evidence: readonly string[];
  diagnosis: { category: Category | string; cause: string; confidence: number; summary?: string };
  action: { kind: ActionKind; target: TargetRef; params?: Readonly<Record<string, string | number>> };
  outcome: { result: 'succeeded' | 'failed'; verification: string; timeToRecoverMs?: number };
}

/** One JSONL line of `watchkeeper export finetune`. */
export interface FinetuneRecord {
  evidence: string[];
  diagnosis: { category: string; cause: string; confidence: number; summary?: string };
  action: { kind: ActionKind; target: string; params: Record<string, string | number> };
  outcome: { result: 'succeeded' | 'failed'; verification: string; timeToRecoverMs?: number };
}

/**
 * The fine-tuning record of a verified incident: evidence, diagnosis, action and outcome. Secret
 * values are excluded and names kept: every text goes through {@link redact} in `local` mode
 * (`DB_PASSWORD=hunter2` → `DB_PASSWORD=[REDACTED:password]`, tokens, keys, URL credentials), and
 * object names (pods, namespaces, Secret names) stay, because the model must learn from them.
 *
 * @example JSON.stringify(finetuneRecord(incident)) // one JSONL line
 */
export function finetuneRecord(incident: FinetuneIncident): FinetuneRecord {
  const clean = (text: string) => redact(text, { mode: 'local' }).text;
  const params: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(incident.action.params ?? {})) {
    params[key] = typeof value === 'string' ? clean(`${key}=${value}`).slice(key.length + 1) : value;
  }
  const { summary } = incident.diagnosis;
  const { timeToRecoverMs } = incident.outcome;
  return {
    evidence: incident.evidence.map(clean),
    diagnosis: {
      category: incident.diagnosis.category,
      cause: clean(incident.diagnosis.cause),
      confidence: incident.diagnosis.confidence,
      ...(summary !== undefined ? { summary: clean(summary) } : {}),
    },
    action: { kind: incident.action.kind, target: formatTarget(incident.action.target), params },
    outcome: {
      result: incident.outcome.result,
      verification: clean(incident.outcome.verification),
      ...(timeToRecoverMs !== undefined ? { timeToRecoverMs } : {}),
    },
  };
}

/** `1 h 2 min 5 s`, `4 min 0 s`, `12 s`. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${m} min ${s} s`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
