import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Evidence, Finding } from '../../domain/diagnosis.ts';
import { evidenceIdentifiers } from '../../domain/prompt.ts';
import { AnthropicBackend } from '../../agent/llm/anthropic.ts';
import { OllamaBackend } from '../../agent/llm/ollama.ts';
import { ModelRouter, RouterMisconfigured } from '../../agent/llm/router.ts';
import type { ModelCallRecord, ModelRouterOptions } from '../../agent/llm/router.ts';
import { diagnosisAnswerSchema, jsonSchemaFor } from '../../agent/llm/schema.ts';
import { apiKeyOf, startAnthropicStub } from '../../stubs/anthropic.ts';
import type { AnthropicStub } from '../../stubs/anthropic.ts';
import { startOllamaStub } from '../../stubs/ollama.ts';
import type { OllamaStub, RecordedRequest } from '../../stubs/ollama.ts';
import { SECRET_CASES } from './secret-samples.ts';

const PRIMARY = 'qwen2.5:7b-instruct';
const SECONDARY = 'llama3.1:8b';
const CLOUD = 'claude-test';
const API_KEY = 'test-api-key-123';

/** A recorded valid answer of a local model. */
const VALID = {
  summary: 'api in shop crash-loops since revision 4.',
  probableCause: 'The new image exits with code 1 at start-up.',
  category: 'bad_rollout',
  confidence: 0.8,
  action: { kind: 'rollback', params: {} },
  reasoning: 'Revision 4 changed the image; pods of revision 3 were healthy.',
};

const FINDING: Finding = {
  analyzer: 'pod.crash_loop',
  category: 'crash_loop',
  cause: 'Container api exits with code 1 (application error)',
  evidence: ['CrashLoopBackOff', 'exit code 1'],
  actions: ['restart', 'escalate'],
  confidence: 0.7,
  subject: 'Pod/api-7c9-x2',
  params: { container: 'api' },
};
const WEAKER: Finding = { ...FINDING, analyzer: 'pod.probe', category: 'probe_failure', cause: 'Readiness probe fails', actions: ['escalate'], confidence: 0.4 };

