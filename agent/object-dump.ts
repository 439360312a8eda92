/**
 * Loads a saved picture of a cluster from files, for offline diagnosis (`watchkeeper diagnose
 * --from-files`) and the scenario suite.
 *
 * Accepted object files (`.yaml`, `.yml`, `.json`, or anything holding one of those formats):
 * - `kubectl get … -o yaml` / `-o json` output: a `kind: List` with `items`, or a typed list
 *   (`PodList`, `EventList`, … whose items may lack `kind`);
 * - multi-document YAML (`---`), a single object, or a JSON array of objects;
 * - events of either API (`v1` `Event` or `events.k8s.io/v1`).
 *
 * Container logs, three ways:
 * - an item of kind `PodLog` anywhere among the objects (any `apiVersion`):
 *   ```yaml
 *   kind: PodLog
 *   metadata: { name: <pod>, namespace: <ns> }
 *   container: api
 *   previous: true          # the crashed instance's log (kubectl logs --previous); omit if unknown
 *   text: |                 # or `lines: [...]`
 *     …
 *   ```
 * - a side file named `<pod>.<container>.log` or `<pod>.<container>.previous.log` holding the
 *   output of `kubectl logs` (namespace: any);
 * - a YAML/JSON list of `{ pod, container, previous, lines }` (the `ContainerLog` shape).
 *
 * A `# collectedAt: <RFC 3339 time>` comment line in a YAML file records when the dump was taken.
 * Secret objects are dropped (Watchkeeper never reads Secrets). Anything malformed throws
 * {@link DumpFileError} naming the file and, where known, the line.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDocument } from 'yaml';
import type { KObject } from '../domain/k8s-objects.ts';
import { KUBE_YAML_OPTIONS, expandList, isRecord, parseKubeYaml } from './git/kube-yaml.ts';
import type { SavedPodLog } from './memory-cluster.ts';

/** The kind of the special log items. */
export const POD_LOG_KIND = 'PodLog';

/** A bad input file: unreadable, not YAML/JSON, or not Kubernetes objects. */
export class DumpFileError extends Error {
  override readonly name = 'DumpFileError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
    options: { cause?: unknown } = {},
  ) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${detail}`, options);
  }
}

/** What one or more files hold. */
export interface ObjectDump {
  /** Kubernetes objects (lists flattened), Secrets excluded, in file order. */
  objects: KObject[];
  logs: SavedPodLog[];
  /** From a `# collectedAt:` comment, when one of the files has it (the first wins). */
  collectedAt?: string;
  /** Remarks for the user, e.g. `objects.yaml: 2 Secret objects ignored`. */
  notes: string[];
}

/**
 * Reads and parses files (see the module comment for formats). `.log` files are container logs.
 *
 * @param files paths, in order.
 * @throws DumpFileError for the first bad file.
 */
export async function loadObjectDump(files: readonly string[]): Promise<ObjectDump> {
  const dump: ObjectDump = { objects: [], logs: [], notes: [] };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
      throw new DumpFileError(file, `cannot read: ${why}`, undefined, { cause: err });
    }
    mergeInto(dump, parseDumpFile(text, file));
  }
  return dump;
}

/**
 * Parses the text of one file. `.log` files are read as a container log named after the file.
 *
 * @param file the file's path (used for its name and in error messages).
 * @throws DumpFileError when the text is malformed.
 */
export function parseDumpFile(text: string, file: string): ObjectDump {
  if (file.endsWith('.log')) return { objects: [], logs: [logFromSideFile(text, file)], notes: [] };
  const dump: ObjectDump = { objects: [], logs: [], notes: [] };
  const collected = /^#\s*collectedAt:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (collected !== undefined) {
    if (Number.isNaN(Date.parse(collected))) {
      throw new DumpFileError(file, `"# collectedAt: ${collected}" is not an RFC 3339 time`, lineOfOffset(text, text.indexOf(collected)));
    }
    dump.collectedAt = new Date(collected).toISOString();
  }
  let secrets = 0;
  for (const { value, locate } of parseValues(text, file)) {
    for (const { value: item, path } of flatten(value, [])) {
      const where = () => locate(path);
      if (!isRecord(item)) throw new DumpFileError(file, `expected a Kubernetes object, got ${describe(item)}`, where());
      if (isLogRecord(item)) {
        dump.logs.push(logFromRecord(item, file, where));
        continue;
      }
      if (item.kind === POD_LOG_KIND) {
        dump.logs.push(logFromPodLog(item, file, where));
        continue;
      }
      const kind = item.kind;
      const meta = item.metadata;
      if (typeof kind !== 'string' || kind === '') throw new DumpFileError(file, 'not a Kubernetes object: no "kind"', where());
      if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
        throw new DumpFileError(file, `${kind} without metadata.name`, where());
      }
      if (kind === 'Secret') {
        secrets++;
        continue;
      }
      dump.objects.push(item as KObject);
    }
  }
  if (secrets > 0) dump.notes.push(`${basename(file)}: ${secrets} Secret object(s) ignored (Watchkeeper never reads Secrets)`);
  return dump;
}

/**
 * Pod, container and instance named by a side log file: `<pod>.<container>[.previous].log`.
 * Container names cannot contain dots, so the name is read from the right.
 *
 * @returns undefined when the name does not have that shape.
 */
