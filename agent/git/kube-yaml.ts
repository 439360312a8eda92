/**
 * YAML as kubectl reads it, shared by the manifest reader and the live-dump loader.
 *
 * kubectl decodes manifests with sigs.k8s.io/yaml (go-yaml, YAML 1.1 rules), so we parse as
 * YAML 1.1 too: `defaultMode: 0644` is octal 420 and `on`/`yes` are booleans, exactly as the
 * API server received them. Timestamps stay strings (Kubernetes has no YAML timestamp type).
 */
import { LineCounter, parseAllDocuments, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import type { KObject } from '../../domain/k8s-objects.ts';

/** Parser options matching kubectl's YAML semantics (see module comment). */
export const KUBE_YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) => tags.filter((tag) => tag !== 'timestamp' && (typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:timestamp')),
  logLevel: 'error',
};

/** A syntax or shape problem at a 1-based line (and column) of a source text. */
export interface SourceProblem {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** One parsed YAML document with its plain JSON value. */
export interface ParsedDocument {
  readonly index: number;
  readonly document: Document.Parsed;
  /** `toJS()` of the document; `null` for an empty document. */
  readonly value: unknown;
  /** 1-based line where the document's content starts. */
  readonly line: number | undefined;
}

/**
 * Parses a multi-document YAML (or JSON) text. Documents with syntax errors are not returned;
 * the first error of each is, with its position (later errors of a document are mostly
 * consequences of the first).
 */
export function parseKubeYaml(text: string): { documents: ParsedDocument[]; problems: SourceProblem[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { ...KUBE_YAML_OPTIONS, lineCounter });
  const documents: ParsedDocument[] = [];
  const problems: SourceProblem[] = [];
  for (const [index, document] of Array.from(docs).entries()) {
    const [error] = document.errors;
    if (error) {
      const pos = error.linePos?.[0];
      problems.push({ message: firstLine(error.message), line: pos?.line, column: pos?.col });
      continue;
    }
    const start = document.contents?.range?.[0];
    const line = start === undefined ? undefined : lineCounter.linePos(start).line;
    documents.push({ index, document, value: document.toJS({ maxAliasCount: 100 }), line });
  }
  return { documents, problems };
}

/** The first line of a yaml error message, without the code frame and the position (reported apart). */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:\s*$/, '').replace(/ at line \d+, column \d+$/, '');
}

/**
 * Expands a `kind: List` (or a typed list such as `DeploymentList`, as the raw API returns) into
 * its items. Items of typed lists lacking `kind`/`apiVersion` (raw API responses omit them) get
 * them from the list. Any other object is returned alone.
 *
 * @returns `{ object, itemIndex }` pairs; `itemIndex` is set only for list items. Non-object
 *   items are returned as problems.
 */
export function expandList(value: Record<string, unknown>): { items: Array<{ object: KObject; itemIndex?: number }>; problems: string[] } {
  const kind = typeof value.kind === 'string' ? value.kind : '';
  if (!kind.endsWith('List') || !Array.isArray(value.items)) return { items: [{ object: value as KObject }], problems: [] };
  const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
  const items: Array<{ object: KObject; itemIndex?: number }> = [];
  const problems: string[] = [];
  for (const [itemIndex, item] of (value.items as unknown[]).entries()) {
    if (!isRecord(item)) {
      problems.push(`item ${itemIndex} of the ${kind} is not an object`);
      continue;
    }
    const object = { ...item } as KObject;
    if (itemKind && object.kind === undefined) object.kind = itemKind;
    if (itemKind && object.apiVersion === undefined && typeof value.apiVersion === 'string') object.apiVersion = value.apiVersion;
    items.push({ object, itemIndex });
  }
  return { items, problems };
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
