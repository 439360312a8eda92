/**
 * Public entry of the model adapters: backends, the privacy router and a factory that wires them
 * from the `models` section of the configuration.
 */
import { AnthropicBackend } from './anthropic.ts';
import { OllamaBackend } from './ollama.ts';
import { ModelRouter } from './router.ts';
import type { ModelCallRecord, RouterLogger } from './router.ts';

export { LOCAL_PROVIDERS, ModelCallFailed } from './backend.ts';
export type { ChatJsonRequest, ChatJsonResult, ModelBackend, ModelFailureKind, Provider } from './backend.ts';
export { OllamaBackend } from './ollama.ts';
export type { OllamaBackendOptions } from './ollama.ts';
export { AnthropicBackend } from './anthropic.ts';
export type { AnthropicBackendOptions } from './anthropic.ts';
export { checkActionParams, diagnosisAnswerSchema, jsonSchemaFor, parseJsonAnswer } from './schema.ts';
export { structuredOutputSchema } from './anthropic.ts';
export type { DiagnosisAnswer } from './schema.ts';
export {
  bestFinding,
  DEFAULT_BUDGET_TOKENS,
  DEFAULT_ROUTER_TIMEOUTS,
  INTENT_SENSITIVITY,
  ModelRouter,
  RouterMisconfigured,
} from './router.ts';
export type {
  CallOutcome,
  CompletionOutcome,
  CompletionRequest,
  DiagnosisOutcome,
  Intent,
  ModelCallRecord,
  ModelRouterOptions,
  ProposedAction,
  RouteStep,
  RouterLogger,
  RouterTimeouts,
  Sensitivity,
} from './router.ts';

/** The model settings the factory needs (structurally the `models` section of the config). */
export interface ModelSettings {
  /** Ollama server URL. */
  ollamaHost: string;
  /** Primary local model and its timeout; unset → no local model (rules-only diagnosis). */
  primary?: { model: string; timeoutMs: number };
  /** Secondary local model and its timeout. */
  secondary?: { model: string; timeoutMs: number };
  /** Diagnosis prompt budget in estimated tokens. */
  budgetTokens: number;
  /** Cloud model; present only when enabled in config and a key is set. */
  cloud?: { apiKey: string; baseUrl?: string; model: string; timeoutMs: number };
}

/**
 * Builds the backends and the router from settings. The cloud model is enabled exactly when
 * `settings.cloud` is present (the config sets it only when enabled and keyed).
 *
 * @example
 * const router = createModelRouter(config.models, { audit: (r) => audit.record('model_call', r), logger });
 */
export function createModelRouter(
  settings: ModelSettings,
  deps: { audit: (record: ModelCallRecord) => void | Promise<void>; logger?: RouterLogger },
): ModelRouter {
  const local = (m: { model: string } | undefined): OllamaBackend | undefined =>
    m ? new OllamaBackend({ host: settings.ollamaHost, model: m.model }) : undefined;
  const cloud = settings.cloud;
  return new ModelRouter({
    primary: local(settings.primary),
    secondary: local(settings.secondary),
    cloud: cloud ? new AnthropicBackend({ apiKey: cloud.apiKey, baseURL: cloud.baseUrl, model: cloud.model }) : undefined,
    cloudEnabled: cloud !== undefined,
    timeouts: {
      ...(settings.primary ? { primaryMs: settings.primary.timeoutMs } : {}),
      ...(settings.secondary ? { secondaryMs: settings.secondary.timeoutMs } : {}),
      ...(cloud ? { cloudMs: cloud.timeoutMs } : {}),
    },
    budgetTokens: settings.budgetTokens,
    audit: deps.audit,
    logger: deps.logger,
  });
}
