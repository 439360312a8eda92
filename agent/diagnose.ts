/**
 * Diagnosis: rule analyzers over gathered evidence, then (when configured) the privacy router's
 * local model, which may only summarise and choose a catalog action. The result is stored on the
 * incident as a {@link DiagnosisRecord}.
 */
import { analyze } from '../domain/analyzers/index.ts';
import { redact } from '../domain/redaction.ts';
import type { ActionKind, Category, Evidence, Finding, TargetRef } from '../domain/diagnosis.ts';

/** What the model router answers (agent/llm/router.ts `DiagnosisOutcome`, narrowed to what is used here). */
export type ModelOutcome =
  | {
      kind: 'model';
      provider: string;
      model: string;
      summary: string;
      probableCause: string;
      category: Category;
      confidence: number;
      action: { kind: ActionKind; params: Record<string, string | number> };
      reasoning: string;
      fallbackReasons: string[];
    }
  | { kind: 'rules'; fallbackReasons: string[] }
  | { kind: 'rejected'; reason: string; fallbackReasons: string[] };

/** The model side of diagnosis; absent → rules only. */
export interface ModelDiagnoser {
  diagnose(evidence: Evidence, findings: Finding[]): Promise<ModelOutcome>;
}

/** A diagnosis as stored on the incident and shown on the card. */
export interface DiagnosisRecord {
  /** `rules` (analyzers only), `model` (a local model summarised), `none` (nothing found). */
  source: 'rules' | 'model' | 'none';
  /** `ollama/<model>` when source is model. */
  model?: string;
  category: Category;
  cause: string;
  evidence: string[];
  /** 0–1. */
  confidence: number;
  action: ActionKind;
  params: Record<string, string | number>;
  /** Every analyzer finding, best first. */
  findings: Array<{ analyzer: string; category: Category; cause: string; actions: ActionKind[] }>;
  /** Evidence that could not be read. */
  gaps: string[];
  /** Effective target (a pod widened to its Deployment). */
  target: TargetRef | null;
  /** Why the model was not used or its answer discarded. */
  fallbackReasons: string[];
}

/**
 * Diagnoses from evidence: analyzers first; then the model (if any) may refine the summary and
 * choose an action among the catalog. A model answer whose action no analyzer finding supports is
 * still accepted only when it is `escalate` or `none`, or when there are no findings at all —
 * deterministic evidence outranks a small model.
 */
export async function diagnose(evidence: Evidence, model?: ModelDiagnoser): Promise<DiagnosisRecord> {
  return redactRecord(await diagnoseRaw(evidence, model));
}

/**
 * Secrets (tokens, passwords, keys, credentials in URLs) are removed from everything the record
 * shows — it goes to the chat and the database, whatever produced it.
 */
function redactRecord(r: DiagnosisRecord): DiagnosisRecord {
  const clean = (t: string) => redact(t, { mode: 'local' }).text;
  return {
    ...r,
    cause: clean(r.cause),
    evidence: r.evidence.map(clean),
    gaps: r.gaps.map(clean),
    findings: r.findings.map((f) => ({ ...f, cause: clean(f.cause) })),
  };
}

async function diagnoseRaw(evidence: Evidence, model?: ModelDiagnoser): Promise<DiagnosisRecord> {
  const findings = analyze(evidence);
  const best = findings[0];
  const base: DiagnosisRecord = best
    ? {
        source: 'rules',
        category: best.category,
        cause: best.cause,
        evidence: best.evidence.slice(0, 8),
        confidence: best.confidence,
        action: best.actions[0] ?? 'escalate',
        params: { ...(best.params ?? {}) },
        findings: [],
        gaps: evidence.gaps,
        target: evidence.target,
        fallbackReasons: [],
      }
    : {
        source: 'none',
        category: 'unknown',
        cause: evidence.gaps.length
          ? `No diagnosis: evidence could not be read (${evidence.gaps[0]})`
          : 'No rule matched the evidence; a human should look',
        evidence: [],
        confidence: 0,
        action: 'escalate',
        params: {},
        findings: [],
        gaps: evidence.gaps,
        target: evidence.target,
        fallbackReasons: [],
      };
  base.findings = findings.slice(0, 5).map((f) => ({ analyzer: f.analyzer, category: f.category, cause: f.cause, actions: f.actions }));
  if (!model) return base;

  const outcome = await model.diagnose(evidence, findings);
  switch (outcome.kind) {
    case 'model': {
      // A strong finding outranks the model: it may not wave it away ("none") or pick an action
      // no finding supports; escalating to a human is always allowed.
      const strong = best !== undefined && best.confidence >= 0.7;
      const supported =
        !best ||
        outcome.action.kind === 'escalate' ||
        (outcome.action.kind === 'none' && !strong) ||
        findings.some((f) => f.actions.includes(outcome.action.kind));
      if (!supported) {
        return { ...base, fallbackReasons: [...outcome.fallbackReasons, `model chose ${outcome.action.kind}, which the findings do not support`] };
      }
      const categoryBacked = !best || findings.some((f) => f.category === outcome.category);
      return {
        ...base,
        source: 'model',
        model: `${outcome.provider}/${outcome.model}`,
        category: categoryBacked ? outcome.category : base.category,
        cause: outcome.probableCause || outcome.summary,
        confidence: outcome.confidence,
        action: outcome.action.kind,
        params: { ...base.params, ...outcome.action.params },
        fallbackReasons: outcome.fallbackReasons,
      };
    }
    case 'rules':
      return { ...base, fallbackReasons: outcome.fallbackReasons };
    case 'rejected':
      return { ...base, fallbackReasons: [...outcome.fallbackReasons, outcome.reason] };
  }
}