/** Evidence of a crash-looping Deployment; `logLines` go into the failing container's log. */
function evidence(logLines: string[] = ['2024-05-04T10:04:00Z ERROR connection refused']): Evidence {
  return {
    target: { kind: 'Deployment', namespace: 'shop', name: 'api', container: 'api' },
    collectedAt: '2024-05-04T10:06:00Z',
    replicaSets: [],
    pods: [
      {
        metadata: { name: 'api-7c9-x2', namespace: 'shop' },
        spec: { nodeName: 'node-a', containers: [{ name: 'api', image: 'acme/api:2.0' }] },
        status: {
          phase: 'Running',
          podIP: '10.244.1.17',
          containerStatuses: [{ name: 'api', ready: false, restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
        },
      },
    ],
    events: [
      {
        type: 'Warning',
        reason: 'BackOff',
        message: 'Back-off restarting failed container api in pod api-7c9-x2',
        lastTimestamp: '2024-05-04T10:05:30Z',
        involvedObject: { kind: 'Pod', name: 'api-7c9-x2', namespace: 'shop' },
      },
    ],
    logs: [{ pod: 'api-7c9-x2', container: 'api', previous: true, lines: logLines }],
    nodes: [],
    gaps: [],
  };
}

/** All text a stub received in a request, decoded (JSON escapes resolved) plus raw. */
function received(r: RecordedRequest): string {
  return `${r.rawBody}\n${JSON.stringify(r.body, null, 0)}\n${collectStrings(r.body).join('\n')}`;
}
function collectStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(collectStrings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(collectStrings);
  return [];
}

let ollama: OllamaStub;
let claude: AnthropicStub;
let audits: ModelCallRecord[];

beforeAll(async () => {
  [ollama, claude] = await Promise.all([startOllamaStub(), startAnthropicStub()]);
});
afterAll(async () => {
  await Promise.all([ollama.close(), claude.close()]);
});
beforeEach(() => {
  ollama.reset();
  claude.reset();
  audits = [];
});

function router(overrides: Partial<ModelRouterOptions> = {}): ModelRouter {
  return new ModelRouter({
    primary: new OllamaBackend({ host: ollama.url, model: PRIMARY }),
    secondary: new OllamaBackend({ host: ollama.url, model: SECONDARY }),
    cloud: new AnthropicBackend({ apiKey: API_KEY, model: CLOUD, baseURL: claude.url }),
    cloudEnabled: false,
    timeouts: { primaryMs: 300, secondaryMs: 300, cloudMs: 300 },
    budgetTokens: 3000,
    audit: (r) => {
      audits.push(r);
    },
    now: () => new Date('2024-05-04T10:06:01Z'),
    ...overrides,
  });
}

describe('ModelRouter.diagnose', () => {
  it('uses the primary model when it answers valid JSON', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: VALID, tokensIn: 900, tokensOut: 120 });
    const out = await router().diagnose(evidence(), [FINDING]);

    expect(out).toEqual({
      kind: 'model',
      provider: 'ollama',
      model: PRIMARY,
      producedBy: `ollama ${PRIMARY}`,
      summary: VALID.summary,
      probableCause: VALID.probableCause,
      category: 'bad_rollout',
      confidence: 0.8,
      action: { kind: 'rollback', params: {} },
      reasoning: VALID.reasoning,
      fallbackReasons: [],
    });
    expect(ollama.chats(SECONDARY)).toHaveLength(0);

    const body = ollama.chats(PRIMARY)[0]?.body as Record<string, unknown>;
    expect(body).toMatchObject({ model: PRIMARY, stream: false, format: jsonSchemaFor(diagnosisAnswerSchema), options: { temperature: 0 } });
    const messages = body.messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1]?.content).toContain('Target: shop/Deployment/api');
    expect(messages[1]?.content).toContain('1. crash_loop (confidence 0.70');
  });

  it('records provider, model, latency, tokens and outcome in the audit', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: VALID, tokensIn: 900, tokensOut: 120 });
    await router().diagnose(evidence(['DB_PASSWORD=hunter2 ERROR auth failed']), [FINDING]);
    expect(audits).toHaveLength(1);
    const [a] = audits;
    expect(a).toMatchObject({
      intent: 'diagnose',
      sensitivity: 'sensitive',
      step: 'primary',
      provider: 'ollama',
      model: PRIMARY,
      startedAt: '2024-05-04T10:06:01.000Z',
      tokensIn: 900,
      tokensOut: 120,
      outcome: 'ok',
      redaction: 'local',
      redactedSecrets: 1,
    });
    expect(a?.fallbackReason).toBeUndefined();
    expect(a?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(a?.latencyMs).toBeLessThan(300);
    expect(a?.promptTokens).toBeGreaterThan(100);
  });

  it('falls over to the secondary when the primary times out', async () => {
    ollama.script(PRIMARY, { kind: 'delay', ms: 5_000, then: { kind: 'answer', content: VALID } });
    ollama.script(SECONDARY, { kind: 'answer', content: { ...VALID, confidence: 0.6 } });
    const started = performance.now();
    const out = await router().diagnose(evidence(), [FINDING]);

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY, confidence: 0.6 });
    expect(out.fallbackReasons).toEqual([`primary ollama/${PRIMARY}: timed out after 300 ms`]);
    expect(audits.map((a) => [a.step, a.outcome])).toEqual([
      ['primary', 'timeout'],
      ['secondary', 'ok'],
    ]);
    expect(audits[0]?.latencyMs).toBeGreaterThanOrEqual(290);
    expect(audits[0]?.fallbackReason).toBe(out.fallbackReasons[0]);
  });

  it('discards a 500 and uses the secondary', async () => {
    ollama.script(PRIMARY, { kind: 'status', status: 500, message: 'llama runner process has terminated' });
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY });
    expect(out.fallbackReasons).toEqual([`primary ollama/${PRIMARY}: HTTP 500: llama runner process has terminated`]);
    expect(audits[0]).toMatchObject({ outcome: 'error', provider: 'ollama', model: PRIMARY });
  });

  it('discards an answer that is not JSON', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: 'Sure! The pod is crash-looping, restart it.' });
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY });
    expect(out.fallbackReasons[0]).toMatch(new RegExp(`^primary ollama/${PRIMARY}: answer is not valid JSON`));
    expect(audits[0]?.outcome).toBe('invalid');
  });

  it('discards an action outside the catalog', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: { ...VALID, action: { kind: 'drain_node', params: { node: 'node-a' } } } });
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY, action: { kind: 'rollback' } });
    expect(out.fallbackReasons).toEqual([`primary ollama/${PRIMARY}: answer violates the schema: action.kind: action "drain_node" is not in the catalog`]);
    expect(audits[0]?.outcome).toBe('invalid');
  });

  it.each([
    ['an unknown category', { ...VALID, category: 'network_partition' }, 'category: category "network_partition" is not a known category'],
    ['a confidence above 1', { ...VALID, confidence: 1.5 }, 'confidence:'],
    ['a missing field', { ...VALID, reasoning: undefined }, 'reasoning:'],
    ['an extra field', { ...VALID, command: 'kubectl delete ns shop' }, 'command'],
    ['a non-integer replica count', { ...VALID, action: { kind: 'scale', params: { replicas: 'three' } } }, 'replicas must be a non-negative integer'],
    ['a malformed memory limit', { ...VALID, action: { kind: 'raise_memory', params: { container: 'api', memory: 'two gigs' } } }, 'memory must be a quantity'],
  ])('discards %s', async (_name, answer, reason) => {
    ollama.script(PRIMARY, { kind: 'answer', content: answer });
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY });
    expect(out.fallbackReasons[0]).toContain(reason);
  });

  it('accepts JSON wrapped in a Markdown fence', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: `\`\`\`json\n${JSON.stringify(VALID)}\n\`\`\`` });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: PRIMARY });
  });

  it('falls back to the best finding, marked as rules-only, when both models fail', async () => {
    ollama.script(PRIMARY, { kind: 'status', status: 500 });
    ollama.script(SECONDARY, { kind: 'answer', content: '{"summary": "truncated' });
    const out = await router().diagnose(evidence(), [WEAKER, FINDING]);

    expect(out).toEqual({
      kind: 'rules',
      source: 'rules',
      producedBy: 'rules only',
      finding: FINDING,
      category: 'crash_loop',
      action: { kind: 'restart', params: { container: 'api' } },
      summary: FINDING.cause,
      confidence: 0.7,
      fallbackReasons: [
        `primary ollama/${PRIMARY}: HTTP 500: stub status 500`,
        expect.stringMatching(new RegExp(`^secondary ollama/${SECONDARY}: answer is not valid JSON`)),
      ],
    });
    expect(audits.map((a) => a.outcome)).toEqual(['error', 'invalid']);
  });

  it('rejects, saying why, when no model answers and no analyzer matched', async () => {
    ollama.script(PRIMARY, { kind: 'delay', ms: 5_000 });
    ollama.script(SECONDARY, { kind: 'status', status: 503 });
    const out = await router().diagnose(evidence(), []);
    expect(out.kind).toBe('rejected');
    if (out.kind !== 'rejected') return;
    expect(out.reason).toMatch(/no rule analyzer matched/);
    expect(out.fallbackReasons).toEqual([
      `primary ollama/${PRIMARY}: timed out after 300 ms`,
      `secondary ollama/${SECONDARY}: HTTP 503: stub status 503`,
    ]);
  });

  it('goes rules-only without any model configured, saying so', async () => {
    const out = await router({ primary: undefined, secondary: undefined }).diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'rules', fallbackReasons: ['primary: no local model configured', 'secondary: no local model configured'] });
    expect(ollama.requests).toHaveLength(0);
    expect(audits).toHaveLength(0);
  });

  it('an unknown model (404) falls through like any HTTP error', async () => {
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const out = await router().diagnose(evidence(), [FINDING]);
    expect(out).toMatchObject({ kind: 'model', model: SECONDARY });
    expect(out.fallbackReasons[0]).toContain('HTTP 404');
  });

  it('NEVER sends a sensitive intent to the cloud, even with cloud enabled', async () => {
    claude.script(CLOUD, { kind: 'answer', content: VALID });
    ollama.script(PRIMARY, { kind: 'status', status: 500 });
    ollama.script(SECONDARY, { kind: 'delay', ms: 5_000 });
    const r = router({ cloudEnabled: true });

    const diagnosis = await r.diagnose(evidence(), [FINDING]);
    expect(diagnosis.kind).toBe('rules');
    const rejected = await r.diagnose(evidence(), []);
    expect(rejected.kind).toBe('rejected');
    const drift = await r.complete('drift-interpret', { system: 's', user: 'u', schema: z.object({ intent: z.string() }) });
    expect(drift.kind).toBe('unavailable');

    expect(claude.requests).toHaveLength(0);
    expect(audits.every((a) => a.provider === 'ollama' && a.redaction === 'local')).toBe(true);
  });

  it('removes every secret pattern from what the local model receives', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: VALID });
    const lines = SECRET_CASES.flatMap((c) => c.text.split('\n'));
    await router().diagnose(evidence(lines), [FINDING]);
    const [req] = ollama.chats(PRIMARY);
    expect(req).toBeDefined();
    const text = received(req as RecordedRequest);
    for (const c of SECRET_CASES) expect(text, c.name).not.toContain(c.secret);
    expect(text).toContain('[REDACTED:private_key]');
    expect(audits[0]?.redactedSecrets).toBeGreaterThanOrEqual(SECRET_CASES.length);
    // Local models may see names: only secrets are removed.
    expect(text).toContain('api-7c9-x2');
  });

  it('rejects with the abort reason when the caller cancels, without trying the next step', async () => {
    ollama.script(PRIMARY, { kind: 'delay', ms: 5_000 });
    ollama.script(SECONDARY, { kind: 'answer', content: VALID });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await expect(router({ timeouts: { primaryMs: 5_000 } }).diagnose(evidence(), [FINDING], { signal: controller.signal })).rejects.toThrow('shutting down');
    expect(ollama.chats(SECONDARY)).toHaveLength(0);
  });

  it('keeps going when the audit sink fails, and logs it', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: VALID });
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const r = router({ audit: () => Promise.reject(new Error('db down')), logger });
    const out = await r.diagnose(evidence(), [FINDING]);
    expect(out.kind).toBe('model');
    const failed = lines.map((l) => JSON.parse(l) as { msg: string; level: number; err?: { message: string } }).find((l) => l.msg === 'model call audit failed');
    expect(failed).toMatchObject({ level: 40, err: { message: 'db down' } });
  });
});

