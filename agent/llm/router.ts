/**
 * The model router: the privacy contract of issue 3.
 *
 * - Every intent carries a sensitivity ({@link INTENT_SENSITIVITY}). `sensitive` intents
 *   (`diagnose`, `drift-interpret`) go ONLY to local models: primary, then secondary. The cloud
 *   backend is never consulted for them, whatever the configuration says.
 * - `aggregate` intents (`summary`) may use the cloud backend first when it is enabled and
 *   configured, and only with cloud-mode redaction (names, namespaces and IPs become reversible
 *   placeholders, restored in the answer); local models follow as fallbacks.
 * - Secrets are redacted before every call, local ones included.
 * - An answer is used only when it is JSON that passes the intent's zod schema (for a diagnosis:
 *   a known category and an action from the catalog). Invalid answers, timeouts, HTTP errors and
 *   network failures are discarded and the next step is tried; each leaves a fallback reason.
 * - A diagnosis nobody could answer falls back to the analyzers' best finding (`kind: 'rules'`),
 *   and only when there is no finding either is it rejected.
 * - Every model call is reported to the `audit` callback.
 */
import type { z } from 'zod';
import type { ActionKind, Category, Evidence, Finding } from '../../domain/diagnosis.ts';
import { buildDiagnosisPrompt, estimateTokens } from '../../domain/prompt.ts';
import { redact, restoreDeep } from '../../domain/redaction.ts';
import type { RedactionMode } from '../../domain/redaction.ts';
import { LOCAL_PROVIDERS, ModelCallFailed } from './backend.ts';
import type { ModelBackend, Provider } from './backend.ts';
import { checkActionParams, describeIssues, diagnosisAnswerSchema, jsonSchemaFor, parseJsonAnswer } from './schema.ts';

/** What a model is asked to do. */
export type Intent = 'diagnose' | 'drift-interpret' | 'summary';

/** `sensitive`: raw cluster data, local models only. `aggregate`: counts and summaries, cloud allowed. */
export type Sensitivity = 'sensitive' | 'aggregate';

/** The sensitivity of each intent. Adding an intent forces a decision here. */
export const INTENT_SENSITIVITY: Readonly<Record<Intent, Sensitivity>> = {
  diagnose: 'sensitive',
  'drift-interpret': 'sensitive',
  summary: 'aggregate',
};

/** Position of a backend in the route. */
export type RouteStep = 'primary' | 'secondary' | 'cloud';

/** Result of one model call: `invalid` = answered, but not JSON or outside the schema/catalog. */
export type CallOutcome = 'ok' | 'invalid' | 'timeout' | 'error';

/** One audited model call. */
export interface ModelCallRecord {
  intent: Intent;
  sensitivity: Sensitivity;
  step: RouteStep;
  provider: Provider;
  model: string;
  /** ISO-8601 start time. */
  startedAt: string;
  /** Wall time of the call in milliseconds, including validation. */
  latencyMs: number;
  /** Prompt tokens reported by the provider, when it reported them. */
  tokensIn?: number;
  /** Answer tokens reported by the provider, when it reported them. */
  tokensOut?: number;
  /** Estimated tokens of the prompt as sent (after redaction); see `estimateTokens`. */
  promptTokens: number;
  outcome: CallOutcome;
  /** Why the answer was not used (set whenever `outcome` is not `ok`). */
  fallbackReason?: string;
  /** `local`: secrets removed; `cloud`: secrets removed and identifiers replaced. */
  redaction: RedactionMode;
  /** Number of secrets removed from the prompt. */
  redactedSecrets: number;
}

/** Per-step timeouts in milliseconds. */
export interface RouterTimeouts {
  primaryMs: number;
  secondaryMs: number;
  cloudMs: number;
}

/** Defaults: 30 s per step (a 7B model on CPU needs ~10–25 s for a 3k-token prompt). */
export const DEFAULT_ROUTER_TIMEOUTS: Readonly<RouterTimeouts> = { primaryMs: 30_000, secondaryMs: 30_000, cloudMs: 30_000 };

/** Default prompt budget in estimated tokens; fits an 8k-context local model with room for the answer. */
export const DEFAULT_BUDGET_TOKENS = 3_000;

