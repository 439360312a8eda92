/**
 * Redaction of text before it is sent to a model (the privacy contract, issue 3).
 *
 * Two layers, applied in this order:
 *
 * 1. **Secrets** (every mode) become `[REDACTED:<kind>]`; this is one-way, the value is gone:
 *    private keys (PEM, PuTTY, bare base64 DER/OpenSSH bodies, kubeconfig `client-key-data`), JWTs,
 *    cloud keys (AWS, GCP, Azure), vendor tokens recognised by their prefix (GitHub, GitLab, Slack,
 *    Stripe, Vault, npm, PyPI, SendGrid, Mailgun, Shopify, DigitalOcean, Twilio, Telegram…),
 *    credentials in URLs and DSNs, Authorization and Cookie headers, credential key-values
 *    (`*PASS*`/`*SECRET*`/`*TOKEN*`/`*KEY*`, container env name/value pairs, YAML block scalars),
 *    passwords on command lines (`mysql -p…`, `curl -u`, `--password x`) and in prose
 *    ("passphrase Tr0ub4dor&3"), password hashes (htpasswd, shadow), Docker `auth`, base64 that
 *    decodes to any of these, and e-mail addresses. Ordinary Kubernetes text stays readable: a key
 *    must end with the credential word (`shop-auth-token-5d8f7c: container` is a pod name), and
 *    booleans, references (`secretName`, `DB_PASSWORD_FILE`) and English words after `password`
 *    are kept. The corpus is test/domain/secret-corpus.ts.
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
  /**
   * For encodings (base64): decodes a match to text, or returns undefined when it is not one. The
   * match is replaced by the marker when the rules find a secret in the decoded text (one level of
   * nesting is followed: base64 inside base64). `replace` is ignored when `decode` is set.
   */
  decode?: (match: string) => string | undefined;
}

/** The marker that replaces a secret of the given kind. */
export function redactedMarker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/**
 * Words that make a key a credential key when the key ends with one (optionally followed by
 * {@link CREDENTIAL_SUFFIX}): `DB_PASSWORD`, `smtp.pass`, `client_secret`, `X-Auth-Token`, `apiKey`.
 * `pass`/`pwd` count only as a whole segment (`DB_PASS`, not `bypass`). A key that merely contains
 * such a word in the middle (`shop-auth-token-5d8f7c-qz2lm`, `secretName`, `token-service`) is a
 * Kubernetes name or a reference, not a credential.
 */
const CREDENTIAL_WORD =
  '(?:pass(?:word|wd|phrase)|(?<![a-z])pass|(?<![a-z])pwd|secret|token|api[_-]?key|apikey|(?:access|private|secret|signing|encryption|master|client|auth|license|account|shared)[_-]?key|credentials?)';
/** Suffixes after a credential word that keep the key a credential (`secret_key_base`, `token_value`, `password2`). */
const CREDENTIAL_SUFFIX = '(?:[_.-]?(?:key|base|value|hash|b64|base64|data|secret|token|string|str|raw|enc|encrypted|plain|\\d+)){0,3}';
/** Keys whose values are credentials in `key=value`, `key: value` and `"key": "value"` forms. */
const CREDENTIAL_KEY = `[A-Za-z0-9_.-]{0,64}?${CREDENTIAL_WORD}${CREDENTIAL_SUFFIX}`;
/** A value: quoted, or unquoted up to whitespace, a quote, or `&`/`,`/`;` that starts the next `key=`. */
const VALUE = `("[^"\\r\\n]*"|'[^'\\r\\n]*'|(?:[^\\s"'&,;]|[&,;](?![A-Za-z0-9_.-]+=|\\s|$))+)`;

/** Segments of an upper-case (environment variable style) name that make it a credential name. */
const ENV_SECRET_SEGMENTS = new Set(['PASS', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'PWD', 'SECRET', 'SECRETS', 'TOKEN', 'KEY', 'APIKEY', 'CREDENTIAL', 'CREDENTIALS', 'AUTH']);
/** Last segments that name something about a secret rather than the secret (`DB_PASSWORD_FILE`, `SECRET_NAME`). */
const ENV_REFERENCE_SEGMENTS = new Set(['FILE', 'PATH', 'DIR', 'NAME', 'REF', 'ID', 'URL', 'URI', 'TTL', 'TYPE', 'ENABLED', 'LENGTH', 'SIZE', 'EXPIRY', 'EXPIRES', 'SECONDS', 'HEADER', 'FIELD', 'ALGORITHM', 'VERSION', 'COUNT', 'MODE', 'PROVIDER', 'ISSUER', 'AUDIENCE']);

