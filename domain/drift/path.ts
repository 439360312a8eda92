/**
 * Field paths inside a Kubernetes object and the glob-ish patterns that rules use to match them.
 *
 * Paths are dot-separated field names; elements of keyed lists follow their list in brackets:
 * `spec.template.spec.containers[web].image`. Dots inside a field name are escaped with a
 * backslash, as kubectl's JSONPath does: `metadata.annotations.deployment\.kubernetes\.io/revision`.
 *
 * Patterns use the same syntax plus wildcards:
 * - `*` inside a segment matches any characters of that one segment (`resources.limits.*`,
 *   `containers[*]`, `volumes[kube-api-access-*]`);
 * - a whole `**` segment matches zero or more segments (`**.containers[*].image`).
 * Patterns are anchored at the object root.
 */

/** One step of a path: a map field, or an element of a list (its key, or its index for unkeyed lists). */
export type PathSegment = { readonly field: string } | { readonly item: string };

/** A path as segments, root first. */
export type FieldPath = readonly PathSegment[];

/** Renders a path in the dot/bracket syntax described above; the root is `""`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if ('field' in segment) out += (out === '' ? '' : '.') + escapeField(segment.field);
    else out += `[${segment.item.replace(/[\\\]]/g, (c) => `\\${c}`)}]`;
  }
  return out;
}

function escapeField(name: string): string {
  return name.replace(/[\\.[\]]/g, (c) => `\\${c}`);
}

/**
 * Splits a path or pattern string into segments. The inverse of {@link formatPath}.
 * @throws {InvalidPathPattern} on an unterminated `[` (a bug in a rule table or config).
 */
export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let field = '';
  const flushField = () => {
    if (field !== '') segments.push({ field });
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      field += text[++i];
    } else if (c === '.') {
      flushField();
    } else if (c === '[') {
      flushField();
      const { item, end } = readItem(text, i + 1);
      segments.push({ item });
      i = end;
    } else {
      field += c;
    }
  }
  flushField();
  return segments;
}

function readItem(text: string, start: number): { item: string; end: number } {
  let item = '';
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) item += text[++i];
    else if (c === ']') return { item, end: i };
    else item += c;
  }
  throw new InvalidPathPattern(text, 'unterminated "["');
}

/** Thrown when a rule's path pattern cannot be parsed; rule tables are code or config, so this is a bug. */
export class InvalidPathPattern extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`invalid path pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'InvalidPathPattern';
  }
}

type PatternSegment =
  | { readonly kind: 'any-depth' }
  | { readonly kind: 'field' | 'item'; readonly test: (text: string) => boolean };

/** A compiled pattern; build once with {@link compilePattern}, test many paths with {@link matchesPattern}. */
export interface PathPattern {
  readonly source: string;
  readonly segments: readonly PatternSegment[];
}

/**
 * Compiles a glob-ish pattern (see the module comment).
 * @example compilePattern('**.containers[*].image')
 * @throws {InvalidPathPattern} when the pattern is malformed.
 */
export function compilePattern(source: string): PathPattern {
  const segments = parsePath(source).map((segment): PatternSegment => {
    if ('field' in segment && segment.field === '**') return { kind: 'any-depth' };
    return 'field' in segment
      ? { kind: 'field', test: globTest(segment.field) }
      : { kind: 'item', test: globTest(segment.item) };
  });
  return { source, segments };
}

function globTest(glob: string): (text: string) => boolean {
  if (!glob.includes('*')) return (text) => text === glob;
  if (glob === '*') return () => true;
  const re = new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return (text) => re.test(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `path` matches `pattern` as a whole (not only a prefix). */
export function matchesPattern(pattern: PathPattern, path: FieldPath): boolean {
  return matchFrom(pattern.segments, 0, path, 0);
}

function matchFrom(pattern: readonly PatternSegment[], pi: number, path: FieldPath, si: number): boolean {
  if (pi === pattern.length) return si === path.length;
  const head = pattern[pi]!;
  if (head.kind === 'any-depth') {
    for (let skip = si; skip <= path.length; skip++) if (matchFrom(pattern, pi + 1, path, skip)) return true;
    return false;
  }
  const segment = path[si];
  if (segment === undefined) return false;
  const text = head.kind === 'field' ? ('field' in segment ? segment.field : undefined) : 'item' in segment ? segment.item : undefined;
  return text !== undefined && head.test(text) && matchFrom(pattern, pi + 1, path, si + 1);
}
