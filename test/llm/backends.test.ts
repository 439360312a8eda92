import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ModelCallFailed } from '../../agent/llm/backend.ts';
import type { ChatJsonRequest, ModelBackend } from '../../agent/llm/backend.ts';
import { AnthropicBackend } from '../../agent/llm/anthropic.ts';
import { createModelRouter } from '../../agent/llm/index.ts';
import { OllamaBackend } from '../../agent/llm/ollama.ts';
import { apiKeyOf, startAnthropicStub } from '../../stubs/anthropic.ts';
import type { AnthropicStub } from '../../stubs/anthropic.ts';
import { startOllamaStub } from '../../stubs/ollama.ts';
import type { OllamaStub } from '../../stubs/ollama.ts';

const SCHEMA = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };
const REQ: ChatJsonRequest = { system: 'be brief', user: 'is it ok?', jsonSchema: SCHEMA, timeoutMs: 300 };

let ollama: OllamaStub;
let claude: AnthropicStub;

beforeAll(async () => {
  [ollama, claude] = await Promise.all([startOllamaStub(), startAnthropicStub()]);
});
afterAll(async () => {
  await Promise.all([ollama.close(), claude.close()]);
});
beforeEach(() => {
  ollama.reset();
  claude.reset();
});

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function failure(backend: ModelBackend, req: ChatJsonRequest = REQ): Promise<ModelCallFailed> {
  const err = await backend.chatJson(req).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelCallFailed);
  return err as ModelCallFailed;
}

