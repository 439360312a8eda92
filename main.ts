/**
 * Watchkeeper's composition root: config → ORM → adapters → agent → bot/server/jobs, and a
 * graceful stop ({@link startWatchkeeper}). The only module that wires adapters together; the
 * command line (`cli/`, run by bin/watchkeeper.js) asks it for what its commands need
 * ({@link openDatabase}, {@link openCluster}, {@link modelFor}, {@link openFinetuneSource},
 * {@link planPolicyFromConfig}).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Bot } from 'grammy';
import type { RunnerHandle } from '@grammyjs/runner';
import pino, { type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError, serveProblems, type Config } from './config.ts';
import { createAgent, finetuneRecords, type Agent } from './agent/index.ts';
import { KubernetesCluster, loadKubeConfig } from './agent/k8s/cluster.ts';
import { createAgentMetrics } from './agent/metrics.ts';
import type { ModelDiagnoser } from './agent/diagnose.ts';
import { createBot, createTelegramApi, type BotContext } from './bot/index.ts';
import { connectBot, registerWebhook, startPolling, telegramWebhook } from './bot/delivery.ts';
import { createCoverageNotifier, createDriftNotifier, createNotifier } from './bot/notifier.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './entities/embedded.ts';
import { migrateUp, openOrm, type MikroORM } from './entities/orm.ts';
import { createStore, type Store } from './entities/repositories/index.ts';
import { startSchedules, type Schedules } from './jobs/index.ts';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaderElector } from './agent/ports.ts';
import { LeaderElection } from './agent/leader.ts';
import { KubernetesLeaseLock, podNamespace } from './agent/k8s/lease.ts';
import { AdvisoryLeaderLock } from './entities/advisory-lock.ts';
import { createServer } from './server/index.ts';
import { createModelRouter } from './agent/llm/index.ts';
import { AlertmanagerSilences } from './agent/alertmanager/silences.ts';
import { createDriftService } from './agent/drift/index.ts';
import { CoverageService } from './agent/coverage/index.ts';
import { PrometheusHttp } from './agent/prometheus/client.ts';
import type { PlanPolicy } from './agent/plan.ts';
import type { FinetuneRecord } from './domain/learning.ts';
import { DEFAULT_GUARDRAIL_POLICY } from './domain/guardrails.ts';
import { DEFAULT_ACTION_POLICY } from './agent/actions/index.ts';

/** Test seams for {@link startWatchkeeper}; production passes none. */
export interface StartOverrides {
  /** Use this database instead of DATABASE_URL / embedded. */
  databaseUrl?: string;
  /** Use this KubeConfig instead of KUBECONFIG / in-cluster. */
  kubeConfig?: KubeConfig;
  /** `none`: the caller feeds updates to `handle.bot` itself (emulator tests). Default: config's mode. */
  telegramDelivery?: 'polling' | 'webhook' | 'none';
  /** Throttle Telegram calls (default true). */
  throttle?: boolean;
  /** Start the cron schedules (default true). */
  schedules?: boolean;
  logger?: Logger;
  model?: ModelDiagnoser;
  /** Worker poll interval, ms. */
  workerPollMs?: number;
}

