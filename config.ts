/**
 * Watchkeeper's configuration: the only module that reads `process.env`.
 *
 * Every option is an environment variable, parsed with zod into a frozen {@link Config}. Names
 * follow each ecosystem's own conventions where one exists (`DATABASE_URL`, `KUBECONFIG`,
 * `OLLAMA_HOST`, `ANTHROPIC_API_KEY`). The README lists them all; `npx watchkeeper config`
 * prints the parsed result with secrets masked.
 */
import { z } from 'zod';

/** Role of a Telegram user on the approver list (issue "Safe remediation"). */
export type Role = 'viewer' | 'approver' | 'admin';

/** One person allowed to talk to the bot, keyed by Telegram user id (`from.id`). */
export interface Operator {
  userId: number;
  role: Role;
}

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
      const [id, role = 'approver'] = pieces;
      const userId = Number(id);
      if (pieces.length > 2 || !/^\d+$/.test(id) || !Number.isSafeInteger(userId) || !['viewer', 'approver', 'admin'].includes(role)) {
        ctx.addIssue({
          code: 'custom',
          message: `bad entry "${part}": use <telegram user id>[:viewer|approver|admin], e.g. 123456789:admin`,
        });
        return z.NEVER;
      }
      out.push({ userId, role: role as Role });
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
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  timezone: string;
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
    logLevel: e.LOG_LEVEL,
    timezone: e.WATCHKEEPER_TIMEZONE,
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
