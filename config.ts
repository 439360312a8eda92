/**
 * Watchkeeper's configuration: the only module that reads `process.env`.
 *
 * Every option is an environment variable, parsed with zod into a frozen {@link Config}. Names
 * follow each ecosystem's own conventions where one exists (`DATABASE_URL`, `KUBECONFIG`,
 * `OLLAMA_HOST`, `ANTHROPIC_API_KEY`). The README lists them all; `npx watchkeeper config`
 * prints the parsed result with secrets masked.
 */
import { z } from 'zod';
import { parseRole, ROLES, type Operator } from './domain/authz.ts';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes'].includes(v)));

/** An unset or empty variable means "use the default" (`HTTP_PORT=` is not port 0). */
const blankAsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(blankAsUnset, z.coerce.number().int().min(min).max(max).optional().default(fallback));

const num = (fallback: number, min: number, max: number) =>
  z.preprocess(blankAsUnset, z.coerce.number().min(min).max(max).optional().default(fallback));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** `-1001234,42` → `[-1001234, 42]` (Telegram chat ids; groups are negative). */
const chatIdList = z
  .string({ error: 'TELEGRAM_CHAT_IDS is required: the chat ids the bot may talk in, comma-separated' })
  .transform((s, ctx) => {
    const ids = s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map(Number);
    if (ids.length === 0 || ids.some((n) => !Number.isSafeInteger(n))) {
      ctx.addIssue({ code: 'custom', message: `expected comma-separated integer chat ids, got "${s}"` });
      return z.NEVER;
    }
    return ids;
  });

/** `111:admin,222,333:viewer` → operators; a bare id means `approver`. */
const operatorList = z
  .string()
  .optional()
  .default('')
  .transform((s, ctx) => {
    const out: Operator[] = [];
    for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      const pieces = part.split(':').map((x) => x.trim());
      const [id, roleText = 'approver'] = pieces;
      const userId = Number(id);
      const role = parseRole(roleText);
      if (pieces.length > 2 || !/^\d+$/.test(id) || !Number.isSafeInteger(userId) || !role) {
        ctx.addIssue({
          code: 'custom',
          message: `bad entry "${part}": use <telegram user id>[:${ROLES.join('|')}], e.g. 123456789:admin`,
        });
        return z.NEVER;
      }
      out.push({ userId, role });
    }
    return out;
  });