/** True for an upper-case name such as `DB_PASS` or `JWT_SIGNING_KEY` that names a secret value. */
function isSecretEnvName(name: string): boolean {
  const segments = name.split('_').filter(Boolean);
  const last = segments[segments.length - 1] ?? '';
  return segments.some((s) => ENV_SECRET_SEGMENTS.has(s)) && !ENV_REFERENCE_SEGMENTS.has(last);
}

/** Kind written for a credential key-value, derived from the key. */
function credentialKind(key: string): string {
  const k = key.toLowerCase();
  if (/pass|pwd/.test(k)) return 'password';
  if (/token/.test(k)) return 'token';
  if (/api[_-]?key|access[_-]?key|private[_-]?key/.test(k)) return 'api_key';
  if (/secret/.test(k)) return 'secret';
  if (/key/.test(k)) return 'api_key';
  return 'credential';
}

/** Values that are never secrets even after a credential key (`automountServiceAccountToken: false`). */
const NOT_A_VALUE = /^["']?(?:true|false|null|none|nil|yes|no|~|[|>][-+]?\d?|\{\{.*\}\}|<[a-z_-]+>)["']?$/i;

/** Replacer of key/separator/value rules: keeps the key, the separator and quotes; hides the value. */
function hideValue(redacted: (kind?: string) => string, m: string, key?: string, sep?: string, value?: string): string {
  if (value === undefined || key === undefined || sep === undefined) return m;
  const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
  if (quote && value.length === 2) return m; // empty value: nothing to hide
  if (NOT_A_VALUE.test(value)) return m;
  return `${key}${sep}${quote}${redacted(credentialKind(key))}${quote}`;
}

/** True when `name` (an env var or key name) names a secret value. */
function namesSecret(name: string): boolean {
  return new RegExp(`^${CREDENTIAL_KEY}$`, 'i').test(name) || isSecretEnvName(name.toUpperCase());
}

/** True for a 40-character string that looks like an AWS secret access key (mixed case and digits). */
function looksLikeAwsSecret(s: string): boolean {
  return /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);
}

/**
 * True for a word that looks generated or chosen as a password rather than an English word: digits
 * with letters, a symbol, inner capitals, or six or more digits. Prose rules redact only these, so
 * `password authentication failed` stays readable.
 */
function looksLikeSecretWord(s: string): boolean {
  if (/^\d{6,}$/.test(s)) return true;
  if (s.length < 4) return false;
  const letters = /[A-Za-z]/.test(s);
  return (letters && /\d/.test(s)) || /[^A-Za-z0-9]/.test(s) || /[A-Z]/.test(s.slice(1));
}

/**
 * Decodes standard base64 holding UTF-8 text (Kubernetes Secret `data`, `.dockerconfigjson`,
 * kubeconfig `*-data`); undefined for anything else (binary, not base64, too short).
 */
