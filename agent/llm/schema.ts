/**
 * What a model must answer, as zod schemas, and the helpers that turn a raw answer into a
 * validated value: JSON Schema for the providers' structured-output options, lenient JSON
 * extraction, readable validation errors.
 */
import { z } from 'zod';
import { MODEL_ACTION_KINDS } from '../../domain/actions/catalog.ts';
import { CATEGORIES } from '../../domain/diagnosis.ts';

/**
 * The diagnosis answer. Strict: unknown keys, a category outside {@link CATEGORIES}, an action
 * the model may not choose ({@link MODEL_ACTION_KINDS}, from the action traits) or a confidence outside 0–1 make the answer invalid.
 */
export const diagnosisAnswerSchema = z.strictObject({
  /** One or two sentences for the on-call engineer. */
  summary: z.string().trim().min(1).max(1_000),
  /** One sentence naming the cause. */
  probableCause: z.string().trim().min(1).max(1_000),
  category: z.enum(CATEGORIES, { error: (iss) => `category ${JSON.stringify(iss.input)} is not a known category` }),
  /** 0–1. */
  confidence: z.number().min(0).max(1),
  action: z.strictObject({
    kind: z.enum(MODEL_ACTION_KINDS, { error: (iss) => `action ${JSON.stringify(iss.input)} is not in the catalog` }),
    /** Parameters of the action, e.g. `{ "replicas": 3 }`; string values are Kubernetes-name sized. */
    params: z.record(z.string().max(63), z.union([z.string().max(253), z.number()])),
  }),
  reasoning: z.string().trim().max(4_000),
});

/** A Kubernetes memory quantity such as `512Mi`, `1Gi`, `2G` or `1073741824`. */
const MEMORY_QUANTITY = /^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$/;

/**
 * Checks the parameters of a catalog action that the planner relies on, when they are present:
 * `replicas` a non-negative integer, `memory` a memory quantity, `revision` a positive integer,
 * `pod`/`container` non-empty names. Missing parameters are allowed (the planner fills them from
 * the findings).
 *
 * @returns a reason to discard the answer, or undefined when the parameters are usable.
 */
export function checkActionParams(action: DiagnosisAnswer['action']): string | undefined {
  const p = action.params;
  if ('replicas' in p && !(typeof p.replicas === 'number' && Number.isInteger(p.replicas) && p.replicas >= 0)) {
    return `action ${action.kind}: replicas must be a non-negative integer, got ${JSON.stringify(p.replicas)}`;
  }
  if ('memory' in p && !(typeof p.memory === 'string' && MEMORY_QUANTITY.test(p.memory))) {
    return `action ${action.kind}: memory must be a quantity such as 512Mi, got ${JSON.stringify(p.memory)}`;
  }
  if ('revision' in p && !(typeof p.revision === 'number' && Number.isInteger(p.revision) && p.revision > 0)) {
    return `action ${action.kind}: revision must be a positive integer, got ${JSON.stringify(p.revision)}`;
  }
  for (const key of ['pod', 'container'] as const) {
    if (key in p && !(typeof p[key] === 'string' && p[key] !== '')) return `action ${action.kind}: ${key} must be a name, got ${JSON.stringify(p[key])}`;
  }
  return undefined;
}

/** A validated diagnosis answer. */
export type DiagnosisAnswer = z.infer<typeof diagnosisAnswerSchema>;

/**
 * JSON Schema of a zod schema for the providers' structured-output options (Ollama `format`,
 * Anthropic `output_config.format.schema`), without the `$schema` keyword.
 *
 * @throws Error when the schema has parts JSON Schema cannot express (a bug in the schema).
 */
export function jsonSchemaFor(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema) as Record<string, unknown>;
  return rest;
}

/** Result of {@link parseJsonAnswer}. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * Parses a model's answer as JSON. Tolerates surrounding whitespace and one Markdown code fence
 * (```json … ```), which small models add even when told not to; nothing else.
 */
export function parseJsonAnswer(content: string): JsonParse {
  let text = content.trim();
  const fenced = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i.exec(text);
  if (fenced) text = (fenced[1] ?? '').trim();
  if (!text) return { ok: false, reason: 'answer is empty' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `answer is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

/** Zod issues as one line: `action.kind: action "drain" is not in the catalog; confidence: …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}
