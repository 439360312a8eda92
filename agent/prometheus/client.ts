/**
 * The Prometheus adapter for coverage (fetch-based, no SDK): active scrape targets
 * (`GET /api/v1/targets?state=active`), alerting rules (`GET /api/v1/rules?type=alert`) and the
 * metric names of a series selector (`GET /api/v1/label/__name__/values?match[]=…`, for the 5xx
 * rule template).
 * Source: https://prometheus.io/docs/prometheus/latest/querying/api/
 */
import type { AlertingRule } from '../../domain/coverage/alerting.ts';
import type { ScrapeTarget } from '../../domain/coverage/monitoring.ts';

/** What coverage needs from Prometheus. Every method throws {@link PrometheusCallFailed}. */
export interface PrometheusPort {
  /** Active targets (dropped ones are not scraped). */
  activeTargets(): Promise<ScrapeTarget[]>;
  /** Alerting rules of every group (recording rules left out). */
  alertingRules(): Promise<AlertingRule[]>;
  /** Metric names having series in the last hour that match `selector`, e.g. `{namespace="shop",pod=~"web-.*"}`. */
  metricNames(selector: string): Promise<string[]>;
}

/** A Prometheus API call failed: transport, timeout, HTTP status or `status: "error"`. */
export class PrometheusCallFailed extends Error {
  constructor(
    readonly path: string,
    readonly status: number | undefined,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(`Prometheus ${path} failed${status ? ` (HTTP ${status})` : ''}${options.detail ? `: ${options.detail}` : ''}`, { cause: options.cause });
    this.name = 'PrometheusCallFailed';
  }
}

/** Options of {@link PrometheusHttp}. */
export interface PrometheusHttpOptions {
  /** Base URL, e.g. `http://prometheus-k8s.monitoring.svc:9090` (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer …` when set (Prometheus behind an auth proxy). */
  bearerToken?: string;
  /** Per-call timeout, ms (default 15 000). */
  timeoutMs?: number;
  /** fetch implementation (default the global one). */
  fetch?: typeof fetch;
}

interface ApiEnvelope<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

interface RawRule {
  type?: string;
  name?: string;
  query?: string;
  labels?: Record<string, string>;
}

/** {@link PrometheusPort} over Prometheus' HTTP API. */
export class PrometheusHttp implements PrometheusPort {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: PrometheusHttpOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  private async get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(`${this.base}${path}`, {
        headers: { accept: 'application/json', ...(this.opts.bearerToken ? { authorization: `Bearer ${this.opts.bearerToken}` } : {}) },
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (cause) {
      throw new PrometheusCallFailed(path, undefined, { cause, detail: cause instanceof Error ? cause.message : String(cause) });
    }
    let body: ApiEnvelope<T> | undefined;
    const text = await res.text().catch(() => '');
    try {
      body = JSON.parse(text) as ApiEnvelope<T>;
    } catch {
      body = undefined;
    }
    if (!res.ok || !body || body.status !== 'success' || body.data === undefined) {
      const detail = body?.error ? `${body.errorType ?? 'error'}: ${body.error}` : text.slice(0, 200) || res.statusText;
      throw new PrometheusCallFailed(path, res.ok ? undefined : res.status, { detail });
    }
    return body.data;
  }

  async activeTargets(): Promise<ScrapeTarget[]> {
    const data = await this.get<{ activeTargets?: Array<Record<string, unknown>> }>('/api/v1/targets?state=active');
    return (data.activeTargets ?? []).map((t) => ({
      labels: (t.labels as Record<string, string>) ?? {},
      discoveredLabels: (t.discoveredLabels as Record<string, string>) ?? {},
      scrapePool: t.scrapePool as string | undefined,
      scrapeUrl: t.scrapeUrl as string | undefined,
      health: t.health as string | undefined,
      lastError: t.lastError as string | undefined,
    }));
  }

  async alertingRules(): Promise<AlertingRule[]> {
    const data = await this.get<{ groups?: Array<{ name?: string; file?: string; rules?: RawRule[] }> }>('/api/v1/rules?type=alert');
    const out: AlertingRule[] = [];
    for (const g of data.groups ?? []) {
      for (const r of g.rules ?? []) {
        if (r.type !== 'alerting' || !r.name || typeof r.query !== 'string') continue;
        out.push({ group: g.name ?? '', file: g.file, name: r.name, query: r.query, labels: r.labels ?? {} });
      }
    }
    return out;
  }

  async metricNames(selector: string): Promise<string[]> {
    // the last hour only: series of pods that are gone long ago do not count, and the query stays cheap
    const start = Math.floor(Date.now() / 1000) - 3600;
    const data = await this.get<string[]>(`/api/v1/label/__name__/values?match[]=${encodeURIComponent(selector)}&start=${start}`);
    return Array.isArray(data) ? data : [];
  }
}
