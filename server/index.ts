/**
 * The HTTP server: Alertmanager webhook, Telegram webhook mode, /healthz, /readyz, /metrics.
 * One error middleware is the funnel for everything express itself rejects.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { parseAlertmanagerPayload } from '../domain/alerts.ts';
import type { Agent } from '../agent/index.ts';
import type { AgentMetrics } from '../agent/metrics.ts';
import { requireAuth, type WebhookAuth } from './auth.ts';

/** Options for {@link createServer}. */
export interface ServerOptions {
  agent: Agent;
  log: Logger;
  registry: Registry;
  metrics?: AgentMetrics;
  /** Alertmanager auth: bearer token and/or basic credentials; a request must match one. */
  auth: WebhookAuth;
  /** Largest accepted body, bytes. */
  bodyLimitBytes: number;
  /** Telegram webhook handler (webhook mode), mounted at POST /telegram/webhook. */
  telegramWebhook?: express.RequestHandler;
}

/**
 * Builds the express app (not listening).
 *
 * `POST /webhooks/alertmanager` answers:
 * - 202 `{stored, received, incidentId, incidentChange}` once the alerts are durably stored; when
 *   some alerts of the delivery were invalid, the valid ones are stored and the answer adds
 *   `rejected: [{index, message}]` naming the bad fields (a 4xx would drop the good ones too);
 * - 400 with `{error}` naming each bad field (malformed JSON, not a v4 payload, a string longer than
 *   its column, U+0000 or an unpaired surrogate, an impossible date, no valid alert) — Alertmanager
 *   treats 4xx as permanent, so nothing is retried for a bad body;
 * - 401 without valid credentials; 413 above the body limit (any content type is parsed as JSON,
 *   as Alertmanager always sends JSON);
 * - 503 when PostgreSQL is unreachable, so Alertmanager retries.
 */
export function createServer(opts: ServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const log = opts.log.child({ component: 'http' });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await opts.agent.ready();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unreachable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', opts.registry.contentType).send(await opts.registry.metrics());
  });

  app.post(
    '/webhooks/alertmanager',
    requireAuth(opts.auth),
    express.json({ limit: opts.bodyLimitBytes, strict: false, type: () => true }),
    async (req: Request, res: Response) => {
      const started = process.hrtime.bigint();
      const finish = (status: number, body: unknown) => {
        res.status(status).json(body);
        opts.metrics?.webhookSeconds.observe({ status: String(status) }, Number(process.hrtime.bigint() - started) / 1e9);
      };
      const parsed = parseAlertmanagerPayload(req.body);
      if (parsed.kind === 'invalid') {
        log.warn({ reason: parsed.message }, 'rejected Alertmanager payload');
        return finish(400, { error: parsed.message });
      }
      if (parsed.rejected.length > 0) log.warn({ rejected: parsed.rejected }, 'refused some alerts of an Alertmanager delivery; stored the others');
      try {
        const result = await opts.agent.ingestAlerts(parsed.group);
        return finish(202, parsed.rejected.length > 0 ? { ...result, rejected: parsed.rejected } : result);
      } catch (err) {
        log.error({ err }, 'could not store alerts; answering 503 so Alertmanager retries');
        return finish(503, { error: 'database unavailable; retry later' });
      }
    },
  );

  if (opts.telegramWebhook) app.post('/telegram/webhook', express.json({ limit: '1mb' }), opts.telegramWebhook);

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  // The error funnel: body-parser errors and anything thrown by a handler.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.too.large') {
      return res.status(413).json({ error: `body larger than ${opts.bodyLimitBytes} bytes; lower max_alerts in the receiver` });
    }
    if (e.type === 'entity.parse.failed') {
      return res.status(400).json({ error: `body is not valid JSON: ${e.message}` });
    }
    if (e.status && e.status >= 400 && e.status < 500) return res.status(e.status).json({ error: e.message });
    log.error({ err }, 'unhandled error in HTTP handler');
    return res.status(500).json({ error: 'internal error' });
  });
  return app;
}
