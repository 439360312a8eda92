/**
 * Surgical edits of YAML manifests for "adopt": each change replaces only the characters of the
 * value it changes, so comments, blank lines, quoting, key order, indentation and every other
 * line of the file stay exactly as they were (a re-serialised document would reformat it all).
 *
 * Documents are parsed with the `yaml` library's Document API (YAML 1.1, as kubectl reads them,
 * see `kube-yaml.ts`); node ranges locate the text to replace. Inside block collections:
 * - a scalar replaced by a scalar keeps its quoting style (`"web:1.0"` → `"web:1.1"`);
 * - a whole value replaced by a collection (or a block scalar) is rendered in block style,
 *   indented like its siblings;
 * - a removed map entry or list element removes its lines;
 * - an appended list element is inserted after the last one, with the list's indentation.
 * Inside flow collections (`{app: web}`, `["--a", "--b"]`) the smallest enclosing flow
 * collection is rewritten on its own (one line in the diff).
 */
import { Document, isMap, isScalar, isSeq, parseAllDocuments, stringify, visit, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { KUBE_YAML_OPTIONS } from './kube-yaml.ts';

/** A path inside one document: map keys and list indexes, root first. */
export type DocPath = ReadonlyArray<string | number>;

/** One change to a document. */
export type YamlEdit =
  /** Replaces the value at `path` (an existing map entry or list element). */
  | { readonly op: 'set'; readonly path: DocPath; readonly value: unknown }
  /** Removes the map entry or list element at `path`. */
  | { readonly op: 'delete'; readonly path: DocPath }
  /** Appends `value` to the list at `path`. */
  | { readonly op: 'append'; readonly path: DocPath; readonly value: unknown };

/** An edit of the document at `docIndex` of a multi-document file (index as in `parseKubeYaml`). */
export interface DocumentEdit {
  readonly docIndex: number;
  readonly edit: YamlEdit;
}

/** An edit that cannot be made without reformatting (or whose path does not exist). */
export class YamlEditFailed extends Error {
  constructor(
    readonly docIndex: number,
    readonly path: DocPath,
    reason: string,
  ) {
    super(`document ${docIndex}, ${path.join('.') || '(root)'}: ${reason}`);
    this.name = 'YamlEditFailed';
  }
}

const RENDER = { ...KUBE_YAML_OPTIONS, lineWidth: 0, minContentWidth: 0 } as const;

interface Region {
  start: number;
  end: number;
  text: string;
  /** Flow collections are rendered after all edits; identity dedupes several edits inside one. */
  flow?: YAMLMap | YAMLSeq;
  style?: FlowStyle;
  describe: string;
}

/** A resolved step of a path: the container and, inside it, the pair or element. */
interface Step {
  container: YAMLMap | YAMLSeq;
  pair?: Pair<unknown, unknown>;
  index?: number;
  node: unknown;
}

/**
 * Applies `edits` to the YAML `text` and returns the new text.
 * @throws {YamlEditFailed} when a path does not exist in its document, or two edits overlap.
 * @example editYamlText(text, [{ docIndex: 0, edit: { op: 'set', path: ['spec', 'replicas'], value: 3 } }])
 */
export function editYamlText(text: string, edits: readonly DocumentEdit[]): string {
  const docs = Array.from(parseAllDocuments(text, KUBE_YAML_OPTIONS));
  const regions: Region[] = [];
  const flowRegions = new Map<YAMLMap | YAMLSeq, Region>();
  const mutations: Array<() => void> = [];
  for (const { docIndex, edit } of edits) {
    const doc = docs[docIndex];
    if (!doc || doc.errors.length > 0) throw new YamlEditFailed(docIndex, edit.path, 'no such document (or it does not parse)');
    const steps = resolve(doc as Document, edit, docIndex);
    const last = steps[steps.length - 1]!;
    const flow = outermostFlow(steps, edit);
    if (flow) {
      // Mutate the document now; render the flow collection once all edits are in.
      mutations.push(() => mutate(doc as Document, last, edit));
      if (!flowRegions.has(flow)) {
        const [start, end] = flow.range ?? [];
        if (start === undefined || end === undefined) throw new YamlEditFailed(docIndex, edit.path, 'flow collection without a source position');
        const region: Region = { start, end, text: '', flow, style: flowStyleOf(text, flow), describe: edit.path.join('.') };
        flowRegions.set(flow, region);
        regions.push(region);
      }
      continue;
    }
    regions.push(blockRegion(text, doc as Document, last, edit, docIndex));
  }
  for (const m of mutations) m();
  for (const region of flowRegions.values()) region.text = renderFlowNode(region.flow!, region.style!);
  return applyRegions(text, regions);
}

/** Walks the path; every step but the last must be a collection. */
function resolve(doc: Document, edit: YamlEdit, docIndex: number): Step[] {
  const steps: Step[] = [];
  let node: unknown = doc.contents;
  const path = edit.op === 'append' ? [...edit.path, -1] : edit.path;
  if (path.length === 0) throw new YamlEditFailed(docIndex, edit.path, 'cannot edit the document root');
  for (const [i, key] of path.entries()) {
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(key));
      if (!pair) throw new YamlEditFailed(docIndex, edit.path, `no key ${JSON.stringify(key)}`);
      steps.push({ container: node, pair, node: pair.value });
      node = pair.value;
    } else if (isSeq(node)) {
      if (edit.op === 'append' && isLast) {
        steps.push({ container: node, node: undefined });
        break;
      }
      const index = typeof key === 'number' ? key : Number.NaN;
      if (!Number.isInteger(index) || index < 0 || index >= node.items.length) throw new YamlEditFailed(docIndex, edit.path, `no list element ${String(key)}`);
      steps.push({ container: node, index, node: node.items[index] });
      node = node.items[index];
    } else {
      throw new YamlEditFailed(docIndex, edit.path, `${String(key)} is not inside a map or a list`);
    }
  }
  return steps;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The outermost flow collection the edit happens in (the edited container, or one of its ancestors). */
