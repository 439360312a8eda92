/**
 * The cloud model through the Anthropic Messages API (`POST /v1/messages` with structured output).
 * Only the router decides what may be sent here: aggregate, redacted data of non-sensitive intents.
 */
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { jsonSchemaOutputFormat } from '@anthropic-ai/sdk/helpers/json-schema';
import { ModelCallFailed, raceAbort, startDeadline } from './backend.ts';
import type { ChatJsonRequest, ChatJsonResult, ModelBackend } from './backend.ts';

/** Options of {@link AnthropicBackend}. */
export interface AnthropicBackendOptions {
  apiKey: string;
  /** Model id, e.g. `claude-sonnet-4-5`. */
  model: string;
  /** API base URL. Default `https://api.anthropic.com`; tests point it at a stub. */
  baseURL?: string;
  /** Maximum answer tokens (`max_tokens`). Default 1024. */
  maxAnswerTokens?: number;
  /**
   * SDK-level retries. Default 0: the router falls back to local models instead, and retries
   * would overrun the call's timeout.
   */
  maxRetries?: number;
  /** fetch implementation. Default: the SDK's (global `fetch`). */
  fetch?: typeof fetch;
}

/**
 * A {@link ModelBackend} for an Anthropic model, asking for JSON through
 * `output_config.format = { type: 'json_schema', schema }`. The schema is first rewritten by the
 * SDK's `jsonSchemaOutputFormat` into the subset structured outputs accept (every object gets
 * `additionalProperties: false`; constraints such as `minLength` or `maximum` move into
 * `description`), so the answer must still be validated (the router does, with zod). Schemas meant
 * for the cloud should therefore avoid open records (`z.record`), which become `{}`.
 *
 * @example
 * const cloud = new AnthropicBackend({ apiKey, model: 'claude-sonnet-4-5' });
 */
export class AnthropicBackend implements ModelBackend {
  readonly provider = 'anthropic' as const;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly maxAnswerTokens: number;

  constructor(options: AnthropicBackendOptions) {
    this.model = options.model;
    this.maxAnswerTokens = options.maxAnswerTokens ?? 1024;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? 'https://api.anthropic.com',
      maxRetries: options.maxRetries ?? 0,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /**
   * One Messages API call; the answer is the concatenated text blocks.
   *
   * @throws ModelCallFailed `timeout` after `req.timeoutMs`, `aborted` when `req.signal` aborts,
   *   `http` for error statuses (401, 429, 5xx…), `network` otherwise.
   * @throws Error before sending anything when `req.jsonSchema` is not an object schema (a bug).
   */
  async chatJson(req: ChatJsonRequest): Promise<ChatJsonResult> {
    const schema = structuredOutputSchema(req.jsonSchema); // throws on a bad schema: a bug, not a call failure
    const deadline = startDeadline(req.timeoutMs, req.signal);
    try {
      const message = await raceAbort(
        this.client.messages.create(
          {
            model: this.model,
            max_tokens: this.maxAnswerTokens,
            system: req.system,
            messages: [{ role: 'user', content: req.user }],
            output_config: { format: { type: 'json_schema', schema } },
          },
          // The SDK's own timeout is a backstop; our deadline fires first.
          { signal: deadline.signal, timeout: req.timeoutMs + 1_000 },
        ),
        deadline.signal,
      );
      const content = message.content
        .map((block) => (block.type === 'text' ? block.text : ''))
        .join('');
      return { content, tokensIn: message.usage?.input_tokens, tokensOut: message.usage?.output_tokens };
    } catch (err) {
      if (deadline.timedOut) throw new ModelCallFailed('anthropic', this.model, 'timeout', `timed out after ${req.timeoutMs} ms`, { cause: err });
      if (req.signal?.aborted) throw new ModelCallFailed('anthropic', this.model, 'aborted', 'cancelled by the caller', { cause: err });
      if (err instanceof APIError && typeof err.status === 'number') {
        const detail = err.apiMessage ?? err.message;
        throw new ModelCallFailed('anthropic', this.model, 'http', `HTTP ${err.status}: ${detail}`, { cause: err, status: err.status });
      }
      throw new ModelCallFailed('anthropic', this.model, 'network', err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      deadline.dispose();
    }
  }
}

/**
 * The schema rewritten for Anthropic structured outputs (see {@link AnthropicBackend}).
 *
 * @throws Error when the schema is not an object schema or has a node without a type.
 */
export function structuredOutputSchema(jsonSchema: Record<string, unknown>): Record<string, unknown> {
  if (jsonSchema.type !== 'object') throw new Error(`structured outputs need an object schema, got type ${String(jsonSchema.type)}`);
  return jsonSchemaOutputFormat(jsonSchema as Parameters<typeof jsonSchemaOutputFormat>[0]).schema as Record<string, unknown>;
}
