/**
 * Redaction of text before it is sent to a model (the privacy contract, issue 3).
 *
 * Two layers, applied in this order:
 *
 * 1. **Secrets** (every mode): tokens, passwords and other credential key-values, PEM private keys,
 *    JWTs, cloud keys (AWS, GCP, Azure), GitHub/Slack/Telegram tokens, credentials in URLs and
 *    e-mail addresses become `[REDACTED:<kind>]`. This is one-way: the value is gone.
 * 2. **Identifiers** (`cloud` mode only): the namespaces and object names the caller passes in, and
 *    IPv4/IPv6 addresses, become stable placeholders (`<ns-1>`, `<name-2>`, `<ip-1>`) recorded in a
 *    {@link RedactionMapping}; {@link restore} puts the originals back into the model's answer.
 *
 * The rules are data ({@link SECRET_RULES}); each is a global regular expression plus an optional
 * replacer. Pure: no I/O, no clock.
 */

/** `local`: secrets only (even local models never see credentials). `cloud`: secrets and identifiers. */
export type RedactionMode = 'local' | 'cloud';

/** Kind of an identifier replaced by a reversible placeholder (`<ns-1>`, `<name-1>`, `<ip-1>`). */
export type PlaceholderKind = 'ns' | 'name' | 'ip';

/** One reversible replacement: `placeholder` stands for `original` in redacted text. */
export interface MappingEntry {
  placeholder: string;
  original: string;
  kind: PlaceholderKind;
}

/**
 * The reversible part of a redaction. Plain data (serialisable); never contains secrets, only the
 * identifiers that were hidden in `cloud` mode. Empty in `local` mode.
 */
export interface RedactionMapping {
  readonly entries: readonly MappingEntry[];
}

/** Options of {@link redact}. */
export interface RedactionOptions {
  mode: RedactionMode;
  /** Object names to hide in `cloud` mode (pods, workloads, nodes, containers…). Matched literally. */
  names?: readonly string[];
  /** Namespaces to hide in `cloud` mode. Matched literally; a value in both lists counts as a namespace. */
  namespaces?: readonly string[];
  /**
   * Mapping from an earlier call to extend, so several texts of one request (e.g. several prompt
   * parts) share placeholders: the same original keeps the same placeholder. Not mutated.
   */
  mapping?: RedactionMapping;
}

/** Result of {@link redact}. */
export interface RedactionResult {
  /** The redacted text. */
  text: string;
  /** Placeholders introduced so far (including those of `options.mapping`). */
  mapping: RedactionMapping;
  /** How many secrets of each kind were removed, e.g. `{ jwt: 1, password: 2 }`. For audit logs. */
  secrets: Readonly<Record<string, number>>;
}

/** A secret-detection rule: every match of `pattern` (global) is replaced. */
export interface SecretRule {
  /** Default kind written into `[REDACTED:<kind>]`. */
  kind: string;
  /** Global regular expression. */
  pattern: RegExp;
  /**
   * Builds the replacement for one match; `redacted(kind)` returns the marker and counts it.
   * Return the match unchanged to skip a false positive. Default: the whole match becomes the marker.
   */
  replace?: (redacted: (kind?: string) => string, match: string, ...groups: Array<string | undefined>) => string;
}

/** The marker that replaces a secret of the given kind. */
export function redactedMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** Keys whose values are credentials in `key=value`, `key: value` and `"key": "value"` forms. */
const CREDENTIAL_KEY =
  /[A-Za-z0-9_.-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*/
    .source;

/** Kind written for a credential key-value, derived from the key. */
function credentialKind(key: string): string {
  const k = key.toLowerCase();
  if (/pass|pwd/.test(k)) return 'password';
  if (/token/.test(k)) return 'token';
  if (/api[_-]?key|access[_-]?key|private[_-]?key/.test(k)) return 'api_key';
  if (/secret/.test(k)) return 'secret';
  return 'credential';
}

/** True for a 40-character string that looks like an AWS secret access key (mixed case and digits). */
function looksLikeAwsSecret(s: string): boolean {
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);
}

