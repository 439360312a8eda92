/**
 * The port every model backend implements, and the error it throws when a call fails.
 * Backends are thin: one structured-output chat call, no retries, no fallbacks (the router owns
 * those), no validation of the content (the router validates with zod).
 */

/** Vendors Watchkeeper talks to. `ollama` is local; everything else leaves the cluster's network. */
export type Provider = 'ollama' | 'anthropic';

/** Providers that run locally and may see sensitive (non-aggregate) cluster data after secret redaction. */
export const LOCAL_PROVIDERS: readonly Provider[] = ['ollama'];

/** One structured-output chat request. */
export interface ChatJsonRequest {
  /** System prompt (instructions). */
  system: string;
  /** User prompt (the data). */
  user: string;
  /** JSON Schema the answer must follow (Ollama `format`, Anthropic `output_config.format.schema`). */
  jsonSchema: Record<string, unknown>;
  /** Hard deadline for the whole call in milliseconds, including reading the body. */
  timeoutMs: number;
  /** Caller cancellation (e.g. shutdown). */
  signal?: AbortSignal;
}

/** A model's raw answer. */
export interface ChatJsonResult {
  /** The text the model produced; expected (not guaranteed) to be JSON. */
  content: string;
  /** Prompt tokens as reported by the provider. */
  tokensIn?: number;
  /** Completion tokens as reported by the provider. */
  tokensOut?: number;
}

/** A model backend: one provider and model behind a single structured-output call. */
export interface ModelBackend {
  readonly provider: Provider;
  readonly model: string;
  /**
   * Sends one chat request asking for JSON that follows `req.jsonSchema`.
   *
   * @throws ModelCallFailed on timeout, cancellation, HTTP errors (4xx/5xx) and network failures.
   */
  chatJson(req: ChatJsonRequest): Promise<ChatJsonResult>;
}

/** Why a model call failed. */
export type ModelFailureKind = 'timeout' | 'aborted' | 'http' | 'network';

/**
 * A model call that produced no answer. Carries the provider, model, failure kind, HTTP status when
 * there was one, and the underlying error as `cause`.
 */
export class ModelCallFailed extends Error {
  override readonly name = 'ModelCallFailed';
  /** HTTP status of the failed response, when the server answered. */
  readonly status: number | undefined;
  /** The failure without the provider/model prefix, e.g. `timed out after 500 ms`. */
  readonly detail: string;

  constructor(
    readonly provider: Provider,
    readonly model: string,
    readonly kind: ModelFailureKind,
    detail: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(`${provider}/${model}: ${detail}`, { cause: options.cause });
    this.status = options.status;
    this.detail = detail;
  }
}

/** A deadline for one call: an abort signal that fires on timeout or caller cancellation. */
export interface Deadline {
  /** Aborts when the timeout elapses or the caller's signal aborts. */
  readonly signal: AbortSignal;
  /** True once the timeout (not the caller) aborted the signal. */
  readonly timedOut: boolean;
  /** Clears the timer; call in `finally`. */
  dispose(): void;
}

/**
 * Starts a deadline of `timeoutMs` milliseconds, linked to an optional caller signal.
 *
 * @example
 * const deadline = startDeadline(5_000, req.signal);
 * try { await fetch(url, { signal: deadline.signal }); } finally { deadline.dispose(); }
 */
export function startDeadline(timeoutMs: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
  }, timeoutMs);
  const onOuterAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
}

/**
 * Resolves like `promise` but rejects as soon as `signal` aborts, so a client that ignores the
 * signal cannot hold the caller past its deadline.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