function outermostFlow(steps: Step[], edit: YamlEdit): YAMLMap | YAMLSeq | undefined {
  for (const step of steps) if (step.container.flow) return step.container;
  // `set` replacing a flow collection by another value is a block-level replacement of that value.
  void edit;
  return undefined;
}

/** Applies an edit to the document tree (for edits inside flow collections). */
function mutate(doc: Document, step: Step, edit: YamlEdit): void {
  const { container } = step;
  switch (edit.op) {
    case 'set':
      if (step.pair) {
        if (isScalar(step.pair.value) && isScalarValue(edit.value)) step.pair.value.value = edit.value;
        else step.pair.value = doc.createNode(edit.value);
      } else if (step.index !== undefined) {
        const current = container.items[step.index];
        if (isScalar(current) && isScalarValue(edit.value)) current.value = edit.value;
        else (container as YAMLSeq).items[step.index] = doc.createNode(edit.value);
      }
      return;
    case 'delete': {
      const victim = step.pair ?? container.items[step.index!];
      const at = (container.items as unknown[]).indexOf(victim);
      if (at >= 0) container.items.splice(at, 1);
      return;
    }
    case 'append':
      (container as YAMLSeq).items.push(doc.createNode(edit.value));
      return;
  }
}

/** The text region one block-context edit replaces, and its new text. */
function blockRegion(text: string, doc: Document, step: Step, edit: YamlEdit, docIndex: number): Region {
  const fail = (reason: string) => new YamlEditFailed(docIndex, edit.path, reason);
  const indentSeq = detectIndentSeq(text, doc);
  const describe = edit.path.join('.');
  switch (edit.op) {
    case 'set': {
      const value = step.node as Node | null | undefined;
      if (step.pair) {
        const key = step.pair.key as Node;
        const keyStart = key.range?.[0];
        const keyEnd = key.range?.[1];
        if (keyStart === undefined || keyEnd === undefined) throw fail('key without a source position');
        if (isScalar(value) && !isBlockScalar(value) && isInlineScalar(edit.value)) {
          return { start: value.range![0], end: value.range![1], text: renderScalar(edit.value, value.type), describe };
        }
        if (value && (isMap(value) || isSeq(value)) && value.flow && (isInlineScalar(edit.value) || isCollection(edit.value))) {
          return { start: value.range![0], end: value.range![1], text: renderFlowValue(edit.value, flowStyleOf(text, value)), describe };
        }
        const colon = text.indexOf(':', keyEnd);
        if (colon < 0) throw fail('cannot find the ":" after the key');
        const end = value?.range ? trimEnd(text, value.range[1], colon + 1) : colon + 1;
        return { start: colon + 1, end, text: renderAfterKey(edit.value, column(text, keyStart), indentSeq), describe };
      }
      // A list element replaced: only scalars in block lists.
      if (isScalar(value) && !isBlockScalar(value) && isInlineScalar(edit.value)) {
        return { start: value.range![0], end: value.range![1], text: renderScalar(edit.value, value.type), describe };
      }
      throw fail('replacing a whole list element is not supported; edit it by hand');
    }
    case 'delete': {
      if (step.pair) {
        const key = step.pair.key as Node;
        const value = step.pair.value as Node | null;
        const start = lineStart(text, key.range![0]);
        const end = lineEndIncl(text, value?.range ? value.range[2] : key.range![2]);
        return { start, end, text: '', describe };
      }
      const item = step.node as Node;
      if (!item?.range) throw fail('list element without a source position');
      return { start: lineStart(text, item.range[0]), end: lineEndIncl(text, item.range[2]), text: '', describe };
    }
    case 'append': {
      const seq = step.container as YAMLSeq;
      const first = seq.items[0] as Node | undefined;
      const last = seq.items[seq.items.length - 1] as Node | undefined;
      if (!first?.range || !last?.range) throw fail('cannot append to an empty block list');
      const dash = lineStart(text, first.range[0]);
      const col = text.slice(dash, first.range[0]).indexOf('-');
      if (col < 0) throw fail('cannot find the "-" of the list');
      const at = lineEndIncl(text, last.range[2]);
      const block = renderBlock([edit.value], col, indentSeq);
      return { start: at, end: at, text: `${at === text.length && !text.endsWith('\n') ? '\n' : ''}${block}\n`, describe };
    }
  }
}