/**
 * Secret rules, most specific first. Later rules never re-redact a marker written by an earlier
 * one (value patterns refuse to start with `[REDACTED`).
 */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    // PEM private keys (RSA, EC, OPENSSH, PGP, PKCS#8), also JSON-escaped (`\n`). An unterminated
    // block (cut log) is redacted through the lines that look like key material (base64, PEM headers).
    kind: 'private_key',
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|(?:(?:\r?\n|\\n)(?:[A-Za-z0-9+/=]+|(?:Proc-Type|DEK-Info|Comment|Version):[^\r\n\\]*)?(?=\r?\n|\\n|["']|$))*)/g,
  },
  {
    // scheme://user:password@host (any scheme: https, postgres, redis, amqp, mongodb+srv…).
    kind: 'url_credentials',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s:@/]*:[^\s@/]+@/gi,
    replace: (redacted, _m, scheme = '') => `${scheme}${redacted()}@`,
  },
  {
    // Slack incoming webhooks carry their secret in the path.
    kind: 'slack_webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+/g,
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  },
  {
    // Authorization headers: the whole value (scheme and credentials) up to the end of the line.
    kind: 'authorization',
    pattern: /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?!\[REDACTED)[^\r\n"']+/gi,
    replace: (redacted, _m, key = '', sep = '') => `${key}${sep}${redacted()}`,
  },
  {
    kind: 'bearer_token',
    pattern: /\b(Bearer|bearer|BEARER)\s+(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}/g,
    replace: (redacted, _m, scheme = '') => `${scheme} ${redacted()}`,
  },
  { kind: 'aws_access_key', pattern: /\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b/g },
  {
    // Standalone AWS secret access keys: exactly 40 base64 characters with mixed case and digits.
    kind: 'aws_secret_key',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    replace: (redacted, m) => (looksLikeAwsSecret(m) ? redacted() : m),
  },
  { kind: 'gcp_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'gcp_oauth_token', pattern: /\bya29\.[0-9A-Za-z_-]{20,}/g },
  {
    // Azure storage / Service Bus connection strings.
    kind: 'azure_key',
    pattern: /\b(AccountKey|SharedAccessKey|SharedAccessSignature)=(?!\[REDACTED)[^;\s"']+/gi,
    replace: (redacted, _m, key = '') => `${key}=${redacted()}`,
  },
  {
    // Azure SAS token signature in a URL query.
    kind: 'azure_key',
    pattern: /([?&]sig=)[A-Za-z0-9%+/=]{16,}/g,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  // Azure AD (Entra) client secrets: 3 chars, a digit, `Q~`, then ~31–34 chars (a little slack).
  { kind: 'azure_client_secret', pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{30,36}(?![A-Za-z0-9_~.-])/g },
  { kind: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'gitlab_token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: 'slack_token', pattern: /\bxox[abprse]-[A-Za-z0-9-]{10,}/g },
  // Telegram bot tokens: numeric bot id, `:`, 35 characters starting with `AA` (a little slack).
  { kind: 'telegram_bot_token', pattern: /\b\d{8,10}:AA[A-Za-z0-9_-]{30,36}(?![A-Za-z0-9_-])/g },
  // Anthropic, OpenAI and Stripe style API keys.
  { kind: 'api_key', pattern: /\b(?:sk-ant-[A-Za-z0-9_-]{20,}|sk-(?:proj-)?[A-Za-z0-9_-]{20,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,})/g },
  {
    // key=value, key: value, "key": "value", key = 'value' where the key names a credential.
    // A space before `:` is not accepted (`volume "secret-vol" : secret "x" not found` is prose).
    // Unquoted values end at whitespace, a quote, or `&`/`,`/`;` that starts the next `key=`.
    kind: 'credential',
    pattern: new RegExp(
      `(?<![A-Za-z0-9_.-])(${CREDENTIAL_KEY})(["']?(?:\\s*=\\s*|:\\s*))(?!["']?\\[REDACTED)("[^"\\r\\n]*"|'[^'\\r\\n]*'|(?:[^\\s"'&,;]|[&,;](?![A-Za-z0-9_.-]+=|\\s|$))+)`,
      'gi',
    ),
    replace: (redacted, m, key, sep, value) => {
      if (value === undefined || key === undefined || sep === undefined) return m;
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      if (quote && value.length === 2) return m; // empty value: nothing to hide
      return `${key}${sep}${quote}${redacted(credentialKind(key))}${quote}`;
    },
  },
  {
    // CLI flags with a separate value: `--password hunter2`, `-token abc`.
    kind: 'credential',
    pattern: /(?<![A-Za-z0-9_-])(--?[A-Za-z-]*(?:password|passwd|secret|token|api-key|apikey))\s+(?!\[REDACTED|-)(\S+)/gi,
    replace: (redacted, _m, flag = '') => `${flag} ${redacted(credentialKind(flag))}`,
  },
  { kind: 'email', pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
];

/** Number of capturing groups of a pattern (replacer arguments are sliced by it). */
function countGroups(pattern: RegExp): number {
  return (new RegExp(`${pattern.source}|`).exec('')?.length ?? 1) - 1;
}

const RULES_WITH_GROUPS = SECRET_RULES.map((rule) => ({ rule, groups: countGroups(rule.pattern) }));

/** Markers already in a text: secret markers and placeholders. Identifier passes skip them. */
const MARKER = /\[REDACTED:[a-z0-9_]+\]|<(?:ns|name|ip)-\d+>/g;

const IPV4 = /(?<!\d)(?<!\d\.)(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\d)(?!\.\d)/g;
/** IPv6 candidates (validated by {@link isIPv6}): hex groups and colons, optionally an embedded IPv4 tail. */
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:)[0-9A-Fa-f:]+(?:\.\d{1,3}){0,3}(?![0-9A-Za-z:])/g;

/** True when `s` is a syntactically valid IPv6 address (full, compressed, or with an IPv4 tail). */
export function isIPv6(s: string): boolean {
  let groups = s;
  let extra = 0;
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    if (!new RegExp(`^${IPV4.source}$`).test(v4[1] ?? '')) return false;
    groups = s.slice(0, v4.index + 1) + '0'; // the IPv4 tail counts as two groups
    extra = 1;
  } else if (s.includes('.')) {
    return false;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): string[] | undefined => {
    if (h === '') return [];
    const parts = h.split(':');
    return parts.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p)) ? parts : undefined;
  };
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !tail) return false;
  const count = head.length + tail.length + extra;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** Escapes a literal for use inside a regular expression. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Applies `fn` to the parts of `text` outside existing markers and placeholders. */
function outsideMarkers(text: string, fn: (segment: string) => string): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(MARKER)) {
    out += fn(text.slice(last, m.index)) + m[0];
    last = m.index + m[0].length;
  }
  return out + fn(text.slice(last));
}

/** Mutable working copy of a mapping used while one {@link redact} call runs. */
class MappingBuilder {
  readonly entries: MappingEntry[];
  private readonly byOriginal = new Map<string, MappingEntry>();
  private readonly counters: Record<PlaceholderKind, number> = { ns: 0, name: 0, ip: 0 };

  constructor(initial: RedactionMapping | undefined) {
    this.entries = [...(initial?.entries ?? [])];
    for (const e of this.entries) {
      this.byOriginal.set(e.original, e);
      const n = Number(/-(\d+)>$/.exec(e.placeholder)?.[1] ?? 0);
      this.counters[e.kind] = Math.max(this.counters[e.kind], n);
    }
  }

  /** The placeholder for `original`, created on first use. */
  placeholder(original: string, kind: PlaceholderKind): string {
    const known = this.byOriginal.get(original);
    if (known) return known.placeholder;
    const entry: MappingEntry = { placeholder: `<${kind}-${++this.counters[kind]}>`, original, kind };
    this.entries.push(entry);
    this.byOriginal.set(original, entry);
    return entry.placeholder;
  }

  kindOf(original: string): PlaceholderKind | undefined {
    return this.byOriginal.get(original)?.kind;
  }
}

/**
 * Removes secrets from `text` and, in `cloud` mode, replaces namespaces, object names and IP
 * addresses with reversible placeholders.
 *
 * Names are matched literally (regex metacharacters are escaped), case-sensitively, and only as
 * whole tokens: not directly preceded or followed by a letter, digit or `_`. Longer names win over
 * their prefixes (`api-7c9-x2` before `api`). A name embedded in a longer, unlisted token such as
 * `api-7c9-x2` when only `api` is listed becomes `<name-1>-7c9-x2` — over-redaction is preferred.
 *
 * @param text any text (prompt, log lines, events).
 * @param options mode and the identifiers to hide; see {@link RedactionOptions}.
 * @returns the redacted text, the (extended) mapping and per-kind secret counts.
 * @example
 * const { text, mapping } = redact('pod api-1 in shop at 10.0.0.7, password=hunter2',
 *   { mode: 'cloud', names: ['api-1'], namespaces: ['shop'] });
 * // text: 'pod <name-1> in <ns-1> at <ip-1>, password=[REDACTED:password]'
 * restore('restart <name-1>', mapping); // 'restart api-1'
 */
export function redact(text: string, options: RedactionOptions): RedactionResult {
  const secrets: Record<string, number> = {};
  let out = text;
  for (const { rule, groups } of RULES_WITH_GROUPS) {
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const redacted = (kind: string = rule.kind): string => {
        secrets[kind] = (secrets[kind] ?? 0) + 1;
        return redactedMarker(kind);
      };
      return rule.replace ? rule.replace(redacted, match, ...(rest.slice(0, groups) as Array<string | undefined>)) : redacted();
    });
  }

  const builder = new MappingBuilder(options.mapping);
  if (options.mode === 'cloud') {
    out = hideIdentifiers(out, builder, options.namespaces ?? [], options.names ?? []);
  }
  return { text: out, mapping: { entries: builder.entries }, secrets };
}