describe('OllamaBackend', () => {
  const backend = (): OllamaBackend => new OllamaBackend({ host: ollama.url, model: 'qwen', numCtx: 4096 });

  it('sends a non-streaming structured-output chat and returns content and token counts', async () => {
    ollama.script('qwen', { kind: 'answer', content: { ok: true }, tokensIn: 11, tokensOut: 3 });
    const res = await backend().chatJson(REQ);
    expect(res).toEqual({ content: '{"ok":true}', tokensIn: 11, tokensOut: 3 });
    expect(ollama.chats('qwen')[0]?.body).toEqual({
      model: 'qwen',
      stream: false,
      format: SCHEMA,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'is it ok?' },
      ],
      options: { temperature: 0, num_ctx: 4096, num_predict: 1024 },
    });
  });

  it('lists scripted models on /api/tags', async () => {
    ollama.script('qwen', { kind: 'answer', content: {} });
    const res = await fetch(`${ollama.url}/api/tags`);
    expect(((await res.json()) as { models: Array<{ name: string }> }).models.map((m) => m.name)).toEqual(['qwen']);
  });

  it.each([
    [500, 'http'],
    [404, 'http'],
  ] as const)('maps HTTP %i to ModelCallFailed(%s) with the status', async (status, kind) => {
    ollama.script('qwen', { kind: 'status', status, message: 'boom' });
    const err = await failure(backend());
    expect(err).toMatchObject({ provider: 'ollama', model: 'qwen', kind, status, detail: `HTTP ${status}: boom` });
  });

  it('times out after timeoutMs and aborts the request', async () => {
    ollama.script('qwen', { kind: 'delay', ms: 5_000 });
    const started = performance.now();
    const err = await failure(backend());
    const elapsed = performance.now() - started;
    expect(err).toMatchObject({ kind: 'timeout', detail: 'timed out after 300 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reports a caller abort as aborted, not as a timeout', async () => {
    ollama.script('qwen', { kind: 'delay', ms: 5_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const err = await failure(backend(), { ...REQ, timeoutMs: 5_000, signal: controller.signal });
    expect(err.kind).toBe('aborted');
  });

  it('reports an unreachable server as a network failure', async () => {
    const err = await failure(new OllamaBackend({ host: `http://127.0.0.1:${await deadPort()}`, model: 'qwen' }));
    expect(err.kind).toBe('network');
    expect(err.cause).toBeDefined();
  });
});

describe('AnthropicBackend', () => {
  const backend = (): AnthropicBackend => new AnthropicBackend({ apiKey: 'k-test', model: 'claude-test', baseURL: claude.url, maxAnswerTokens: 512 });

  it('sends a Messages request with a JSON-schema output format and the API key', async () => {
    claude.script('claude-test', { kind: 'answer', content: { ok: true }, tokensIn: 20, tokensOut: 4 });
    const res = await backend().chatJson(REQ);
    expect(res).toEqual({ content: '{"ok":true}', tokensIn: 20, tokensOut: 4 });
    const [req] = claude.messages();
    expect(req?.body).toEqual({
      model: 'claude-test',
      max_tokens: 512,
      system: 'be brief',
      messages: [{ role: 'user', content: 'is it ok?' }],
      output_config: { format: { type: 'json_schema', schema: SCHEMA } },
    });
    expect(apiKeyOf(req ?? { headers: {} })).toBe('k-test');
  });

  it('rewrites the schema into the structured-output subset (constraints move into descriptions)', async () => {
    claude.script('claude-test', { kind: 'answer', content: { ok: true } });
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, score: { type: 'number', maximum: 1 }, tags: { type: 'object', additionalProperties: { type: 'string' } } },
      required: ['name', 'score', 'tags'],
    };
    await backend().chatJson({ ...REQ, jsonSchema: schema });
    const sent = (claude.messages()[0]?.body as { output_config: { format: { schema: unknown } } }).output_config.format.schema;
    expect(sent).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', description: '{minLength: 1}' },
        score: { type: 'number', description: '{maximum: 1}' },
        tags: { type: 'object', properties: {}, additionalProperties: false },
      },
      additionalProperties: false,
      required: ['name', 'score', 'tags'],
    });
  });

  it('refuses a non-object schema before sending anything', async () => {
    await expect(backend().chatJson({ ...REQ, jsonSchema: { type: 'string' } })).rejects.toThrow(/need an object schema/);
    expect(claude.requests).toHaveLength(0);
  });

  it.each([500, 529, 429])('maps HTTP %i to ModelCallFailed(http) without SDK retries', async (status) => {
    claude.script('claude-test', { kind: 'status', status, message: 'nope' });
    const err = await failure(backend());
    expect(err).toMatchObject({ provider: 'anthropic', kind: 'http', status, detail: `HTTP ${status}: nope` });
    expect(claude.messages()).toHaveLength(1);
  });

  it('times out after timeoutMs', async () => {
    claude.script('claude-test', { kind: 'delay', ms: 5_000 });
    const started = performance.now();
    const err = await failure(backend());
    expect(err.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reports an unreachable server as a network failure', async () => {
    const err = await failure(new AnthropicBackend({ apiKey: 'k', model: 'm', baseURL: `http://127.0.0.1:${await deadPort()}` }));
    expect(err.kind).toBe('network');
  });
});

describe('createModelRouter', () => {
  it('wires local models from settings and enables the cloud only when it is configured', async () => {
    ollama.script('qwen', { kind: 'answer', content: { ok: true } });
    claude.script('claude-test', { kind: 'answer', content: { ok: false } });
    const audits: string[] = [];
    const base = { ollamaHost: ollama.url, primary: { model: 'qwen', timeoutMs: 1_000 }, budgetTokens: 3000 };
    const schema = z.object({ ok: z.boolean() });

    const localOnly = createModelRouter(base, { audit: (r) => void audits.push(`${r.provider}/${r.model}`) });
    expect(await localOnly.complete('summary', { system: 's', user: 'u', schema })).toMatchObject({ kind: 'answer', value: { ok: true } });

    const withCloud = createModelRouter(
      { ...base, cloud: { apiKey: 'k', baseUrl: claude.url, model: 'claude-test', timeoutMs: 1_000 } },
      { audit: (r) => void audits.push(`${r.provider}/${r.model}`) },
    );
    expect(await withCloud.complete('summary', { system: 's', user: 'u', schema })).toMatchObject({ kind: 'answer', value: { ok: false } });
    expect(audits).toEqual(['ollama/qwen', 'anthropic/claude-test']);
  });
});