const EnvSchema = z.object({
  // --- Database ---
  /** PostgreSQL connection string; unset → embedded PostgreSQL in EMBEDDED_PG_DIR. */
  DATABASE_URL: optionalString,
  /** Data folder of the embedded PostgreSQL (only when DATABASE_URL is unset). */
  EMBEDDED_PG_DIR: z.string().optional().default('./data/postgres'),
  /** Port of the embedded PostgreSQL, 127.0.0.1 only. */
  EMBEDDED_PG_PORT: int(54329, 1, 65535),

  // --- Telegram ---
  /** Bot token from @BotFather. Required by `serve`. */
  TELEGRAM_BOT_TOKEN: optionalString,
  /** Bot API root, for a self-hosted Bot API server (default https://api.telegram.org). */
  TELEGRAM_API_ROOT: optionalString,
  /** Chats the bot talks in; incident cards go to the first. */
  TELEGRAM_CHAT_IDS: chatIdList.optional(),
  /** Operators: `<user id>[:viewer|approver|admin]`, comma-separated. Only approvers/admins may decide. */
  TELEGRAM_OPERATORS: operatorList,
  /** `polling` (long polling with @grammyjs/runner) or `webhook` (TELEGRAM_WEBHOOK_URL). */
  TELEGRAM_MODE: z.enum(['polling', 'webhook']).optional().default('polling'),
  /** Public URL Telegram posts updates to in webhook mode, ending in /telegram/webhook. */
  TELEGRAM_WEBHOOK_URL: optionalString,
  /** Secret token Telegram sends in X-Telegram-Bot-Api-Secret-Token (webhook mode). */
  TELEGRAM_WEBHOOK_SECRET: optionalString,

  // --- HTTP server ---
  HTTP_HOST: z.string().optional().default('0.0.0.0'),
  HTTP_PORT: int(8080, 0, 65535),
  /** Bearer token Alertmanager sends (http_config.authorization.credentials). */
  WEBHOOK_BEARER_TOKEN: optionalString,
  /** Basic auth user/password Alertmanager sends (http_config.basic_auth). */
  WEBHOOK_BASIC_USER: optionalString,
  WEBHOOK_BASIC_PASSWORD: optionalString,
  /** Largest webhook body accepted, bytes (default 1 MiB). */
  WEBHOOK_BODY_LIMIT_BYTES: int(1024 * 1024, 1024),

  // --- Incidents ---
  /** A group that re-fires within this many seconds of resolving reopens its incident. */
  INCIDENT_DEDUP_WINDOW_S: int(1800, 0),
  /** Undecided approval cards expire after this many seconds. */
  APPROVAL_TTL_S: int(3600, 60),

  // --- Safety ---
  /** Namespaces where no action ever runs (blast radius 100). */
  PROTECTED_NAMESPACES: z.string().optional().default('kube-system,kube-public,kube-node-lease'),
  /** Glob patterns of critical namespaces (raise the blast radius), e.g. `*-prod,production`. */
  CRITICAL_NAMESPACES: z.string().optional().default('*-prod,prod,production'),

  // --- Kubernetes ---
  /** Kubeconfig path(s), kubectl-style (`a:b` merges); unset → ~/.kube/config, else the in-cluster service account. */
  KUBECONFIG: optionalString,
  /** Kubeconfig context to use (default: current-context). */
  KUBE_CONTEXT: optionalString,
  /** How long to await a rollout after an action, seconds. */
  VERIFY_TIMEOUT_S: int(120, 1),
  /** Interval between rollout status reads while verifying, ms. */
  VERIFY_POLL_MS: int(2000, 10),
  /** Container log lines read per container. */
  LOG_TAIL_LINES: int(200, 10, 10_000),

  // --- Models ---
  /** Ollama server, as the Ollama CLI names it. */
  OLLAMA_HOST: z.string().optional().default('http://127.0.0.1:11434'),
  /** Primary local model; unset → diagnosis is rules-only. */
  OLLAMA_MODEL: optionalString,
  /** Secondary local model tried when the primary fails. */
  OLLAMA_SECONDARY_MODEL: optionalString,
  OLLAMA_TIMEOUT_MS: int(30_000, 100),
  OLLAMA_SECONDARY_TIMEOUT_MS: int(30_000, 100),
  /** Token budget for a diagnosis prompt (default fits an 8k-context model). */
  MODEL_BUDGET_TOKENS: int(3000, 256),
  /** Enables the cloud model for non-sensitive intents only. */
  CLOUD_MODEL_ENABLED: bool(false),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: optionalString,
  ANTHROPIC_MODEL: z.string().optional().default('claude-sonnet-4-5'),
  ANTHROPIC_TIMEOUT_MS: int(30_000, 100),

  // --- Approvals and safety ---
  /** Alertmanager base URL; when set, "Silence" also creates an Alertmanager silence (v2 API). */
  ALERTMANAGER_URL: optionalString,
  /** "Later" snoozes a card for this many minutes, then re-posts it. */
  SNOOZE_MINUTES: int(30, 1, 24 * 60),
  /** Run `auto`-tier actions without a human when guardrails pass. */
  AUTO_EXECUTE: bool(false),
  /** Minimum diagnosis confidence (0–1) for auto-execution. */
  AUTO_MIN_CONFIDENCE: num(0.85, 0, 1),
  /** Most executed actions per hour, overall and per resource. */
  MAX_ACTIONS_PER_HOUR: int(5, 0),
  MAX_ACTIONS_PER_RESOURCE_PER_HOUR: int(3, 0),
  /** Cooldown on a resource after a failed action, minutes. */
  FAILURE_COOLDOWN_MINUTES: int(10, 0),
  /** Comma-separated namespaces actions may run in (empty: all but protected). */
  NAMESPACE_ALLOWLIST: z.string().optional().default(''),
  /** Comma-separated catalog actions never to run. */
  ACTION_DENYLIST: z.string().optional().default(''),
  /** Upper bound for `scale`, replicas. */
  MAX_SCALE_REPLICAS: int(20, 1),
  /** Allow `scale` to 0 replicas. */
  ALLOW_SCALE_TO_ZERO: bool(false),
  /** `raise_memory` multiplies the limit by this factor… */
  MEMORY_RAISE_FACTOR: num(1.5, 1.01, 10),
  /** …up to this many MiB. */
  MEMORY_LIMIT_CAP_MIB: int(8192, 16),
  /** EWMA smoothing factor α of playbook trust scores (0 < α ≤ 1). */
  TRUST_ALPHA: num(0.3, 0.01, 1),

  // --- Drift ---
  // Desired state in Git compared with the live cluster (issue 5). DRIFT_REPO (or DRIFT_SOURCES) turns it on.
  /**
   * Desired-state repository: a URL (`https://…`, `ssh://…`, `git@host:path`, `file://…`) cloned into
   * DRIFT_CACHE_DIR, or a local path (a Git repository there is cloned too; a plain folder is read as is,
   * and cannot be adopted into). Unset → no drift detection (unless DRIFT_SOURCES is set).
   */
  DRIFT_REPO: optionalString,
  /** Branch read, and the base of adopt commits; unset → the remote's default branch. */
  DRIFT_BRANCH: optionalString,
  /** Folders inside the repository that hold manifests, comma-separated (default: the whole repository). */
  DRIFT_FOLDERS: z.string().optional().default('.'),
  /** Namespaces compared, comma-separated; empty → every namespace the manifests name. */
  DRIFT_NAMESPACES: z.string().optional().default(''),
  /** Namespace of manifests that declare none (kubectl's `-n`). */
  DRIFT_DEFAULT_NAMESPACE: z.string().optional().default('default'),
  /** User name for an https repository (GitHub tokens: `x-access-token`; GitLab: `oauth2`). */
  DRIFT_GIT_USERNAME: z.string().optional().default('x-access-token'),
  /** Token (or password) for an https repository; handed to git by a credential helper, never put in the URL. */
  DRIFT_GIT_TOKEN: optionalString,
  /**
   * More sources, as a JSON array of `{name, url, branch?, folders?, namespaces?, defaultNamespace?,
   * username?, tokenEnv?}` (`tokenEnv` names the variable holding that source's token).
   */
  DRIFT_SOURCES: optionalString,
  /** Adopt pushes to a new branch `<DRIFT_BRANCH_PREFIX><report id>` (default) or to the configured branch itself. */
  DRIFT_PUSH_MODE: z.enum(['new-branch', 'configured-branch']).optional().default('new-branch'),
  /** Prefix of adopt branches in `new-branch` mode. */
  DRIFT_BRANCH_PREFIX: z.string().optional().default('watchkeeper/drift-'),
  /** node-cron expression of the scheduled scan, in WATCHKEEPER_TIMEZONE (default hourly, at minute 0). */
  DRIFT_SCAN_CRON: z
    .string()
    .optional()
    .default('0 * * * *')
    .refine((v) => [5, 6].includes(v.trim().split(/\s+/).length), { message: 'expected a cron expression of 5 or 6 fields, e.g. "0 * * * *"' }),
  /** Label of live objects managed from Git (`key=value`, `key`, or `none`); labelled objects missing from Git are reported. */
  DRIFT_OWNERSHIP_LABEL: z.string().optional().default('app.kubernetes.io/managed-by=watchkeeper'),
  /** Extra fields never compared, comma-separated: `path`, `Kind:path` or `group/Kind:path` (drift path syntax). */
  DRIFT_IGNORE_FIELDS: z.string().optional().default(''),
  /** Where remote repositories are cloned. */
  DRIFT_CACHE_DIR: z.string().optional().default('./data/drift'),
  /** Identity of adopt commits. */
  DRIFT_GIT_AUTHOR_NAME: z.string().optional().default('Watchkeeper'),
  DRIFT_GIT_AUTHOR_EMAIL: z.string().optional().default('watchkeeper@localhost'),
  /** Chat that receives drift reports (default: the first of TELEGRAM_CHAT_IDS). */
  DRIFT_CHAT_ID: z.preprocess(blankAsUnset, z.coerce.number().int().optional()),
  // --- end Drift ---

  // --- Coverage ---
  // Monitoring coverage (issue 6): inventory, seven dimensions, daily digest. Critical namespaces come from CRITICAL_NAMESPACES.
  /** Prometheus base URL (`/api/v1/targets`, `/api/v1/rules`); unset → the monitoring and alerting dimensions are `unknown`. */
  PROMETHEUS_URL: optionalString,
  /** Bearer token sent to Prometheus (when it sits behind an auth proxy). */
  PROMETHEUS_BEARER_TOKEN: optionalString,
  /** Timeout of each Prometheus call, ms. */
  PROMETHEUS_TIMEOUT_MS: int(15_000, 100),
  /** Run the coverage schedules (hourly evaluation, daily digest); `/coverage` answers either way. */
  COVERAGE_ENABLED: bool(true),
  /** node-cron expression of the evaluation (discovery + seven dimensions), in the digest time zone (default hourly at minute 7). */
  COVERAGE_EVALUATION_CRON: z
    .string()
    .optional()
    .default('7 * * * *')
    .refine((v) => [5, 6].includes(v.trim().split(/\s+/).length), { message: 'expected a cron expression of 5 or 6 fields, e.g. "7 * * * *"' }),
  /** Local time of the daily digest, `HH:MM` (24 h). */
  COVERAGE_DIGEST_TIME: z
    .string()
    .optional()
    .default('09:00')
    .refine((v) => /^([01]?\d|2[0-3]):[0-5]\d$/.test(v.trim()), { message: 'expected HH:MM (24 h), e.g. 09:00' }),
  /** IANA time zone of the digest and evaluation schedules, e.g. `Europe/Berlin`; unset → WATCHKEEPER_TIMEZONE. */
  COVERAGE_DIGEST_TIMEZONE: optionalString.refine((v) => v === undefined || validTimeZone(v), { message: 'expected an IANA time zone, e.g. Europe/Berlin' }),
  /** Chat that receives the digest (default: the first of TELEGRAM_CHAT_IDS). */
  COVERAGE_CHAT_ID: z.preprocess(blankAsUnset, z.coerce.number().int().optional()),
  /** Window of the remediation and rule-matching dimensions, days. */
  COVERAGE_WINDOW_DAYS: int(30, 1, 365),
  /** Rows (assets) in the digest heatmap. */
  COVERAGE_HEATMAP_ROWS: int(40, 5, 200),
  /** Red assets listed in the digest and /coverage. */
  COVERAGE_TOP_RED: int(10, 1, 30),
  /** Namespace globs left out of the inventory, comma-separated (e.g. `kube-system,*-sandbox`). */
  COVERAGE_EXCLUDE_NAMESPACES: z.string().optional().default(''),
  /** Labels put on proposed PrometheusRules so the Prometheus `ruleSelector` loads them, `key=value,…` (e.g. `release=kube-prometheus-stack`). */
  COVERAGE_RULE_LABELS: z
    .string()
    .optional()
    .default('')
    .refine((v) => v.split(',').map((x) => x.trim()).filter(Boolean).every((x) => /^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*$/.test(x)), {
      message: 'expected key=value pairs, comma-separated, e.g. release=kube-prometheus-stack,role=alert-rules',
    }),
  // --- end Coverage ---

  // --- Replicas ---
  /** How long a claimed job is held before another replica may take it over, seconds (renewed every third of it while it runs). */
  JOB_LEASE_S: int(30, 1, 3600),
  /**
   * Leader election for the singleton work (schedules, sweeps, drift and coverage runs, Telegram
   * long polling): `kubernetes` (a coordination.k8s.io/v1 Lease), `postgres` (an advisory lock),
   * or `auto` (a Lease when running in a cluster, else PostgreSQL).
   */
  LEADER_ELECTION: z.enum(['auto', 'kubernetes', 'postgres']).optional().default('auto'),
  /** Name of the Lease (and key of the advisory lock). */
  LEADER_ELECTION_LEASE_NAME: z.string().optional().default('watchkeeper'),
  /** Namespace of the Lease (default: the pod's namespace in a cluster, else `default`). */
  LEADER_ELECTION_NAMESPACE: optionalString,
  /** How long a Lease is valid without renewal, seconds (client-go's leaseDuration). */
  LEADER_LEASE_DURATION_S: int(15, 2, 600),
  /** How long the leader keeps trying to renew before it steps down, seconds (client-go's renewDeadline). */
  LEADER_RENEW_DEADLINE_S: int(10, 1, 600),
  /** Interval between election attempts, seconds (client-go's retryPeriod). */
  LEADER_RETRY_PERIOD_S: int(2, 1, 60),
  /** This replica's name in the election (set from the downward API `metadata.name`; default: host name). */
  POD_NAME: optionalString,
  /** Set by Kubernetes in every pod: `LEADER_ELECTION=auto` uses a Lease when it is set. */
  KUBERNETES_SERVICE_HOST: optionalString,

  // --- Misc ---
  /** pino level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional().default('info'),
  /** IANA time zone for schedules. */
  WATCHKEEPER_TIMEZONE: z.string().optional().default('UTC'),
});