/** The `cloud`-mode pass: namespaces and names first (a node name may contain an IP), then IPs. */
function hideIdentifiers(text: string, builder: MappingBuilder, namespaces: readonly string[], names: readonly string[]): string {
  const literals = new Map<string, PlaceholderKind>();
  for (const ns of namespaces) if (ns) literals.set(ns, 'ns');
  for (const name of names) if (name && !literals.has(name)) literals.set(name, builder.kindOf(name) ?? 'name');

  let out = text;
  if (literals.size > 0) {
    const alternatives = [...literals.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    const pattern = new RegExp(`(?<![A-Za-z0-9_])(?:${alternatives.join('|')})(?![A-Za-z0-9_])`, 'g');
    out = outsideMarkers(out, (seg) => seg.replace(pattern, (m) => builder.placeholder(m, literals.get(m) ?? 'name')));
  }
  out = outsideMarkers(out, (seg) => seg.replace(IPV6_CANDIDATE, (m) => (isIPv6(m) ? builder.placeholder(m, 'ip') : m)));
  out = outsideMarkers(out, (seg) => seg.replace(IPV4, (m) => builder.placeholder(m, 'ip')));
  return out;
}

/**
 * Puts the originals back for every placeholder of `mapping` found in `text` (the model's answer).
 * Unknown placeholders and `[REDACTED:…]` markers are left as they are: secrets are not reversible.
 *
 * @param text text that may contain placeholders such as `<ns-1>`.
 * @param mapping the mapping returned by {@link redact}.
 */
export function restore(text: string, mapping: RedactionMapping): string {
  if (mapping.entries.length === 0) return text;
  const byPlaceholder = new Map(mapping.entries.map((e) => [e.placeholder, e.original]));
  return text.replace(/<(?:ns|name|ip)-\d+>/g, (p) => byPlaceholder.get(p) ?? p);
}

/**
 * {@link restore} applied to every string inside a JSON-like value (objects, arrays, strings);
 * other values are returned unchanged. Returns a new value; the input is not mutated.
 *
 * @param value a parsed model answer.
 * @param mapping the mapping returned by {@link redact}.
 */
export function restoreDeep<T>(value: T, mapping: RedactionMapping): T {
  if (mapping.entries.length === 0) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return restore(v, mapping);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [restore(k, mapping), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