/** The logging the router needs; a pino `Logger` fits. */
export interface RouterLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options of {@link ModelRouter}. */
export interface ModelRouterOptions {
  /** First local model. Must be a local provider (`ollama`). */
  primary?: ModelBackend;
  /** Second local model, tried when the primary fails. Must be a local provider. */
  secondary?: ModelBackend;
  /** Cloud model for `aggregate` intents only. */
  cloud?: ModelBackend;
  /** Whether the cloud model may be used at all (config `CLOUD_MODEL_ENABLED`). */
  cloudEnabled: boolean;
  /** Per-step timeouts; missing entries use {@link DEFAULT_ROUTER_TIMEOUTS}. */
  timeouts?: Partial<RouterTimeouts>;
  /** Diagnosis prompt budget in estimated tokens. Default {@link DEFAULT_BUDGET_TOKENS}. */
  budgetTokens?: number;
  /**
   * Receives one record per model call, after the call. Awaited; if it throws, the error is logged
   * and routing continues (a diagnosis is not lost because the audit store hiccupped).
   */
  audit: (record: ModelCallRecord) => void | Promise<void>;
  logger?: RouterLogger;
  /** Clock for `startedAt`. Default `() => new Date()`. */
  now?: () => Date;
}

/** A request for {@link ModelRouter.complete}. */
export interface CompletionRequest<T> {
  /** Instructions. Redacted like `user`. */
  system: string;
  /** The data. */
  user: string;
  /** Schema the answer must pass; its JSON Schema is sent to the provider. */
  schema: z.ZodType<T>;
  /** Extra semantic check after the schema; return a reason to discard the answer. */
  check?: (value: T) => string | undefined;
  /** Object names to hide from cloud models (ignored for local ones). */
  names?: readonly string[];
  /** Namespaces to hide from cloud models (ignored for local ones). */
  namespaces?: readonly string[];
  /** Cancels the whole route; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Result of {@link ModelRouter.complete}. */
export type CompletionOutcome<T> =
  | {
      kind: 'answer';
      /** The validated answer, with cloud placeholders restored. */
      value: T;
      provider: Provider;
      model: string;
      step: RouteStep;
      /** Why earlier steps were skipped, in order (empty when the first step answered). */
      fallbackReasons: string[];
    }
  | { kind: 'unavailable'; fallbackReasons: string[] };

/** A catalog action with its parameters. */
export interface ProposedAction {
  kind: ActionKind;
  params: Record<string, string | number>;
}

/** Result of {@link ModelRouter.diagnose}. Switch on `kind`. */
export type DiagnosisOutcome =
  | {
      kind: 'model';
      provider: Provider;
      model: string;
      /** For the card: `ollama qwen2.5:7b`. */
      producedBy: string;
      summary: string;
      probableCause: string;
      category: Category;
      /** 0–1, as the model stated it. */
      confidence: number;
      action: ProposedAction;
      reasoning: string;
      fallbackReasons: string[];
    }
  | {
      kind: 'rules';
      /** Marks a rules-only diagnosis; the card shows it as such. */
      source: 'rules';
      /** For the card: `rules only`. */
      producedBy: string;
      /** The analyzers' best finding (highest confidence). */
      finding: Finding;
      category: Category;
      action: ProposedAction;
      summary: string;
      confidence: number;
      /** Why no model answer was used. */
      fallbackReasons: string[];
    }
  | {
      kind: 'rejected';
      /** Said in the chat: no model answered and no analyzer matched. */
      reason: string;
      fallbackReasons: string[];
    };

/** The router was wired against the privacy contract (a bug in the composition root). */
export class RouterMisconfigured extends Error {
  override readonly name = 'RouterMisconfigured';
}

interface Step {
  step: RouteStep;
  backend: ModelBackend;
  timeoutMs: number;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Routes model calls by intent sensitivity, validates answers and falls back step by step.
 *
 * @example
 * const router = new ModelRouter({ primary, secondary, cloud, cloudEnabled: false, audit: (r) => auditLog.add(r) });
 * const outcome = await router.diagnose(evidence, findings);
 * switch (outcome.kind) { case 'model': …; case 'rules': …; case 'rejected': … }
 */
export class ModelRouter {
  private readonly options: ModelRouterOptions;
  private readonly timeouts: RouterTimeouts;
  private readonly budgetTokens: number;