function decodeBase64Text(s: string): string | undefined {
  if (s.length < 16 || s.length % 4 !== 0) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** Token formats recognised by their prefix: `[kind, pattern]`, one line per vendor family. */
const PREFIXED_TOKENS: ReadonlyArray<readonly [string, RegExp]> = [
  ['github_token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g],
  // GitLab personal, runner, deploy, trigger, feed, incoming-mail, agent, CI-build, OAuth, SCIM, feature-flag tokens, runner registration.
  ['gitlab_token', /\b(?:gl(?:pat|rt|dt|ptt|ft|imt|agent|cbt|oas|soat|ffct|wt)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})/g],
  ['slack_token', /\b(?:xox[abprse]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})/g],
  ['stripe_key', /\bwhsec_[A-Za-z0-9+/=]{24,}/g],
  ['vault_token', /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g],
  ['npm_token', /\bnpm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g],
  ['pypi_token', /\bpypi-[A-Za-z0-9_-]{40,}/g],
  ['sendgrid_key', /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{30,}/g],
  ['mailgun_key', /\bkey-(?=[0-9a-zA-Z]*\d)(?=[0-9a-zA-Z]*[a-zA-Z])[0-9a-zA-Z]{32}(?![0-9a-zA-Z])/g],
  ['shopify_token', /\bshp(?:at|ss|ca|pa)_[A-Fa-f0-9]{32}(?![A-Fa-f0-9])/g],
  ['digitalocean_token', /\bdo[opr]_v1_[a-f0-9]{64}(?![a-f0-9])/g],
  [
    'api_key',
    // Anthropic, OpenAI, Stripe, Hugging Face, Google OAuth client secret, Docker Hub, Grafana, Atlassian,
    // Tailscale, age, Postman, New Relic, Sentry, Linear, Doppler, Heroku, Pulumi, Databricks, Square,
    // RubyGems, Netlify, Supabase, PlanetScale, Terraform Cloud, NuGet, Fly.io, Brevo, Mailchimp.
    /\b(?:sk-ant-[A-Za-z0-9_-]{20,}|sk-(?:proj-)?[A-Za-z0-9_-]{20,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|hf_[A-Za-z0-9]{30,}|GOCSPX-[A-Za-z0-9_-]{20,}|dckr_pat_[A-Za-z0-9_-]{20,}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/=]{30,}|ATATT[A-Za-z0-9_=-]{30,}|tskey-[a-z]+-[A-Za-z0-9-]{20,}|AGE-SECRET-KEY-1[A-Z0-9]{30,}|PMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}|NRAK-[A-Z0-9]{27}|sntry[su]_[A-Za-z0-9+/=_-]{30,}|lin_api_[A-Za-z0-9]{30,}|dp\.(?:pt|st|ct|sa|scim)\.[A-Za-z0-9]{30,}|HRKU-[A-Za-z0-9_-]{30,}|pul-[a-f0-9]{40}|dapi[a-f0-9]{32}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|rubygems_[a-f0-9]{48}|nfp_[A-Za-z0-9]{30,}|sbp_[a-f0-9]{40}|pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{30,}|[a-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}|oy2[a-z0-9]{43}|fo1_[A-Za-z0-9_-]{30,}|xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}|[0-9a-f]{32}-us\d{1,2}\b)/g,
  ],
];

/**
 * Private keys without PEM armour, by the base64 of their DER/OpenSSH header: PKCS#1 and PKCS#8
 * (`MII…IBA[AD]`), SEC1 EC (`MHcCAQEE`, `MIGkAgEBBDA`), PKCS#8 Ed25519 and EC, OpenSSH
 * (`b3BlbnNzaC1rZXktdjE` = "openssh-key-v1"), continued over following base64-only lines.
 */