/** Parsed, frozen configuration. Units are in the names (`_S` seconds, `_MS` milliseconds). */
export interface Config {
  database: { url?: string; embeddedDir: string; embeddedPort: number };
  telegram: {
    token?: string;
    apiRoot?: string;
    chatIds: number[];
    operators: Operator[];
    mode: 'polling' | 'webhook';
    webhookUrl?: string;
    webhookSecret?: string;
  };
  http: {
    host: string;
    port: number;
    bearerToken?: string;
    basicAuth?: { user: string; password: string };
    bodyLimitBytes: number;
  };
  incidents: { dedupWindowS: number; approvalTtlS: number };
  policy: { protectedNamespaces: string[]; criticalNamespaces: string[] };
  safety: {
    alertmanagerUrl?: string;
    snoozeMinutes: number;
    autoExecute: boolean;
    autoMinConfidence: number;
    maxActionsPerHour: number;
    maxActionsPerResourcePerHour: number;
    failureCooldownMinutes: number;
    namespaceAllowlist: string[];
    actionDenylist: string[];
    maxScaleReplicas: number;
    allowScaleToZero: boolean;
    memoryRaiseFactor: number;
    memoryLimitCapMiB: number;
    trustAlpha: number;
  };
  kubernetes: { kubeconfig?: string; context?: string; verifyTimeoutS: number; verifyPollMs: number; logTailLines: number };
  models: {
    ollamaHost: string;
    primary?: { model: string; timeoutMs: number };
    secondary?: { model: string; timeoutMs: number };
    budgetTokens: number;
    cloud?: { apiKey: string; baseUrl?: string; model: string; timeoutMs: number };
  };
  /** Running several replicas: job leases and leader election (all times in seconds). */
  replicas: {
    jobLeaseS: number;
    leaderElection: 'auto' | 'kubernetes' | 'postgres';
    leaseName: string;
    leaseNamespace?: string;
    leaseDurationS: number;
    renewDeadlineS: number;
    retryPeriodS: number;
    podName?: string;
    /** Running in a Kubernetes pod (KUBERNETES_SERVICE_HOST is set). */
    inCluster: boolean;
  };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  timezone: string;
  // --- Coverage ---
  /** Monitoring coverage (issue 6). */
  coverage: CoverageConfig;
  // --- end Coverage ---
  /** Drift detection (issue 5); `sources` is empty when it is off. */
  drift: DriftConfig;
}