  /**
   * @throws RouterMisconfigured when `primary` or `secondary` is not a local provider, or the
   *   budget is not positive.
   */
  constructor(options: ModelRouterOptions) {
    for (const step of ['primary', 'secondary'] as const) {
      const b = options[step];
      if (b && !LOCAL_PROVIDERS.includes(b.provider)) {
        throw new RouterMisconfigured(`${step} model must be local (${LOCAL_PROVIDERS.join(', ')}), got ${b.provider}/${b.model}`);
      }
    }
    const budget = options.budgetTokens ?? DEFAULT_BUDGET_TOKENS;
    if (!(budget > 0)) throw new RouterMisconfigured(`budgetTokens must be > 0, got ${budget}`);
    this.options = options;
    this.budgetTokens = budget;
    this.timeouts = { ...DEFAULT_ROUTER_TIMEOUTS, ...options.timeouts };
  }

  /**
   * Diagnoses evidence with local models only (the `diagnose` intent is sensitive): primary, then
   * secondary, then the analyzers' best finding, then rejection.
   *
   * @param evidence gathered evidence; packed into the budget and secret-redacted before sending.
   * @param findings the rule analyzers' findings (may be empty).
   * @param options `signal` cancels the route (the promise rejects with its reason).
   */
  async diagnose(evidence: Evidence, findings: readonly Finding[], options: { signal?: AbortSignal } = {}): Promise<DiagnosisOutcome> {
    const prompt = buildDiagnosisPrompt(evidence, findings, { budgetTokens: this.budgetTokens });
    const result = await this.complete('diagnose', {
      system: prompt.system,
      user: prompt.user,
      schema: diagnosisAnswerSchema,
      check: (answer) => checkActionParams(answer.action),
      signal: options.signal,
    });
    if (result.kind === 'answer') {
      const a = result.value;
      return {
        kind: 'model',
        provider: result.provider,
        model: result.model,
        producedBy: `${result.provider} ${result.model}`,
        summary: a.summary,
        probableCause: a.probableCause,
        category: a.category,
        confidence: a.confidence,
        action: { kind: a.action.kind, params: a.action.params },
        reasoning: a.reasoning,
        fallbackReasons: result.fallbackReasons,
      };
    }
    const best = bestFinding(findings);
    if (best) {
      return {
        kind: 'rules',
        source: 'rules',
        producedBy: 'rules only',
        finding: best,
        category: best.category,
        action: { kind: best.actions[0] ?? 'escalate', params: { ...best.params } },
        summary: best.cause,
        confidence: best.confidence,
        fallbackReasons: result.fallbackReasons,
      };
    }
    return {
      kind: 'rejected',
      reason: 'No model produced a valid diagnosis and no rule analyzer matched the evidence; a human needs to look.',
      fallbackReasons: result.fallbackReasons,
    };
  }

  /**
   * Runs one intent through its route and returns the first answer that passes `request.schema`
   * (and `request.check`), or `unavailable` with every step's fallback reason.
   *
   * @example
   * const drift = await router.complete('drift-interpret', { system, user, schema: driftIntentSchema });
   * if (drift.kind === 'answer') use(drift.value);
   * @throws the signal's reason when `request.signal` aborts.
   */
  async complete<T>(intent: Intent, request: CompletionRequest<T>): Promise<CompletionOutcome<T>> {
    const fallbackReasons: string[] = [];
    const jsonSchema = jsonSchemaFor(request.schema);
    for (const item of this.route(intent)) {
      request.signal?.throwIfAborted();
      if (!item.backend) {
        fallbackReasons.push(`${item.step}: no local model configured`);
        continue;
      }
      const step: Step = { ...item, backend: item.backend };
      const attempt = await this.attempt(intent, step, request, jsonSchema);
      if (attempt.ok) {
        return { kind: 'answer', value: attempt.value, provider: step.backend.provider, model: step.backend.model, step: step.step, fallbackReasons };
      }
      fallbackReasons.push(attempt.reason);
    }
    request.signal?.throwIfAborted();
    return { kind: 'unavailable', fallbackReasons };
  }