const BARE_KEY_BODY =
  /(?<![A-Za-z0-9+/])(?:MII[A-Za-z0-9+/]{3}IBA[AD]|MHcCAQEE|MIGkAgEBBDA|MC4CAQAwBQYDK2Vw|MIGHAgEAMBMGByqGSM49|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/]{20,}={0,2}(?:(?:\r?\n|\\n)[A-Za-z0-9+/]{4,}={0,2}(?=\r?\n|\\n|["']|$))*/g;

/**
 * Secret rules, most specific first. Later rules never re-redact a marker written by an earlier
 * one (value patterns refuse to start with `[REDACTED`). Sources of the token formats: the vendors'
 * documentation and the gitleaks rule set (github.com/gitleaks/gitleaks, `config/gitleaks.toml`).
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
    // PuTTY key files (.ppk v2/v3): the whole file through `Private-MAC`, or, cut, from
    // `Private-Lines` through the base64 lines that follow.
    kind: 'private_key',
    pattern:
      /PuTTY-User-Key-File-\d+:[^\r\n]*(?:\r?\n(?!PuTTY-User-Key-File)[^\r\n]*){0,60}?\r?\nPrivate-MAC:[ \t]*[0-9A-Fa-f]+|Private-Lines:[ \t]*\d+(?:\r?\n[A-Za-z0-9+/=]+)+(?:\r?\nPrivate-MAC:[^\r\n]*)?/g,
  },
  { kind: 'private_key', pattern: BARE_KEY_BODY },
  {
    // kubeconfig `client-key-data` (base64 of a PEM private key).
    kind: 'private_key',
    pattern: /\b(client-key-data)(["']?[ \t]*:[ \t]*["']?)(?!\[REDACTED)[A-Za-z0-9+/=]{8,}/g,
    replace: (redacted, _m, key = '', sep = '') => `${key}${sep}${redacted()}`,
  },
  {
    // scheme://user:password@host (any scheme: https, postgres, redis, amqp, mongodb+srv…).
    kind: 'url_credentials',
    pattern: /\b([a-z][a-z0-9+.-]*:\/\/)[^\s:@/]*:[^\s@/]+@/gi,
    replace: (redacted, _m, scheme = '') => `${scheme}${redacted()}@`,
  },
  {
    // Go MySQL driver DSN: user:password@tcp(host:3306)/db.
    kind: 'url_credentials',
    pattern: /(?<![A-Za-z0-9_.[-])([A-Za-z0-9_.-]+:)(?!\[REDACTED)[^\s@/:]+(@(?:tcp|tcp6|unix|udp)\()/g,
    replace: (redacted, _m, user = '', at = '') => `${user}${redacted()}${at}`,
  },
  {
    // Incoming webhooks that carry their secret in the path: Slack.
    kind: 'slack_webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+/g,
  },
  {
    // Discord and Microsoft Teams incoming webhooks.
    kind: 'webhook_url',
    pattern: /https:\/\/(?:(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d+\/[A-Za-z0-9_-]+|[A-Za-z0-9-]+\.webhook\.office\.com\/webhookb2\/[^\s"'<>]+)/g,
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
  },
  {
    // htpasswd / shadow / crypt(3) password hashes (apr1, bcrypt, sha256/512-crypt, yescrypt, argon2,
    // scrypt, pbkdf2) and LDAP-style `{SHA}`/`{SSHA}` hashes: offline-crackable, so secret.
    kind: 'password_hash',
    pattern:
      /\$(?:apr1|2[abxy]?|1|5|6|y|gy|7|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha\d+)?)\$[A-Za-z0-9./+=$,-]{8,}|\{(?:SHA|SSHA|SHA256|SSHA256|SHA512|SSHA512|SMD5|MD5|CRYPT)\}[A-Za-z0-9+/=.$]{16,}/g,
  },
  {
    // Docker config (`~/.docker/config.json`, `.dockerconfigjson`): `"auth"` is base64 of user:password.
    kind: 'docker_auth',
    pattern: /("auth"[ \t]*:[ \t]*")(?!\[REDACTED)[A-Za-z0-9+/=]{4,}(")/g,
    replace: (redacted, _m, open = '', close = '') => `${open}${redacted()}${close}`,
  },
  {
    // Base64 whose decoded text holds a secret (Kubernetes Secret data, `.dockerconfigjson`, a
    // base64 PEM, `password=…`): the whole encoded value goes.
    kind: 'base64_secret',
    pattern: /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=_-])/g,
    decode: decodeBase64Text,
  },
  {
    // Authorization headers: the whole value (scheme and credentials) up to the end of the line.
    kind: 'authorization',
    pattern: /\b((?:proxy-)?authorization)(["']?\s*[:=]\s*["']?)(?!["']?\s*\[REDACTED)[^\r\n"']+/gi,
    replace: (redacted, _m, key = '', sep = '') => `${key}${sep}${redacted()}`,
  },
  {
    // Cookie and Set-Cookie headers (also in JSON header maps): the whole value up to the end of the line.
    kind: 'cookie',
    pattern: /(?<![A-Za-z0-9_-])((?:set-)?cookie)(["']?[ \t]*[:=][ \t]*["']?)(?!["']?[ \t]*\[REDACTED)([^\r\n"']+)/gi,
    replace: (redacted, m, key = '', sep = '', value = '') => (NOT_A_VALUE.test(value.trim()) ? m : `${key}${sep}${redacted()}`),
  },
  {
    // curl --cookie / -b 'name=value'.
    kind: 'cookie',
    pattern: /(\bcurl\b[^\r\n]*?[ \t](?:--cookie|-b)[ \t]+["']?)(?!\[REDACTED)([^"'\r\n\s]+=[^"'\r\n]+)/g,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  {
    // Bearer tokens; a following English word (`Bearer authentication required`) is left alone.
    kind: 'bearer_token',
    pattern: /\b(Bearer|bearer|BEARER)\s+(?!\[REDACTED)([A-Za-z0-9._~+/=-]{8,})/g,
    replace: (redacted, m, scheme = '', token = '') => (/^[a-z]+$/.test(token) ? m : `${scheme} ${redacted()}`),
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
  ...PREFIXED_TOKENS.map(([kind, pattern]): SecretRule => ({ kind, pattern })),
  {
    // Twilio auth token after the account SID (`AC…:token`, curl -u, basic auth).
    kind: 'twilio_auth_token',
    pattern: /\b(AC[0-9a-f]{32}:)[0-9a-f]{32}(?![0-9a-f])/g,
    replace: (redacted, _m, sid = '') => `${sid}${redacted()}`,
  },
  {
    // A 32-hex Twilio auth token shortly after the word "twilio" (prose, TWILIO_AUTH_TOKEN=…).
    kind: 'twilio_auth_token',
    pattern: /(\btwilio[^\r\n]{0,40}?)(?<![0-9A-Fa-f])[0-9a-f]{32}(?![0-9a-f])/gi,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  // Telegram bot tokens: numeric bot id, `:`, 35 characters starting with `AA` (a little slack);
  // also inside a Bot API URL (`/bot<id>:<token>/sendMessage`), where the id follows `bot`.
  { kind: 'telegram_bot_token', pattern: /(?<![0-9])\d{5,12}:AA[A-Za-z0-9_-]{30,36}(?![A-Za-z0-9_-])/g },
  {
    kind: 'telegram_bot_token',
    pattern: /(\/bot)\d{5,15}:(?!\[REDACTED)[A-Za-z0-9_-]{20,}/g,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  {
    // Kubernetes bootstrap tokens (`kubeadm join --token abcdef.0123456789abcdef`).
    kind: 'token',
    pattern: /(?<![A-Za-z0-9_.-])[a-z0-9]{6}\.(?=[a-z]*\d)[a-z0-9]{16}(?![A-Za-z0-9_.-])/g,
  },
  {
    // Container env entries: `- name: DB_PASSWORD` followed by `value: …` (YAML).
    kind: 'credential',
    pattern: new RegExp(
      `(name:[ \\t]*["']?)(${CREDENTIAL_KEY}|[A-Z][A-Z0-9_]*)(["']?[ \\t]*\\r?\\n[ \\t]*(?:-[ \\t]*)?value:[ \\t]*)(?!["']?\\[REDACTED)("[^"\\r\\n]*"|'[^'\\r\\n]*'|[^\\s]+)`,
      'gi',
    ),
    replace: (redacted, m, open = '', name = '', sep = '', value) => (namesSecret(name) ? `${open}${hideValue(redacted, name + sep + (value ?? ''), name, sep, value)}` : m),
  },
  {
    // Container env entries in JSON: {"name":"API_TOKEN","value":"…"}.
    kind: 'credential',
    pattern: /("name"[ \t]*:[ \t]*")([A-Za-z0-9_.-]+)("[ \t]*,[ \t]*"value"[ \t]*:[ \t]*)(?!"\[REDACTED)("[^"\r\n]*")/g,
    replace: (redacted, m, open = '', name = '', sep = '', value) => (namesSecret(name) ? `${open}${hideValue(redacted, name + sep + (value ?? ''), name, sep, value)}` : m),
  },
  {
    // YAML block scalars under a credential key (`password: |` and the more-indented lines after it).
    kind: 'credential',
    pattern: new RegExp(`^([ \\t]*)(${CREDENTIAL_KEY})(:[ \\t]*[|>][-+]?\\d?[ \\t]*\\r?\\n)((?:\\1[ \\t]+[^\\r\\n]*(?:\\r?\\n|$)|[ \\t]*\\r?\\n)+)`, 'gim'),
    replace: (redacted, _m, indent = '', key = '', sep = '', block = '') => `${indent}${key}${sep}${indent}  ${redacted(credentialKind(key))}${block.endsWith('\n') ? '\n' : ''}`,
  },
  {
    // Upper-case (environment style) names with a secret segment: DB_PASS=, ENCRYPTION_KEY: "…".
    kind: 'credential',
    pattern: new RegExp(`(?<![A-Za-z0-9_.[-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)(["']?(?:[ \\t]*=[ \\t]*|:[ \\t]*))(?!["']?\\[REDACTED)${VALUE}`, 'g'),
    replace: (redacted, m, key, sep, value) => (key !== undefined && isSecretEnvName(key) ? hideValue(redacted, m, key, sep, value) : m),
  },
  {
    // key=value, key: value, "key": "value", key = 'value' where the key names a credential.
    // A space before `:` is not accepted (`volume "secret-vol" : secret "x" not found` is prose), nor
    // a line break after it (`secret:` opening a YAML block). After `:` a lower-case word followed by
    // more words is prose (`failed to refresh token: context deadline exceeded`).
    kind: 'credential',
    pattern: new RegExp(`(?<![A-Za-z0-9_.-])(${CREDENTIAL_KEY})(["']?(?:[ \\t]*=[ \\t]*|:[ \\t]*))(?!["']?\\[REDACTED)${VALUE}(?=([ \\t]+[a-z]+)?)`, 'gi'),
    replace: (redacted, m, key, sep, value, more) => {
      const prose = sep?.trim().startsWith(':') && /^[a-z]+:?$/.test(value ?? '') && (more !== undefined || (value ?? '').endsWith(':'));
      return prose ? m : hideValue(redacted, m, key, sep, value);
    },
  },
  {
    // Passwords on command lines of tools that take them glued to `-p` or after `-a`/`-p`:
    // mysql/mariadb -p<pw>, sshpass -p, redis-cli -a, docker/podman/helm registry login -p.
    kind: 'password',
    pattern:
      /(\b(?:(?:mysql(?:dump|admin|import|sh|check)?|mariadb(?:-dump|-admin)?)\b[^\r\n|;]{0,200}?[ \t]-p|\bsshpass[ \t]+(?:-[a-oq-zA-Z]\S*[ \t]+)*-p[ \t]*|\bredis-cli\b[^\r\n|;]{0,200}?[ \t](?:-a|--pass)[ \t]+|\b(?:docker|podman|nerdctl|buildah|skopeo|registry)[ \t]+login\b[^\r\n|;]{0,200}?[ \t](?:-p|--password)[ \t]+))(?![-\s]|\[REDACTED)(\S+)/g,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  {
    // curl -u / --user user:password.
    kind: 'password',
    pattern: /(\bcurl\b[^\r\n|;]{0,200}?[ \t](?:-u|--user)[ \t]*["']?[^\s:"']+:)(?!\[REDACTED)([^\s"']+)/g,
    replace: (redacted, _m, prefix = '') => `${prefix}${redacted()}`,
  },
  {
    // CLI flags with a separate value: `--password hunter2`, `-token abc`, `-storepass x`, `--authkey k`.
    kind: 'credential',
    pattern:
      /(?<![A-Za-z0-9_-])(--?(?:[A-Za-z0-9]+-)*(?:(?:store|key|srcstore|deststore|srckey|destkey|new|old)?pass(?:word|wd|phrase|in|out)?|secret|token|api-?key|auth-?key|access-?key|secret-?key))\s+(?!\[REDACTED|-)(\S+)/gi,
    replace: (redacted, _m, flag = '') => `${flag} ${redacted(credentialKind(flag))}`,
  },
  {
    // Passwords in prose: "passphrase Tr0ub4dor&3", "the password is Adm1n!2024", `password "a b c"`.
    // Only a value that looks chosen (digits with letters, a symbol, inner capitals) or is quoted.
    kind: 'password',
    pattern: /\b(pass(?:word|phrase)|passwd)\b([ \t]+(?:(?:is|was|of|to|=)[ \t]+)?)(?!\[REDACTED)("[^"\r\n]{2,}"|'[^'\r\n]{2,}'|[^\s"']+?)(?=[.,;:)!?]*(?:\s|$))/gi,
    replace: (redacted, m, word = '', sep = '', value = '') => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : '';
      if (!quote && !looksLikeSecretWord(value)) return m;
      return `${word}${sep}${quote}${redacted()}${quote}`;
    },
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
  let out = removeSecrets(text, secrets, 0);

  const builder = new MappingBuilder(options.mapping);
  if (options.mode === 'cloud') {
    out = hideIdentifiers(out, builder, options.namespaces ?? [], options.names ?? []);
  }
  return { text: out, mapping: { entries: builder.entries }, secrets };
}

/** How deep {@link removeSecrets} follows encodings (base64 inside base64). */
const MAX_DECODE_DEPTH = 2;

/** Applies every {@link SECRET_RULES} rule in order, counting removed secrets per kind into `secrets`. */
function removeSecrets(text: string, secrets: Record<string, number>, depth: number): string {
  let out = text;
  for (const { rule, groups } of RULES_WITH_GROUPS) {
    if (rule.decode && depth >= MAX_DECODE_DEPTH) continue;
    out = out.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const redacted = (kind: string = rule.kind): string => {
        secrets[kind] = (secrets[kind] ?? 0) + 1;
        return redactedMarker(kind);
      };
      if (rule.decode) {
        const decoded = rule.decode(match);
        if (decoded === undefined) return match;
        const inner: Record<string, number> = {};
        removeSecrets(decoded, inner, depth + 1);
        return Object.keys(inner).length > 0 ? redacted() : match;
      }
      return rule.replace ? rule.replace(redacted, match, ...(rest.slice(0, groups) as Array<string | undefined>)) : redacted();
    });
  }
  return out;
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