/** Thrown when the environment does not parse; the message lists every bad variable and what to do. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

// --- Drift ---

/** One desired-state source of drift detection. */
export interface DriftSourceConfig {
  /** Short name, shown on reports (`apps`); unique. */
  name: string;
  /** Repository URL or local path (see DRIFT_REPO). */
  url: string;
  /** Branch; undefined → the remote's default branch. */
  branch?: string;
  /** Folders inside the repository, relative (`.` = all of it). */
  folders: string[];
  /** Namespaces compared; empty → all the manifests name. */
  namespaces: string[];
  /** Namespace of manifests that declare none. */
  defaultNamespace: string;
  /** https credentials, when a token is configured. */
  credentials?: { username: string; token: string };
}

/** A field never compared, from DRIFT_IGNORE_FIELDS. */
export interface DriftIgnoreField {
  group?: string;
  kind?: string;
  path: string;
}

/** The `drift` section of {@link Config}. */
export interface DriftConfig {
  sources: DriftSourceConfig[];
  pushMode: 'new-branch' | 'configured-branch';
  branchPrefix: string;
  scanCron: string;
  /** `null` when DRIFT_OWNERSHIP_LABEL is `none`. */
  ownershipLabel: { key: string; value?: string } | null;
  ignoreFields: DriftIgnoreField[];
  cacheDir: string;
  author: { name: string; email: string };
  /** Chat of the report cards; undefined → the first configured chat. */
  chatId?: number;
}

