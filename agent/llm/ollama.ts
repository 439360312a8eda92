/**
 * Local models through Ollama (`POST /api/chat` with a JSON-schema `format`).
 */
import { Ollama } from 'ollama';
import { ModelCallFailed, raceAbort, startDeadline } from './backend.ts';
import type { ChatJsonRequest, ChatJsonResult, ModelBackend } from './backend.ts';

/** Options of {@link OllamaBackend}. */
export interface OllamaBackendOptions {
  /** Ollama server URL, e.g. `http://127.0.0.1:11434` (the CLI's `OLLAMA_HOST`). */
  host: string;
  /** Model tag, e.g. `qwen2.5:7b-instruct`. */
  model: string;
  /**
   * Context window to request (`options.num_ctx`). Default 8192. Ollama's own default is smaller
   * and silently drops the beginning of longer prompts, so set it to fit the prompt budget plus
   * the answer.
   */
  numCtx?: number;
  /** Maximum answer tokens (`options.num_predict`). Default 1024. */
  maxAnswerTokens?: number;
  /** Extra HTTP headers (e.g. for an authenticating proxy in front of Ollama). */
  headers?: Record<string, string>;
  /** fetch implementation. Default: the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * A {@link ModelBackend} for one Ollama model. Sends `stream: false`, `temperature: 0` and the
 * answer's JSON schema as `format`, so the server constrains decoding to the schema.
 *
 * @example
 * const primary = new OllamaBackend({ host: 'http://127.0.0.1:11434', model: 'qwen2.5:7b' });
 * const { content } = await primary.chatJson({ system, user, jsonSchema, timeoutMs: 30_000 });
 */
export class OllamaBackend implements ModelBackend {
  readonly provider = 'ollama' as const;
  readonly model: string;
  private readonly options: OllamaBackendOptions;

  constructor(options: OllamaBackendOptions) {
    this.model = options.model;
    this.options = options;
  }

  /**
   * One non-streaming chat call.
   *
   * @throws ModelCallFailed `timeout` after `req.timeoutMs`, `aborted` when `req.signal` aborts,
   *   `http` for error statuses (e.g. 404 unknown model, 500), `network` otherwise.
   */
  async chatJson(req: ChatJsonRequest): Promise<ChatJsonResult> {
    const deadline = startDeadline(req.timeoutMs, req.signal);
    const baseFetch = this.options.fetch ?? fetch;
    // The ollama client does not pass a signal for non-streaming calls: inject ours into fetch.
    const client = new Ollama({
      host: this.options.host,
      headers: this.options.headers,
      fetch: (input, init) => baseFetch(input, { ...init, signal: deadline.signal }),
    });
    try {
      const res = await raceAbort(
        client.chat({
          model: this.model,
          stream: false,
          format: req.jsonSchema,
          messages: [
            { role: 'system', content: req.system },
            { role: 'user', content: req.user },
          ],
          options: { temperature: 0, num_ctx: this.options.numCtx ?? 8192, num_predict: this.options.maxAnswerTokens ?? 1024 },
        }),
        deadline.signal,
      );
      return { content: res.message?.content ?? '', tokensIn: res.prompt_eval_count, tokensOut: res.eval_count };
    } catch (err) {
      if (deadline.timedOut) throw new ModelCallFailed('ollama', this.model, 'timeout', `timed out after ${req.timeoutMs} ms`, { cause: err });
      if (req.signal?.aborted) throw new ModelCallFailed('ollama', this.model, 'aborted', 'cancelled by the caller', { cause: err });
      const status = statusOf(err);
      if (status !== undefined) {
        throw new ModelCallFailed('ollama', this.model, 'http', `HTTP ${status}: ${messageOf(err)}`, { cause: err, status });
      }
      throw new ModelCallFailed('ollama', this.model, 'network', messageOf(err), { cause: err });
    } finally {
      deadline.dispose();
    }
  }
}

/** The HTTP status of an ollama `ResponseError` (not exported by the package, so duck-typed). */
function statusOf(err: unknown): number | undefined {
  const s = (err as { status_code?: unknown } | null)?.status_code;
  return typeof s === 'number' ? s : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