/** A running Watchkeeper. */
export interface WatchkeeperHandle {
  config: Readonly<Config>;
  agent: Agent;
  bot: Bot<BotContext>;
  orm: MikroORM;
  store: Store;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts Watchkeeper: database (embedded when DATABASE_URL is unset) and migrations, Kubernetes
 * client, bot, agent (job worker), HTTP server, schedules.
 * @throws ConfigError when the configuration cannot serve; other errors when a dependency cannot start.
 */
export async function startWatchkeeper(config: Readonly<Config>, overrides: StartOverrides = {}): Promise<WatchkeeperHandle> {
  const log = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'watchkeeper' } });
  const problems = serveProblems(config);
  if (problems.length) throw new ConfigError(`Cannot serve:\n  ${problems.join('\n  ')}`, problems);
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    while (stops.length) {
      const s = stops.pop()!;
      await s().catch((err) => log.error({ err }, 'error while stopping'));
    }
  };
  try {
    const database = await openDatabase(config, log, overrides.databaseUrl);
    stops.push(() => database.close());
    const { orm } = database;
    const store = createStore(orm);

    const kc = overrides.kubeConfig ?? loadKubeConfig({ kubeconfig: config.kubernetes.kubeconfig, context: config.kubernetes.context });
    const cluster = new KubernetesCluster(kc);

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = createAgentMetrics(registry);
    metrics.watchJobQueue(() => store.jobs.stats(new Date()));

    const router =
      config.models.primary || config.models.secondary
        ? createModelRouter(config.models, {
            audit: (r) =>
              store.audit(
                {
                  actor: 'worker',
                  action: 'model.call',
                  subject: `model:${r.intent}`,
                  input: { intent: r.intent, sensitivity: r.sensitivity, step: r.step, promptTokens: r.promptTokens, redaction: r.redaction },
                  output: { provider: r.provider, model: r.model, outcome: r.outcome, tokensIn: r.tokensIn, tokensOut: r.tokensOut },
                  durationMs: r.latencyMs,
                  error: r.fallbackReason,
                },
                new Date(),
              ),
            logger: log.child({ component: 'models' }),
          })
        : undefined;
    const model = overrides.model ?? router;
    if (!model) log.info('no OLLAMA_MODEL configured: diagnosis is rules-only');

    const telegram = createTelegramApi({ token: config.telegram.token!, apiRoot: config.telegram.apiRoot, throttle: overrides.throttle });
    const agent = createAgent(
      {
        repos: store,
        cluster,
        notifier: createNotifier(telegram),
        clock: { now: () => new Date() },
        log,
        model,
        metrics,
        silences: config.safety.alertmanagerUrl ? new AlertmanagerSilences(config.safety.alertmanagerUrl) : undefined,
      },
      {
        alertChatId: config.telegram.chatIds[0],
        operators: config.telegram.operators,
        dedupWindowS: config.incidents.dedupWindowS,
        approvalTtlS: config.incidents.approvalTtlS,
        snoozeMinutes: config.safety.snoozeMinutes,
        trustAlpha: config.safety.trustAlpha,
        logTailLines: config.kubernetes.logTailLines,
        policy: planPolicyFromConfig(config),
        worker: { leaseMs: config.replicas.jobLeaseS * 1000, ...(overrides.workerPollMs ? { pollMs: overrides.workerPollMs } : {}) },
      },
    );
    const drift = createDriftService(config, {
      orm,
      cluster,
      chat: createDriftNotifier(telegram),
      proposer: agent,
      model: router, // undefined → rules-based interpretation, marked as such
      audit: (e) => store.audit(e, new Date()),
      roleOf: (id) => agent.roleOf(id),
      clock: { now: () => new Date() },
      log,
    }); // undefined when no drift source is configured
    const coverage = new CoverageService(
      {
        orm,
        cluster,
        prometheus: config.coverage.prometheus ? new PrometheusHttp(config.coverage.prometheus) : undefined,
        proposer: agent,
        notifier: createCoverageNotifier(telegram, { log }),
        clock: { now: () => new Date() },
        log,
      },
      {
        chatId: config.coverage.chatId ?? config.telegram.chatIds[0],
        criticalNamespaces: config.policy.criticalNamespaces,
        excludeNamespaces: config.coverage.excludeNamespaces,
        windowDays: config.coverage.windowDays,
        heatmapRows: config.coverage.heatmapRows,
        topRed: config.coverage.topRed,
        ruleLabels: config.coverage.ruleLabels,
        timezone: config.coverage.timezone,
      },
    );
    const bot = createBot({ api: telegram, agent, drift, coverage, chatIds: config.telegram.chatIds, log });
    // Telegram being unreachable must not stop alert intake: the first getMe is awaited, later
    // attempts continue in the background and bring the bot up when Telegram answers.
    let stopping = false;
    const telegramUp = connectBot(bot, log, { stopped: () => stopping });
    stops.push(async () => {
      stopping = true;
    });
    await Promise.race([telegramUp, new Promise((r) => setTimeout(r, 5000).unref())]);

    const delivery = overrides.telegramDelivery ?? config.telegram.mode;
    const app = createServer({
      agent,
      log,
      registry,
      metrics,
      auth: { bearerToken: config.http.bearerToken, basicAuth: config.http.basicAuth },
      bodyLimitBytes: config.http.bodyLimitBytes,
      telegramWebhook:
        delivery === 'webhook' ? telegramWebhook(bot, { secretToken: config.telegram.webhookSecret }) : undefined,
    });
    const server: Server = await new Promise((resolve, reject) => {
      // Express 5 passes a listen error (port taken, address not available) to this callback.
      const s = app.listen(config.http.port, config.http.host, (err?: Error) => {
        if (!err) return resolve(s);
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `failed (${err.message})`;
        reject(new Error(`cannot listen on HTTP_HOST=${config.http.host} HTTP_PORT=${config.http.port}: the address ${why}; set HTTP_PORT (or HTTP_HOST) to a free one`, { cause: err }));
      });
    });
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    const address = server.address() as AddressInfo;
    const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;

    await agent.start();
    stops.push(() => agent.stop());
    drift?.start();
    stops.push(async () => drift?.stop());

    if (delivery === 'webhook') {
      // Every replica takes Telegram updates in webhook mode; setting the same URL twice is harmless.
      void telegramUp.then(async (ok) => {
        if (ok && !stopping) await registerWebhook(bot, config.telegram.webhookUrl!, { secretToken: config.telegram.webhookSecret }, log);
      });
    }
    // Singleton work runs on the elected leader only: long polling (Telegram allows one poller per
    // bot token) and the schedules (expiry and snooze sweeps, drift scans, coverage runs).
    const polling = delivery === 'polling';
    const scheduled = overrides.schedules !== false;
    if (polling || scheduled) {
      const elector = createLeaderElector(config, { kubeConfig: kc, databaseUrl: database.url, log });
      let leading = false;
      let runner: RunnerHandle | undefined;
      let schedules: Schedules | undefined;
      const stopPolling = async () => {
        const r = runner;
        runner = undefined;
        if (r?.isRunning()) await r.stop();
      };
      elector.start({
        onStartedLeading: () => {
          leading = true;
          metrics.leader.set(1);
          if (scheduled) {
            schedules = startSchedules(agent, log, {
              timezone: config.timezone,
              drift,
              driftCron: config.drift.scanCron,
              coverage: config.coverage.enabled ? { service: coverage, ...config.coverage } : undefined,
            });
          }
          if (polling) {
            void telegramUp.then(async (ok) => {
              if (!ok || stopping || !leading) return;
              const started = await startPolling(bot, log, { stopped: () => stopping || !leading || runner !== undefined });
              if (started) runner = started;
            });
          }
        },
        onStoppedLeading: async () => {
          leading = false;
          metrics.leader.set(0);
          const s = schedules;
          schedules = undefined;
          await s?.stop();
          await stopPolling();
        },
      });
      stops.push(async () => {
        await elector.stop();
        await stopPolling();
      });
    }
    log.info({ url: `http://${host}:${address.port}`, delivery, chats: config.telegram.chatIds }, 'watchkeeper is up');
    return { config, agent, bot, orm, store, url: `http://${host}:${address.port}`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The leader elector for the singleton work, as configured: a Kubernetes Lease
 * (`LEADER_ELECTION=kubernetes`, or `auto` inside a pod) in LEADER_ELECTION_NAMESPACE (default
 * the pod's namespace), else a PostgreSQL advisory lock on its own connection to `databaseUrl`.
 * The identity is the pod (or host) name plus a random suffix, unique per process.
 */
export function createLeaderElector(
  config: Readonly<Config>,
  deps: { kubeConfig: KubeConfig; databaseUrl: string; log: Logger },
): LeaderElector {
  const r = config.replicas;
  const identity = `${r.podName ?? hostname()}_${randomBytes(4).toString('hex')}`;
  const timings = { leaseDurationMs: r.leaseDurationS * 1000, renewDeadlineMs: r.renewDeadlineS * 1000, retryPeriodMs: r.retryPeriodS * 1000 };
  const useLease = r.leaderElection === 'kubernetes' || (r.leaderElection === 'auto' && r.inCluster);
  const log = deps.log.child({ component: 'leader-election' });
  if (useLease) {
    const namespace = r.leaseNamespace ?? podNamespace() ?? 'default';
    log.info({ lease: `${namespace}/${r.leaseName}`, identity }, 'leader election on a Kubernetes Lease');
    const lock = new KubernetesLeaseLock(deps.kubeConfig, { name: r.leaseName, namespace, identity, leaseDurationSeconds: r.leaseDurationS });
    return new LeaderElection(identity, lock, timings, log);
  }
  log.info({ lock: r.leaseName, identity }, 'leader election on a PostgreSQL advisory lock');
  return new LeaderElection(identity, new AdvisoryLeaderLock({ url: deps.databaseUrl, name: r.leaseName }), timings, log);
}

/**
 * Opens the database and applies pending migrations: `url`, else DATABASE_URL, else the embedded
 * PostgreSQL in EMBEDDED_PG_DIR (started here and stopped by `close`).
 * @returns the ORM, the migrations just applied, the connection string used, and `close` (ORM first, then the embedded server).
 * @throws when PostgreSQL cannot be reached or started, or a migration fails.
 */
export async function openDatabase(
  config: Readonly<Config>,
  log: Logger,
  url: string | undefined = config.database.url,
): Promise<{ orm: MikroORM; applied: string[]; url: string; close: () => Promise<void> }> {
  let embedded: EmbeddedDatabase | undefined;
  if (!url) {
    log.info({ dir: config.database.embeddedDir }, 'DATABASE_URL unset: starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dir: config.database.embeddedDir,
      port: config.database.embeddedPort,
      log: (line) => log.debug({ component: 'postgres' }, line),
    });
    url = embedded.url;
  }
  const close = async () => {
    await orm?.close();
    await embedded?.stop();
  };
  let orm: MikroORM | undefined;
  try {
    orm = await openOrm({ url });
    const applied = await migrateUp(orm);
    if (applied.length) log.info({ applied }, 'migrations applied');
    return { orm, applied, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The planning policy (blast radius, guardrails, action bounds) from configuration. */
export function planPolicyFromConfig(config: Readonly<Config>): PlanPolicy {
  const s = config.safety;
  return {
    blastRadius: { protectedNamespaces: config.policy.protectedNamespaces, criticalNamespaces: config.policy.criticalNamespaces, deniedActions: s.actionDenylist },
    guardrails: {
      ...DEFAULT_GUARDRAIL_POLICY,
      maxActionsPerHour: s.maxActionsPerHour,
      maxActionsPerResourcePerHour: s.maxActionsPerResourcePerHour,
      failureCooldownMinutes: s.failureCooldownMinutes,
      namespaceAllowlist: s.namespaceAllowlist,
      actionDenylist: s.actionDenylist,
      allowScaleToZero: s.allowScaleToZero,
      maxScaleReplicas: s.maxScaleReplicas,
      autoExecute: s.autoExecute,
      autoMinConfidence: s.autoMinConfidence,
    },
    actions: {
      ...DEFAULT_ACTION_POLICY,
      maxScaleReplicas: s.maxScaleReplicas,
      allowScaleToZero: s.allowScaleToZero,
      memoryFactor: s.memoryRaiseFactor,
      maxMemoryBytes: s.memoryLimitCapMiB * 1024 * 1024,
      verifyTimeoutMs: config.kubernetes.verifyTimeoutS * 1000,
      pollMs: config.kubernetes.verifyPollMs,
    },
  };
}

/**
 * The configured model router for a one-off diagnosis (`watchkeeper diagnose`; calls are not
 * audited), or undefined when `rulesOnly` or no local model is configured (rules only).
 */
export function modelFor(config: Readonly<Config>, rulesOnly: boolean): ModelDiagnoser | undefined {
  if (rulesOnly || !(config.models.primary || config.models.secondary)) return undefined;
  return createModelRouter(config.models, { audit: () => {} });
}

/**
 * The Kubernetes cluster adapter for a one-off command, from KUBECONFIG (and KUBE_CONTEXT), else
 * the in-cluster service account (config `kubernetes`).
 */
export function openCluster(config: Readonly<Config>): KubernetesCluster {
  return new KubernetesCluster(loadKubeConfig({ kubeconfig: config.kubernetes.kubeconfig, context: config.kubernetes.context }));
}

/** What `watchkeeper export finetune` reads: verified incidents as records; `close` releases the database. */
export interface FinetuneSource {
  records(): Promise<FinetuneRecord[]>;
  close(): Promise<void>;
}

/**
 * Opens the database ({@link openDatabase}, migrations applied) for `watchkeeper export finetune`.
 * @throws when PostgreSQL cannot be reached or started, or a migration fails.
 */
export async function openFinetuneSource(config: Readonly<Config>): Promise<FinetuneSource> {
  const database = await openDatabase(config, pino({ level: 'silent' }));
  return { records: () => finetuneRecords(createStore(database.orm).remediations), close: () => database.close() };
}