  /**
   * The steps an intent may use, in order. Local slots are listed even when empty (they leave a
   * fallback reason when reached); the cloud appears only for aggregate intents when enabled.
   */
  private route(intent: Intent): Array<Omit<Step, 'backend'> & { backend: ModelBackend | undefined }> {
    const { primary, secondary, cloud, cloudEnabled } = this.options;
    const cloudAllowed = INTENT_SENSITIVITY[intent] === 'aggregate' && cloudEnabled && cloud !== undefined;
    return [
      ...(cloudAllowed ? [{ step: 'cloud' as const, backend: cloud, timeoutMs: this.timeouts.cloudMs }] : []),
      { step: 'primary', backend: primary, timeoutMs: this.timeouts.primaryMs },
      { step: 'secondary', backend: secondary, timeoutMs: this.timeouts.secondaryMs },
    ];
  }

  /** One call: redact, send, parse, restore, validate, audit. Never throws except on caller abort. */
  private async attempt<T>(intent: Intent, item: Step, request: CompletionRequest<T>, jsonSchema: Record<string, unknown>): Promise<Attempt<T>> {
    const { backend, step } = item;
    const mode: RedactionMode = LOCAL_PROVIDERS.includes(backend.provider) ? 'local' : 'cloud';
    const hints = mode === 'cloud' ? { names: request.names, namespaces: request.namespaces } : {};
    const sys = redact(request.system, { mode, ...hints });
    const usr = redact(request.user, { mode, ...hints, mapping: sys.mapping });
    const label = `${step} ${backend.provider}/${backend.model}`;
    const startedAt = (this.options.now ?? (() => new Date()))().toISOString();
    const t0 = performance.now();

    let outcome: CallOutcome = 'ok';
    let reason: string | undefined;
    let tokens: { tokensIn?: number; tokensOut?: number } = {};
    let value: T | undefined;
    try {
      const res = await backend.chatJson({ system: sys.text, user: usr.text, jsonSchema, timeoutMs: item.timeoutMs, signal: request.signal });
      tokens = { tokensIn: res.tokensIn, tokensOut: res.tokensOut };
      const parsed = parseJsonAnswer(res.content);
      if (!parsed.ok) {
        outcome = 'invalid';
        reason = parsed.reason;
      } else {
        const checked = request.schema.safeParse(restoreDeep(parsed.value, usr.mapping));
        if (!checked.success) {
          outcome = 'invalid';
          reason = `answer violates the schema: ${describeIssues(checked.error)}`;
        } else {
          const problem = request.check?.(checked.data);
          if (problem) {
            outcome = 'invalid';
            reason = `answer rejected: ${problem}`;
          } else {
            value = checked.data;
          }
        }
      }
    } catch (err) {
      if (err instanceof ModelCallFailed && err.kind === 'timeout') {
        outcome = 'timeout';
        reason = err.detail;
      } else {
        outcome = 'error';
        reason = err instanceof ModelCallFailed ? err.detail : `unexpected backend error: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    const latencyMs = Math.round(performance.now() - t0);
    const fallbackReason = reason === undefined ? undefined : `${label}: ${reason}`;

    await this.emitAudit({
      intent,
      sensitivity: INTENT_SENSITIVITY[intent],
      step,
      provider: backend.provider,
      model: backend.model,
      startedAt,
      latencyMs,
      ...tokens,
      promptTokens: estimateTokens(sys.text) + estimateTokens(usr.text),
      outcome,
      ...(fallbackReason ? { fallbackReason } : {}),
      redaction: mode,
      redactedSecrets: countSecrets(sys.secrets) + countSecrets(usr.secrets),
    });

    if (value !== undefined && outcome === 'ok') {
      this.options.logger?.debug({ intent, step, provider: backend.provider, model: backend.model, latencyMs }, 'model answered');
      return { ok: true, value };
    }
    this.options.logger?.warn({ intent, step, provider: backend.provider, model: backend.model, outcome, reason }, 'model answer discarded, falling back');
    return { ok: false, reason: fallbackReason ?? `${label}: no answer` };
  }

  private async emitAudit(record: ModelCallRecord): Promise<void> {
    try {
      await this.options.audit(record);
    } catch (err) {
      this.options.logger?.warn({ err, record }, 'model call audit failed');
    }
  }
}

/** The finding with the highest confidence (the first one on ties), or undefined when there is none. */
export function bestFinding(findings: readonly Finding[]): Finding | undefined {
  let best: Finding | undefined;
  for (const f of findings) if (!best || f.confidence > best.confidence) best = f;
  return best;
}

function countSecrets(secrets: Readonly<Record<string, number>>): number {
  return Object.values(secrets).reduce((a, b) => a + b, 0);
}
