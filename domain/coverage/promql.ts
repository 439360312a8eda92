/**
 * Just enough PromQL reading for coverage: the vector selectors of an expression with their label
 * matchers, and the identifiers it mentions. Not a parser of the whole language — braces only ever
 * open selectors in PromQL, so scanning for them (outside strings and comments) is exact for the
 * matchers, which is all the alerting dimension needs.
 * Source: https://prometheus.io/docs/prometheus/latest/querying/basics/#time-series-selectors
 */

/** A label matcher: `name op "value"`. */
export interface LabelMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A vector selector: metric name (empty for `{__name__=…}` or `{…}` only) and its matchers. */
export interface VectorSelector {
  metric: string;
  matchers: LabelMatcher[];
}

const IDENT = /[A-Za-z0-9_:]/;

/** Unquotes a PromQL string literal (double, single or back quotes); escapes as in Go. */
function unquote(raw: string): string {
  const q = raw[0];
  const body = raw.slice(1, -1);
  if (q === '`') return body;
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

/** Index just past the string literal starting at `i` (which holds the quote). */
function skipString(expr: string, i: number): number {
  const q = expr[i];
  let j = i + 1;
  while (j < expr.length && expr[j] !== q) {
    if (expr[j] === '\\' && q !== '`') j++;
    j++;
  }
  return j + 1;
}

function parseMatchers(body: string): LabelMatcher[] {
  const out: LabelMatcher[] = [];
  let i = 0;
  const ws = () => {
    while (i < body.length && /\s|,/.test(body[i])) i++;
  };
  for (;;) {
    ws();
    if (i >= body.length) break;
    const start = i;
    while (i < body.length && /[A-Za-z0-9_]/.test(body[i])) i++;
    const name = body.slice(start, i);
    while (i < body.length && /\s/.test(body[i])) i++;
    const op = (['=~', '!~', '!=', '='] as const).find((o) => body.startsWith(o, i));
    if (!name || !op) break; // malformed: stop, keep what was read
    i += op.length;
    while (i < body.length && /\s/.test(body[i])) i++;
    if (!['"', "'", '`'].includes(body[i])) break;
    const end = skipString(body, i);
    out.push({ name, op, value: unquote(body.slice(i, end)) });
    i = end;
  }
  return out;
}

/**
 * The vector selectors of an expression, in order of appearance.
 * @example selectors('rate(http_requests_total{namespace="shop", code=~"5.."}[5m])')
 *   // [{ metric: 'http_requests_total', matchers: [{name:'namespace',op:'=',value:'shop'}, {name:'code',op:'=~',value:'5..'}] }]
 */
export function selectors(expr: string): VectorSelector[] {
  const out: VectorSelector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      continue;
    }
    if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
      continue;
    }
    if (c === '{') {
      let j = i - 1;
      while (j >= 0 && /\s/.test(expr[j])) j--;
      let k = j;
      while (k >= 0 && IDENT.test(expr[k])) k--;
      const metric = expr.slice(k + 1, j + 1);
      // find the closing brace, skipping strings
      let e = i + 1;
      while (e < expr.length && expr[e] !== '}') {
        if (expr[e] === '"' || expr[e] === "'" || expr[e] === '`') e = skipString(expr, e);
        else e++;
      }
      const matchers = parseMatchers(expr.slice(i + 1, e));
      const named = matchers.find((m) => m.name === '__name__' && m.op === '=');
      out.push({ metric: /^[A-Za-z_:]/.test(metric) ? metric : (named?.value ?? ''), matchers: matchers.filter((m) => m.name !== '__name__') });
      i = e + 1;
      continue;
    }
    i++;
  }
  return out;
}

/**
 * Identifiers outside strings, comments and selector braces: metric names, functions, keywords
 * and grouping labels. Used to tell which kinds of objects a generic rule is about.
 */
export function identifiers(expr: string): string[] {
  const out = new Set<string>();
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      continue;
    }
    if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
      continue;
    }
    if (c === '{') {
      while (i < expr.length && expr[i] !== '}') {
        if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') i = skipString(expr, i);
        else i++;
      }
      i++;
      continue;
    }
    if (/[A-Za-z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && IDENT.test(expr[i])) i++;
      out.add(expr.slice(start, i));
      continue;
    }
    i++;
  }
  return [...out];
}

/**
 * Compiles a matcher into a test over a value, with Prometheus semantics: regular expressions
 * are fully anchored; a missing label reads as the empty string.
 */
export function matcherTest(m: LabelMatcher): (value: string) => boolean {
  switch (m.op) {
    case '=':
      return (v) => v === m.value;
    case '!=':
      return (v) => v !== m.value;
    case '=~':
    case '!~': {
      let re: RegExp;
      try {
        re = new RegExp(`^(?:${m.value})$`);
      } catch {
        // RE2 syntax JavaScript does not take: never matches (a positive matcher selects nothing)
        return () => m.op === '!~';
      }
      return m.op === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
    }
  }
}

/** True when a positive matcher accepts anything non-empty (`=~".*"`, `=~".+"`): it selects nothing in particular. */
export function isTrivial(m: LabelMatcher): boolean {
  if (m.op === '=') return m.value === '';
  if (m.op === '=~') return /^(\.\*|\.\+)*$/.test(m.value);
  return true;
}
