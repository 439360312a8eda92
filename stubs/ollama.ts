/**
 * A real HTTP server speaking the part of the Ollama API Watchkeeper uses: `POST /api/chat`
 * (non-streaming) and `GET /api/tags`. Replies are scripted per model; every request is recorded.
 *
 * Also exports the reply-script machinery shared with `anthropic.ts`.
 *
 * @example
 * const ollama = await startOllamaStub();
 * ollama.script('qwen', { kind: 'answer', content: { summary: '…' } });
 * ollama.script('llama', { kind: 'delay', ms: 2_000, then: { kind: 'answer', content: {...} } });
 * // … new OllamaBackend({ host: ollama.url, model: 'qwen' }) …
 * expect(ollama.requests).toHaveLength(1);
 * await ollama.close();
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted reply. */
export type StubReply =
  /** A successful answer; `content` is sent as is when a string (e.g. invalid JSON), else JSON-encoded. */
  | { kind: 'answer'; content: unknown; tokensIn?: number; tokensOut?: number }
  /** An error status with the provider's error body. */
  | { kind: 'status'; status: number; message?: string }
  /** Waits `ms` milliseconds, then sends `then` (default: a 200 answer `{}`). Aborted requests get nothing. */
  | { kind: 'delay'; ms: number; then?: StubReply };

/** A request the stub received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body text, exactly as received. */
  rawBody: string;
  /** Parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  /** Model named in the body (`model`), when present. */
  model?: string;
}

/**
 * Replies per model: `script(model, r1, r2)` answers the next request with r1, then r2, and r2
 * again for every later request (the last reply sticks).
 */
export class ReplyScript {
  private readonly replies = new Map<string, StubReply[]>();

  /** Replaces the script of `model`. */
  script(model: string, ...replies: StubReply[]): void {
    if (replies.length === 0) throw new Error('script() needs at least one reply');
    this.replies.set(model, [...replies]);
  }

  /** Takes the next reply of `model`, or undefined when the model is not scripted. */
  next(model: string): StubReply | undefined {
    const queue = this.replies.get(model);
    if (!queue || queue.length === 0) return undefined;
    return queue.length > 1 ? queue.shift() : queue[0];
  }

  models(): string[] {
    return [...this.replies.keys()];
  }

  clear(): void {
    this.replies.clear();
  }
}

/** Reads a request body as text. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends a JSON response unless the client has gone away. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Resolves a reply, honouring `delay` (cancelled when the client disconnects).
 * Resolves to undefined when the client went away during the delay.
 */
export function settle(reply: StubReply, res: ServerResponse): Promise<Exclude<StubReply, { kind: 'delay' }> | undefined> {
  if (reply.kind !== 'delay') return Promise.resolve(reply);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      void settle(reply.then ?? { kind: 'answer', content: {} }, res).then(resolve);
    }, reply.ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(undefined);
    };
    res.once('close', onClose);
  });
}

/** Starts `handler` on 127.0.0.1 with an ephemeral port. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => sendJson(res, 500, { error: `stub failure: ${String(err)}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

/** Closes a server, cutting open (e.g. delayed) connections. */
export async function shutdown(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** A running Ollama stub. */
export interface OllamaStub {
  /** Base URL, e.g. `http://127.0.0.1:40123` (use as the Ollama host). */
  readonly url: string;
  /** Every request received, in order (recorded on arrival, before any delay). */
  readonly requests: RecordedRequest[];
  /** Scripts the replies of one model; see {@link ReplyScript}. Unscripted models get 404. */
  script(model: string, ...replies: StubReply[]): void;
  /** `POST /api/chat` requests, optionally only those for `model`. */
  chats(model?: string): RecordedRequest[];
  /** Forgets requests and scripts. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts an Ollama stub on an ephemeral port. */
export async function startOllamaStub(): Promise<OllamaStub> {
  const script = new ReplyScript();
  const requests: RecordedRequest[] = [];

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

    if (req.method === 'GET' && path === '/api/tags') {
      sendJson(res, 200, {
        models: script.models().map((name) => ({ name, model: name, modified_at: '2025-01-01T00:00:00Z', size: 0, digest: 'stub', details: {} })),
      });
      return;
    }
    if (req.method !== 'POST' || path !== '/api/chat') {
      sendJson(res, 404, { error: `stub: no route ${req.method} ${path}` });
      return;
    }
    if (body === undefined) {
      sendJson(res, 400, { error: 'invalid JSON body' });
      return;
    }
    const scripted = typeof model === 'string' ? script.next(model) : undefined;
    if (!scripted) {
      sendJson(res, 404, { error: `model '${String(model)}' not found` });
      return;
    }
    const reply = await settle(scripted, res);
    if (!reply) return;
    if (reply.kind === 'status') {
      sendJson(res, reply.status, { error: reply.message ?? `stub status ${reply.status}` });
      return;
    }
    const content = typeof reply.content === 'string' ? reply.content : JSON.stringify(reply.content);
    sendJson(res, 200, {
      model,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      load_duration: 0,
      prompt_eval_count: reply.tokensIn ?? 321,
      prompt_eval_duration: 0,
      eval_count: reply.tokensOut ?? 54,
      eval_duration: 0,
    });
  });

  return {
    url,
    requests,
    script: (model, ...replies) => script.script(model, ...replies),
    chats: (model) => requests.filter((r) => r.path === '/api/chat' && (model === undefined || r.model === model)),
    reset: () => {
      requests.length = 0;
      script.clear();
    },
    close: () => shutdown(server),
  };
}