function applyRegions(text: string, regions: Region[]): string {
  const sorted = [...regions].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.end) throw new YamlEditFailed(-1, [], `edits of ${prev.describe} and ${cur.describe} overlap`);
  }
  let out = text;
  for (const r of sorted.reverse()) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

// --- rendering ---

function isScalarValue(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isInlineScalar(value: unknown): boolean {
  return isScalarValue(value) && !(typeof value === 'string' && /[\n\r]/.test(value));
}

function isCollection(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function isBlockScalar(node: Node): boolean {
  return isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
}

/** One scalar in the style of the one it replaces (a string that needs quotes gets them). */
export function renderScalar(value: unknown, type?: string): string {
  if (typeof value === 'string') {
    if (type === 'QUOTE_DOUBLE') return JSON.stringify(value);
    if (type === 'QUOTE_SINGLE') return `'${value.replace(/'/g, "''")}'`;
  }
  const plain = stringify(value, RENDER).replace(/\n$/, '');
  return plain.includes('\n') ? JSON.stringify(value) : plain;
}

/** How a flow collection of the source is written: padding inside brackets, quotes of its strings. */
interface FlowStyle {
  padding: boolean;
  stringType?: 'QUOTE_DOUBLE' | 'QUOTE_SINGLE';
}

function flowStyleOf(text: string, node: YAMLMap | YAMLSeq): FlowStyle {
  const start = node.range?.[0] ?? 0;
  const firstScalar = node.items.map((i) => (isMap(node) ? (i as Pair).value : i)).find((v) => isScalar(v) && typeof v.value === 'string');
  const type = isScalar(firstScalar) ? firstScalar.type : undefined;
  return { padding: text[start + 1] === ' ', stringType: type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? type : undefined };
}

/** A value in flow style on one line (`{a: 1}`, `["x", "y"]`, or a scalar), written like the collection it replaces. */
function renderFlowValue(value: unknown, style: FlowStyle): string {
  if (!isCollection(value)) return renderScalar(value);
  const doc = new Document(value, KUBE_YAML_OPTIONS);
  visit(doc, {
    Map: (_, n) => void (n.flow = true),
    Seq: (_, n) => void (n.flow = true),
  });
  return doc
    .toString({ ...RENDER, flowCollectionPadding: style.padding, ...(style.stringType ? { defaultStringType: style.stringType, defaultKeyType: 'PLAIN' } : {}) })
    .replace(/\n$/, '');
}

function renderFlowNode(node: YAMLMap | YAMLSeq, style: FlowStyle): string {
  return stringify(node, { ...RENDER, flowCollectionPadding: style.padding }).replace(/\n$/, '');
}

/** A value in block style, every line indented by `indent` spaces (no final newline). */
function renderBlock(value: unknown, indent: number, indentSeq: boolean): string {
  const out = new Document(value, KUBE_YAML_OPTIONS).toString({ ...RENDER, indentSeq }).replace(/\n$/, '');
  const pad = ' '.repeat(indent);
  return out
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join('\n');
}

/** What follows `key:` for a new value: ` scalar`, ` |-` + block lines, or a block collection on the next lines. */
function renderAfterKey(value: unknown, keyColumn: number, indentSeq: boolean): string {
  if (isInlineScalar(value)) return ` ${renderScalar(value)}`;
  if (typeof value === 'string') {
    const [header, ...lines] = stringify(value, RENDER).replace(/\n$/, '').split('\n');
    const pad = ' '.repeat(keyColumn + 2);
    return ` ${header}\n${lines.map((l) => (l === '' ? l : pad + l)).join('\n')}`;
  }
  if (Array.isArray(value)) return value.length === 0 ? ' []' : `\n${renderBlock(value, keyColumn + (indentSeq ? 2 : 0), indentSeq)}`;
  if (isCollection(value)) return Object.keys(value as object).length === 0 ? ' {}' : `\n${renderBlock(value, keyColumn + 2, indentSeq)}`;
  return ` ${renderScalar(value)}`;
}

// --- positions ---

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function column(text: string, pos: number): number {
  return pos - lineStart(text, pos);
}

/** The position after the end of the line holding `pos - 1` (the newline included). */
function lineEndIncl(text: string, pos: number): number {
  if (pos > 0 && text[pos - 1] === '\n') return pos;
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

/** Moves `end` back over trailing whitespace and newlines, not before `min`. */
function trimEnd(text: string, end: number, min: number): number {
  let e = end;
  while (e > min && /\s/.test(text[e - 1]!)) e--;
  return e;
}

/**
 * Whether block lists under a key are indented (`key:\n  - a`) or not (`key:\n- a`, kubectl's
 * style), as the document itself does; not indented when it has no such list.
 */
function detectIndentSeq(text: string, doc: Document): boolean {
  let found: boolean | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (found !== undefined) return visit.BREAK;
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (isSeq(value) && !value.flow && key?.range && value.range) {
        if (text[value.range[0]] === '-') found = column(text, value.range[0]) > column(text, key.range[0]);
      }
      return undefined;
    },
  });
  return found ?? false;
}