export function parseLogFileName(file: string): { pod: string; container: string; previous?: boolean } | undefined {
  let stem = basename(file).replace(/\.log$/, '');
  let previous: boolean | undefined;
  if (stem.endsWith('.previous')) {
    previous = true;
    stem = stem.slice(0, -'.previous'.length);
  } else if (stem.endsWith('.current')) {
    previous = false;
    stem = stem.slice(0, -'.current'.length);
  }
  const dot = stem.lastIndexOf('.');
  if (dot <= 0 || dot === stem.length - 1) return undefined;
  return { pod: stem.slice(0, dot), container: stem.slice(dot + 1), ...(previous !== undefined ? { previous } : {}) };
}

function mergeInto(into: ObjectDump, part: ObjectDump): void {
  into.objects.push(...part.objects);
  into.logs.push(...part.logs);
  into.notes.push(...part.notes);
  if (into.collectedAt === undefined && part.collectedAt !== undefined) into.collectedAt = part.collectedAt;
}

type Path = Array<string | number>;

/** One top-level value and a way to find the line of a path inside it. */
interface Located {
  value: unknown;
  locate: (path: Path) => number | undefined;
}

/**
 * Top-level values of a file. JSON is tried first (fast for big dumps); YAML otherwise, which
 * also reports positions of syntax errors in JSON. Lines of items inside JSON are found by
 * re-parsing as YAML only when an error needs one.
 */
function parseValues(text: string, file: string): Located[] {
  if (text.trim() === '') throw new DumpFileError(file, 'the file is empty');
  const head = text.trimStart()[0];
  if (head === '{' || head === '[') {
    try {
      const value = JSON.parse(text) as unknown;
      return [{ value, locate: (path) => lineInYaml(text, 0, path) }];
    } catch {
      // fall through: the YAML parser reports the position
    }
  }
  const { documents, problems } = parseKubeYaml(text);
  const first = problems[0];
  if (first) throw new DumpFileError(file, `not valid YAML or JSON: ${first.message}`, first.line);
  return documents
    .filter((d) => d.value !== null && d.value !== undefined)
    .map((d) => ({
      value: d.value,
      locate: (path: Path) => {
        const node = d.document.getIn(path, true) as { range?: [number, number, number] } | undefined;
        const offset = node?.range?.[0];
        return offset !== undefined ? lineOfOffset(text, offset) : d.line;
      },
    }));
}

/** Line of a path in the `index`-th document of a text parsed as YAML (best effort). */
function lineInYaml(text: string, _index: number, path: Path): number | undefined {
  try {
    const doc = parseDocument(text, KUBE_YAML_OPTIONS);
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset !== undefined ? lineOfOffset(text, offset) : undefined;
  } catch {
    return undefined;
  }
}

/** Items of lists and arrays, recursively, with their paths. */
function flatten(value: unknown, path: Path): Array<{ value: unknown; path: Path }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => flatten(v, [...path, i]));
  if (isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items)) {
    const { items } = expandList(value);
    // expandList skips non-object items; keep them so they are reported.
    const raw = value.items as unknown[];
    return raw.flatMap((item, i) => {
      const expanded = items.find((it) => it.itemIndex === i)?.object;
      return flatten(expanded ?? item, [...path, 'items', i]);
    });
  }
  return [{ value, path }];
}

function isLogRecord(item: Record<string, unknown>): boolean {
  return item.kind === undefined && typeof item.pod === 'string' && typeof item.container === 'string' && ('lines' in item || 'text' in item);
}

function logFromRecord(item: Record<string, unknown>, file: string, where: () => number | undefined): SavedPodLog {
  return {
    ...(typeof item.namespace === 'string' ? { namespace: item.namespace } : {}),
    pod: item.pod as string,
    container: item.container as string,
    ...(typeof item.previous === 'boolean' ? { previous: item.previous } : {}),
    text: logText(item, file, where),
  };
}

function logFromPodLog(item: Record<string, unknown>, file: string, where: () => number | undefined): SavedPodLog {
  const meta = isRecord(item.metadata) ? item.metadata : {};
  if (typeof meta.name !== 'string' || meta.name === '') throw new DumpFileError(file, `${POD_LOG_KIND} without metadata.name (the pod)`, where());
  if (typeof item.container !== 'string' || item.container === '') throw new DumpFileError(file, `${POD_LOG_KIND} ${meta.name} without "container"`, where());
  if (item.previous !== undefined && typeof item.previous !== 'boolean') {
    throw new DumpFileError(file, `${POD_LOG_KIND} ${meta.name}: "previous" must be true or false`, where());
  }
  return {
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    pod: meta.name,
    container: item.container,
    ...(typeof item.previous === 'boolean' ? { previous: item.previous } : {}),
    text: logText(item, file, where),
  };
}

function logText(item: Record<string, unknown>, file: string, where: () => number | undefined): string {
  if (typeof item.text === 'string') return item.text;
  if (Array.isArray(item.lines) && item.lines.every((l) => typeof l === 'string')) return (item.lines as string[]).join('\n');
  throw new DumpFileError(file, 'a log needs "text" (a string) or "lines" (a list of strings)', where());
}

function logFromSideFile(text: string, file: string): SavedPodLog {
  const parsed = parseLogFileName(file);
  if (!parsed) throw new DumpFileError(file, 'a log file must be named <pod>.<container>.log or <pod>.<container>.previous.log');
  return { ...parsed, text };
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : `a ${typeof value}`;
}