const DriftSourcesJson = z.array(
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a short name: letters, digits, . _ -'),
    url: z.string().min(1),
    branch: z.string().min(1).optional(),
    folders: z.array(z.string().min(1)).optional(),
    namespaces: z.array(z.string().min(1)).optional(),
    defaultNamespace: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    tokenEnv: z.string().min(1).optional(),
  }),
);

/** The drift section from parsed variables; `env` resolves the `tokenEnv` of DRIFT_SOURCES entries. */
function driftConfig(e: z.infer<typeof EnvSchema>, env: Record<string, string | undefined>): DriftConfig {
  const issues: string[] = [];
  const sources: DriftSourceConfig[] = [];
  if (e.DRIFT_REPO) {
    sources.push({
      name: 'default',
      url: e.DRIFT_REPO,
      branch: e.DRIFT_BRANCH,
      folders: csv(e.DRIFT_FOLDERS).length ? csv(e.DRIFT_FOLDERS) : ['.'],
      namespaces: csv(e.DRIFT_NAMESPACES),
      defaultNamespace: e.DRIFT_DEFAULT_NAMESPACE,
      credentials: e.DRIFT_GIT_TOKEN ? { username: e.DRIFT_GIT_USERNAME, token: e.DRIFT_GIT_TOKEN } : undefined,
    });
  }
  if (e.DRIFT_SOURCES) {
    let raw: unknown;
    try {
      raw = JSON.parse(e.DRIFT_SOURCES);
    } catch (err) {
      issues.push(`DRIFT_SOURCES: not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const parsed = DriftSourcesJson.safeParse(raw);
    if (raw !== undefined && !parsed.success) {
      issues.push(...parsed.error.issues.map((i) => `DRIFT_SOURCES.${i.path.join('.')}: ${i.message}`));
    } else if (parsed.success) {
      for (const s of parsed.data) {
        const token = s.tokenEnv ? env[s.tokenEnv]?.trim() : undefined;
        if (s.tokenEnv && !token) issues.push(`DRIFT_SOURCES: ${s.name}.tokenEnv names ${s.tokenEnv}, which is not set`);
        sources.push({
          name: s.name,
          url: s.url,
          branch: s.branch,
          folders: s.folders?.length ? s.folders : ['.'],
          namespaces: s.namespaces ?? [],
          defaultNamespace: s.defaultNamespace ?? e.DRIFT_DEFAULT_NAMESPACE,
          credentials: token ? { username: s.username ?? e.DRIFT_GIT_USERNAME, token } : undefined,
        });
      }
    }
  }
  const names = sources.map((s) => s.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length) issues.push(`drift source names must be unique (repeated: ${[...new Set(repeated)].join(', ')}; DRIFT_REPO is named "default")`);
  const ignoreFields: DriftIgnoreField[] = [];
  for (const entry of csv(e.DRIFT_IGNORE_FIELDS)) {
    const m = /^(?:(?:([a-z0-9.-]*)\/)?([A-Z][A-Za-z0-9]*):)?(.+)$/.exec(entry);
    if (!m || !m[3].trim()) {
      issues.push(`DRIFT_IGNORE_FIELDS: bad entry "${entry}": use path, Kind:path or group/Kind:path`);
      continue;
    }
    ignoreFields.push({ ...(m[1] !== undefined ? { group: m[1] } : {}), ...(m[2] ? { kind: m[2] } : {}), path: m[3].trim() });
  }
  const label = e.DRIFT_OWNERSHIP_LABEL.trim();
  let ownershipLabel: DriftConfig['ownershipLabel'] = null;
  if (label !== 'none') {
    const eq = label.indexOf('=');
    const key = (eq < 0 ? label : label.slice(0, eq)).trim();
    if (!key) issues.push(`DRIFT_OWNERSHIP_LABEL: expected key=value, key, or none (got "${label}")`);
    else ownershipLabel = eq < 0 ? { key } : { key, value: label.slice(eq + 1).trim() };
  }
  if (issues.length) throw new ConfigError(`Invalid configuration:\n  ${issues.join('\n  ')}`, issues);
  return {
    sources,
    pushMode: e.DRIFT_PUSH_MODE,
    branchPrefix: e.DRIFT_BRANCH_PREFIX,
    scanCron: e.DRIFT_SCAN_CRON.trim(),
    ownershipLabel,
    ignoreFields,
    cacheDir: e.DRIFT_CACHE_DIR,
    author: { name: e.DRIFT_GIT_AUTHOR_NAME, email: e.DRIFT_GIT_AUTHOR_EMAIL },
    chatId: e.DRIFT_CHAT_ID,
  };
}
// --- end Drift ---

// --- Coverage ---

/** The `coverage` section of {@link Config}. Critical namespaces are `policy.criticalNamespaces`. */
export interface CoverageConfig {
  /** Run the hourly evaluation and the daily digest. */
  enabled: boolean;
  /** Prometheus; undefined when PROMETHEUS_URL is unset. */
  prometheus?: { url: string; bearerToken?: string; timeoutMs: number };
  /** node-cron expression of the evaluation. */
  evaluationCron: string;
  /** `HH:MM` of the daily digest. */
  digestTime: string;
  /** IANA time zone of the schedules and the digest's times. */
  timezone: string;
  /** Chat of the digest; undefined → the first configured chat. */
  chatId?: number;
  windowDays: number;
  heatmapRows: number;
  topRed: number;
  excludeNamespaces: string[];
  /** Labels added to proposed PrometheusRules. */
  ruleLabels: Record<string, string>;
}

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function coverageConfig(e: z.infer<typeof EnvSchema>): CoverageConfig {
  const ruleLabels: Record<string, string> = {};
  for (const pair of csv(e.COVERAGE_RULE_LABELS)) {
    const eq = pair.indexOf('=');
    ruleLabels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return {
    enabled: e.COVERAGE_ENABLED,
    prometheus: e.PROMETHEUS_URL ? { url: e.PROMETHEUS_URL, bearerToken: e.PROMETHEUS_BEARER_TOKEN, timeoutMs: e.PROMETHEUS_TIMEOUT_MS } : undefined,
    evaluationCron: e.COVERAGE_EVALUATION_CRON.trim(),
    digestTime: e.COVERAGE_DIGEST_TIME.trim(),
    timezone: e.COVERAGE_DIGEST_TIMEZONE ?? e.WATCHKEEPER_TIMEZONE,
    chatId: e.COVERAGE_CHAT_ID,
    windowDays: e.COVERAGE_WINDOW_DAYS,
    heatmapRows: e.COVERAGE_HEATMAP_ROWS,
    topRed: e.COVERAGE_TOP_RED,
    excludeNamespaces: csv(e.COVERAGE_EXCLUDE_NAMESPACES),
    ruleLabels,
  };
}
// --- end Coverage ---

/**
 * Parses the environment into a frozen {@link Config}.
 * @param env variables to read (default `process.env`); tests pass their own.
 * @throws ConfigError listing each invalid variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${issues.join('\n  ')}`, issues);
  }
  const e = parsed.data;
  if ((e.WEBHOOK_BASIC_USER === undefined) !== (e.WEBHOOK_BASIC_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration: set both WEBHOOK_BASIC_USER and WEBHOOK_BASIC_PASSWORD, or neither', [
      'WEBHOOK_BASIC_USER/WEBHOOK_BASIC_PASSWORD',
    ]);
  }
  if (e.LEADER_RENEW_DEADLINE_S >= e.LEADER_LEASE_DURATION_S || e.LEADER_RETRY_PERIOD_S >= e.LEADER_RENEW_DEADLINE_S) {
    // As client-go requires: otherwise two leaders could overlap.
    throw new ConfigError('Invalid configuration: LEADER_RETRY_PERIOD_S < LEADER_RENEW_DEADLINE_S < LEADER_LEASE_DURATION_S must hold', [
      'LEADER_LEASE_DURATION_S/LEADER_RENEW_DEADLINE_S/LEADER_RETRY_PERIOD_S',
    ]);
  }
  const config: Config = {
    database: { url: e.DATABASE_URL, embeddedDir: e.EMBEDDED_PG_DIR, embeddedPort: e.EMBEDDED_PG_PORT },
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT,
      chatIds: e.TELEGRAM_CHAT_IDS ?? [],
      operators: e.TELEGRAM_OPERATORS,
      mode: e.TELEGRAM_MODE,
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    },
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      bearerToken: e.WEBHOOK_BEARER_TOKEN,
      basicAuth:
        e.WEBHOOK_BASIC_USER && e.WEBHOOK_BASIC_PASSWORD
          ? { user: e.WEBHOOK_BASIC_USER, password: e.WEBHOOK_BASIC_PASSWORD }
          : undefined,
      bodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
    },
    incidents: { dedupWindowS: e.INCIDENT_DEDUP_WINDOW_S, approvalTtlS: e.APPROVAL_TTL_S },
    policy: { protectedNamespaces: csv(e.PROTECTED_NAMESPACES), criticalNamespaces: csv(e.CRITICAL_NAMESPACES) },
    safety: {
      alertmanagerUrl: e.ALERTMANAGER_URL,
      snoozeMinutes: e.SNOOZE_MINUTES,
      autoExecute: e.AUTO_EXECUTE,
      autoMinConfidence: e.AUTO_MIN_CONFIDENCE,
      maxActionsPerHour: e.MAX_ACTIONS_PER_HOUR,
      maxActionsPerResourcePerHour: e.MAX_ACTIONS_PER_RESOURCE_PER_HOUR,
      failureCooldownMinutes: e.FAILURE_COOLDOWN_MINUTES,
      namespaceAllowlist: csv(e.NAMESPACE_ALLOWLIST),
      actionDenylist: csv(e.ACTION_DENYLIST),
      maxScaleReplicas: e.MAX_SCALE_REPLICAS,
      allowScaleToZero: e.ALLOW_SCALE_TO_ZERO,
      memoryRaiseFactor: e.MEMORY_RAISE_FACTOR,
      memoryLimitCapMiB: e.MEMORY_LIMIT_CAP_MIB,
      trustAlpha: e.TRUST_ALPHA,
    },
    kubernetes: {
      kubeconfig: e.KUBECONFIG,
      context: e.KUBE_CONTEXT,
      verifyTimeoutS: e.VERIFY_TIMEOUT_S,
      verifyPollMs: e.VERIFY_POLL_MS,
      logTailLines: e.LOG_TAIL_LINES,
    },
    models: {
      ollamaHost: e.OLLAMA_HOST,
      primary: e.OLLAMA_MODEL ? { model: e.OLLAMA_MODEL, timeoutMs: e.OLLAMA_TIMEOUT_MS } : undefined,
      secondary: e.OLLAMA_SECONDARY_MODEL
        ? { model: e.OLLAMA_SECONDARY_MODEL, timeoutMs: e.OLLAMA_SECONDARY_TIMEOUT_MS }
        : undefined,
      budgetTokens: e.MODEL_BUDGET_TOKENS,
      cloud:
        e.CLOUD_MODEL_ENABLED && e.ANTHROPIC_API_KEY
          ? { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL, model: e.ANTHROPIC_MODEL, timeoutMs: e.ANTHROPIC_TIMEOUT_MS }
          : undefined,
    },
    replicas: {
      jobLeaseS: e.JOB_LEASE_S,
      leaderElection: e.LEADER_ELECTION,
      leaseName: e.LEADER_ELECTION_LEASE_NAME,
      leaseNamespace: e.LEADER_ELECTION_NAMESPACE,
      leaseDurationS: e.LEADER_LEASE_DURATION_S,
      renewDeadlineS: e.LEADER_RENEW_DEADLINE_S,
      retryPeriodS: e.LEADER_RETRY_PERIOD_S,
      podName: e.POD_NAME,
      inCluster: e.KUBERNETES_SERVICE_HOST !== undefined,
    },
    logLevel: e.LOG_LEVEL,
    timezone: e.WATCHKEEPER_TIMEZONE,
    coverage: coverageConfig(e), // --- Coverage ---
    drift: driftConfig(e, env),
  };
  return deepFreeze(config);
}

/**
 * Checks what `serve` needs beyond parsing: a token, at least one chat, webhook auth.
 * @returns problems, each saying what to set; empty when ready to serve.
 */
export function serveProblems(config: Config): string[] {
  const problems: string[] = [];
  if (!config.telegram.token) problems.push('TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and paste its token');
  if (config.telegram.chatIds.length === 0)
    problems.push('TELEGRAM_CHAT_IDS is not set: the chat id(s) the bot posts incidents to, e.g. -1001234567890');
  if (!config.http.bearerToken && !config.http.basicAuth)
    problems.push('Set WEBHOOK_BEARER_TOKEN (or WEBHOOK_BASIC_USER and WEBHOOK_BASIC_PASSWORD) so only Alertmanager can post alerts');
  if (config.telegram.mode === 'webhook' && !config.telegram.webhookUrl)
    problems.push('TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL (https://<host>/telegram/webhook)');
  if (config.telegram.mode === 'webhook' && !config.telegram.webhookSecret)
    problems.push('TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET, or anyone reaching /telegram/webhook could forge button presses');
  return problems;
}

function csv(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
