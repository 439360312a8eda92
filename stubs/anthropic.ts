/**
 * A real HTTP server speaking the part of the Anthropic API Watchkeeper uses: `POST /v1/messages`
 * (non-streaming). Replies are scripted per model like the Ollama stub; every request is recorded
 * (headers included, so tests can check the API key and that nothing was sent at all). Requests
 * without an API key (`x-api-key` or `Authorization: Bearer`) get 401 like the real API.
 *
 * @example
 * const claude = await startAnthropicStub();
 * claude.script('claude-test', { kind: 'answer', content: { summary: '…' } });
 * const cloud = new AnthropicBackend({ apiKey: 'test-key', model: 'claude-test', baseURL: claude.url });
 */
import { listen, readBody, ReplyScript, sendJson, settle, shutdown } from './ollama.ts';
import type { RecordedRequest, StubReply } from './ollama.ts';

/** A running Anthropic stub. */
export interface AnthropicStub {
  /** Base URL for the SDK's `baseURL`. */
  readonly url: string;
  /** Every request received, in order (recorded on arrival). */
  readonly requests: RecordedRequest[];
  /** Scripts the replies of one model; unscripted models get 404 `not_found_error`. */
  script(model: string, ...replies: StubReply[]): void;
  /** `POST /v1/messages` requests, optionally only those for `model`. */
  messages(model?: string): RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * The API key a request carried: `x-api-key`, or `Authorization: Bearer …` (what SDK 1.x sends).
 */
export function apiKeyOf(request: Pick<RecordedRequest, 'headers'>): string | undefined {
  const key = request.headers['x-api-key'];
  if (typeof key === 'string' && key) return key;
  const auth = request.headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth)?.[1] : undefined;
  return bearer || undefined;
}

/** Error `type` Anthropic uses for a status. */
function errorType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  return 'api_error';
}

/** Starts an Anthropic stub on an ephemeral port. */
export async function startAnthropicStub(): Promise<AnthropicStub> {
  const script = new ReplyScript();
  const requests: RecordedRequest[] = [];
  let counter = 0;

  const { server, url } = await listen(async (req, res) => {
    const rawBody = await readBody(req);
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    const model = (body as { model?: unknown } | undefined)?.model;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, rawBody, body, model: typeof model === 'string' ? model : undefined });

    const fail = (status: number, message: string): void =>
      sendJson(res, status, { type: 'error', error: { type: errorType(status), message } });

    if (req.method !== 'POST' || path !== '/v1/messages') return fail(404, `stub: no route ${req.method} ${path}`);
    if (!apiKeyOf(req)) return fail(401, 'an API key is required (x-api-key or Authorization: Bearer)');
    if (body === undefined) return fail(400, 'invalid JSON body');
    const scripted = typeof model === 'string' ? script.next(model) : undefined;
    if (!scripted) return fail(404, `model: ${String(model)}`);

    const reply = await settle(scripted, res);
    if (!reply) return;
    if (reply.kind === 'status') return fail(reply.status, reply.message ?? `stub status ${reply.status}`);
    const text = typeof reply.content === 'string' ? reply.content : JSON.stringify(reply.content);
    sendJson(res, 200, {
      id: `msg_stub_${++counter}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text, citations: null }],
      container: null,
      diagnostics: null,
      stop_reason: 'end_turn',
      stop_sequence: null,
      stop_details: null,
      usage: {
        input_tokens: reply.tokensIn ?? 456,
        output_tokens: reply.tokensOut ?? 78,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
        cache_creation: null,
        inference_geo: null,
        output_tokens_details: null,
        server_tool_use: null,
        service_tier: 'standard',
      },
    });
  });

  return {
    url,
    requests,
    script: (model, ...replies) => script.script(model, ...replies),
    messages: (model) => requests.filter((r) => r.path === '/v1/messages' && (model === undefined || r.model === model)),
    reset: () => {
      requests.length = 0;
      script.clear();
    },
    close: () => shutdown(server),
  };
}
