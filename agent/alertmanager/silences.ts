/**
 * Alertmanager v2 API adapter: creates silences for the "Silence" button when ALERTMANAGER_URL is set.
 * Source: https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml (`POST /api/v2/silences`).
 */

/** One equality matcher (`name="value"`). */
export interface SilenceMatcher {
  name: string;
  value: string;
}

/** Creates silences; implemented over HTTP by {@link AlertmanagerSilences}. */
export interface SilencePort {
  /**
   * Creates a silence.
   * @returns the silence id Alertmanager assigned.
   * @throws AlertmanagerCallFailed on a non-2xx answer or network error.
   */
  createSilence(input: { matchers: SilenceMatcher[]; startsAt: Date; endsAt: Date; createdBy: string; comment: string }): Promise<string>;
}

/** An Alertmanager API call failed. */
export class AlertmanagerCallFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'AlertmanagerCallFailed';
  }
}

/** {@link SilencePort} over Alertmanager's HTTP API. */
export class AlertmanagerSilences implements SilencePort {
  /**
   * @param baseUrl e.g. `http://alertmanager.monitoring:9093` (no trailing `/api/v2`).
   * @param timeoutMs per request (default 5000).
   */
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {}

  async createSilence(input: { matchers: SilenceMatcher[]; startsAt: Date; endsAt: Date; createdBy: string; comment: string }): Promise<string> {
    if (input.matchers.length === 0) throw new AlertmanagerCallFailed('a silence needs at least one matcher');
    const url = `${this.baseUrl.replace(/\/+$/, '')}/api/v2/silences`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: input.matchers.map((m) => ({ name: m.name, value: m.value, isRegex: false, isEqual: true })),
          startsAt: input.startsAt.toISOString(),
          endsAt: input.endsAt.toISOString(),
          createdBy: input.createdBy,
          comment: input.comment,
        }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new AlertmanagerCallFailed(`POST ${url} failed: ${cause instanceof Error ? cause.message : String(cause)}`, undefined, { cause });
    }
    const text = await res.text();
    if (!res.ok) throw new AlertmanagerCallFailed(`POST ${url} answered ${res.status}: ${text.slice(0, 300)}`, res.status);
    try {
      const id = (JSON.parse(text) as { silenceID?: string }).silenceID;
      if (!id) throw new Error('no silenceID');
      return id;
    } catch (cause) {
      throw new AlertmanagerCallFailed(`POST ${url}: unexpected answer ${text.slice(0, 200)}`, res.status, { cause });
    }
  }
}
