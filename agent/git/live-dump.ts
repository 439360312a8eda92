/**
 * Loads a dump of live objects for offline drift checks: the output of
 * `kubectl get <kinds> -A -o yaml` (a `kind: List` with `items`), `-o json`, a multi-document
 * YAML stream, a JSON array, or a raw API list (`DeploymentList` whose items lack `kind`).
 *
 * A dump is all-or-nothing: a partly read dump would make every unread object look "missing",
 * so any syntax problem makes the whole dump `malformed`.
 */
import { readFile } from 'node:fs/promises';
import type { KObject } from '../../domain/k8s-objects.ts';
import { expandList, isRecord, parseKubeYaml } from './kube-yaml.ts';

/** Outcome of loading a dump. */
export type LiveDump =
  | { readonly kind: 'loaded'; readonly file: string; readonly objects: KObject[] }
  | { readonly kind: 'unreadable'; readonly file: string; readonly message: string }
  | { readonly kind: 'malformed'; readonly file: string; readonly line?: number; readonly message: string };

/**
 * Reads and parses a dump file.
 * @param file path of the dump (`.yaml`, `.yml`, `.json`, or anything holding one of those formats).
 */
export async function loadLiveDump(file: string): Promise<LiveDump> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    return { kind: 'unreadable', file, message: (cause as Error).message };
  }
  return parseLiveDump(text, file);
}

/**
 * Parses the text of a dump (see the module comment for accepted formats). JSON is tried first
 * for speed on large dumps; the YAML parser then gives line numbers for errors in either format.
 * @param file only used in the result, for messages.
 */
export function parseLiveDump(text: string, file: string): LiveDump {
  const values = parseValues(text);
  if ('message' in values) return { kind: 'malformed', file, ...values };
  const objects: KObject[] = [];
  for (const { value, line } of values.values) {
    const problem = collect(value, objects);
    if (problem) return { kind: 'malformed', file, line, message: problem };
  }
  return { kind: 'loaded', file, objects };
}

type ParsedValues = { values: Array<{ value: unknown; line?: number }> } | { line?: number; message: string };

function parseValues(text: string): ParsedValues {
  const head = text.trimStart()[0];
  if (head === '{' || head === '[') {
    try {
      return { values: [{ value: JSON.parse(text) }] };
    } catch {
      // fall through: the YAML parser reports the position
    }
  }
  const { documents, problems } = parseKubeYaml(text);
  const first = problems[0];
  if (first) return { line: first.line, message: first.message };
  return { values: documents.map(({ value, line }) => ({ value, line })) };
}

/** Adds the objects in `value` to `objects`; returns a problem description when the shape is wrong. */
function collect(value: unknown, objects: KObject[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    for (const element of value) {
      const problem = collect(element, objects);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isRecord(value)) return 'expected Kubernetes objects, a List, or an array of objects';
  const { items, problems } = expandList(value);
  if (problems[0]) return problems[0];
  for (const { object } of items) {
    if (!object.kind || !object.metadata?.name) return `an object without kind or metadata.name (${object.kind ?? 'no kind'})`;
    objects.push(object);
  }
  return undefined;
}