describe('ModelRouter.complete (non-sensitive intents)', () => {
  const summarySchema = z.strictObject({ headline: z.string(), worst: z.array(z.string()) });
  const ids = evidenceIdentifiers(evidence());
  const user = [
    'Coverage today: 41/50 workloads green.',
    'Red: deployment api in namespace shop (pod api-7c9-x2 on node-a, 10.244.1.17, fe80::1).',
    'Contact: oncall@example.com, DB_PASSWORD=hunter2',
  ].join('\n');

  it('uses the cloud model with names, namespaces and IPs redacted, and restores them in the answer', async () => {
    claude.script(CLOUD, { kind: 'answer', content: { headline: 'Deployment <name-1> in <ns-1> is red', worst: ['<name-2> at <ip-1>'] } });
    const out = await router({ cloudEnabled: true }).complete('summary', { system: 'Summarise the coverage.', user, schema: summarySchema, ...ids });

    expect(out).toMatchObject({ kind: 'answer', provider: 'anthropic', model: CLOUD, step: 'cloud', fallbackReasons: [] });
    if (out.kind !== 'answer') return;
    expect(claude.messages()).toHaveLength(1);
    const req = claude.messages()[0] as RecordedRequest;
    const sent = received(req);
    for (const hidden of ['api', 'shop', 'api-7c9-x2', 'node-a', '10.244.1.17', 'fe80::1', 'oncall@example.com', 'hunter2']) {
      expect(sent.includes(hidden), hidden).toBe(false);
    }
    const body = req.body as { messages: Array<{ content: string }>; output_config: unknown };
    expect(body.messages[0]?.content).toBe(
      [
        'Coverage today: 41/50 workloads green.',
        'Red: deployment <name-1> in namespace <ns-1> (pod <name-2> on <name-3>, <ip-2>, <ip-1>).',
        'Contact: [REDACTED:email], DB_PASSWORD=[REDACTED:password]',
      ].join('\n'),
    );
    expect(body.output_config).toEqual({ format: { type: 'json_schema', schema: jsonSchemaFor(summarySchema) } });
    expect(apiKeyOf(req)).toBe(API_KEY);
    expect(out.value).toEqual({ headline: 'Deployment api in shop is red', worst: ['api-7c9-x2 at fe80::1'] });
    expect(audits).toEqual([
      expect.objectContaining({ intent: 'summary', sensitivity: 'aggregate', step: 'cloud', provider: 'anthropic', model: CLOUD, outcome: 'ok', redaction: 'cloud', tokensIn: 456, tokensOut: 78 }),
    ]);
    expect(ollama.requests).toHaveLength(0);
  });

  it('removes every secret pattern from what the cloud model receives', async () => {
    claude.script(CLOUD, { kind: 'answer', content: { headline: 'ok', worst: [] } });
    await router({ cloudEnabled: true }).complete('summary', { system: 's', user: SECRET_CASES.map((c) => c.text).join('\n'), schema: summarySchema });
    const text = received(claude.messages()[0] as RecordedRequest);
    for (const c of SECRET_CASES) expect(text, c.name).not.toContain(c.secret);
  });

  it('does not mention unconfigured local models when the cloud answered', async () => {
    claude.script(CLOUD, { kind: 'answer', content: { headline: 'ok', worst: [] } });
    const out = await router({ cloudEnabled: true, primary: undefined, secondary: undefined }).complete('summary', { system: 's', user, schema: summarySchema });
    expect(out).toMatchObject({ kind: 'answer', step: 'cloud', fallbackReasons: [] });
  });

  it('stays local when the cloud is disabled', async () => {
    claude.script(CLOUD, { kind: 'answer', content: { headline: 'x', worst: [] } });
    ollama.script(PRIMARY, { kind: 'answer', content: { headline: 'local', worst: [] } });
    const out = await router({ cloudEnabled: false }).complete('summary', { system: 's', user, schema: summarySchema, ...ids });
    expect(out).toMatchObject({ kind: 'answer', provider: 'ollama', value: { headline: 'local' } });
    expect(claude.requests).toHaveLength(0);
  });

  it('falls back to local models when the cloud fails', async () => {
    claude.script(CLOUD, { kind: 'status', status: 529, message: 'Overloaded' });
    ollama.script(PRIMARY, { kind: 'answer', content: { headline: 'local', worst: [] } });
    const out = await router({ cloudEnabled: true }).complete('summary', { system: 's', user, schema: summarySchema, ...ids });
    expect(out).toMatchObject({ kind: 'answer', provider: 'ollama', step: 'primary' });
    expect(out.fallbackReasons).toEqual([`cloud anthropic/${CLOUD}: HTTP 529: Overloaded`]);
    expect(claude.messages()).toHaveLength(1); // no SDK retries
    // The local model gets names (only secrets are removed for local models).
    expect(received(ollama.chats(PRIMARY)[0] as RecordedRequest)).toContain('api-7c9-x2');
  });

  it('applies an extra check after the schema', async () => {
    ollama.script(PRIMARY, { kind: 'answer', content: { headline: '', worst: [] } });
    ollama.script(SECONDARY, { kind: 'answer', content: { headline: 'fine', worst: [] } });
    const out = await router().complete('summary', {
      system: 's',
      user: 'u',
      schema: summarySchema,
      check: (v) => (v.headline ? undefined : 'empty headline'),
    });
    expect(out).toMatchObject({ kind: 'answer', model: SECONDARY, fallbackReasons: [`primary ollama/${PRIMARY}: answer rejected: empty headline`] });
  });
});

describe('ModelRouter construction', () => {
  it('refuses a cloud backend in a local slot (privacy contract)', () => {
    const cloud = new AnthropicBackend({ apiKey: API_KEY, model: CLOUD, baseURL: 'http://127.0.0.1:9' });
    expect(() => new ModelRouter({ primary: cloud, cloudEnabled: false, audit: () => {} })).toThrow(RouterMisconfigured);
    expect(() => new ModelRouter({ secondary: cloud, cloudEnabled: false, audit: () => {} })).toThrow(/secondary model must be local/);
  });
});
