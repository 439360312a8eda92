/**
 * Coverage schedules (node-cron: hourly evaluation, daily digest at a local time and time zone, a
 * failing run logged and the schedule kept) and the `// --- Coverage ---` configuration.
 */
import cron from 'node-cron';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';
import { digestCron, startCoverageSchedules } from '../../jobs/coverage.ts';

describe('coverage schedules', () => {
  it.each([
    ['09:00', '0 9 * * *'],
    ['7:05', '5 7 * * *'],
    ['23:59', '59 23 * * *'],
  ])('digest time %s → cron %s', (time, expr) => {
    expect(digestCron(time)).toBe(expr);
  });

  it.each(['24:00', '9', '09:60', 'nine'])('refuses digest time %s', (time) => {
    expect(() => digestCron(time)).toThrow(/HH:MM/);
  });

  it('schedules the evaluation hourly and the digest daily at the local time, and stops', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const handle = startCoverageSchedules(
      {
        run: async () => {
          calls.push('run');
          throw new Error('cluster unreachable');
        },
        postDigest: async () => {
          calls.push('digest');
          return { kind: 'no_chat' } as const;
        },
      },
      pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }),
      { timezone: 'Europe/Berlin', digestTime: '09:30', firstRunAfterMs: 20 },
    );
    const tasks = [...cron.getTasks().values()].filter((t) => t.name?.startsWith('coverage-'));
    const digest = tasks.find((t) => t.name === 'coverage-digest')!;
    const evaluation = tasks.find((t) => t.name === 'coverage-evaluation')!;
    // 09:30 in Berlin on 2026-11-21 (CET, UTC+1) is 08:30 UTC
    expect(digest.match(new Date('2026-11-21T08:30:00Z'))).toBe(true);
    expect(digest.match(new Date('2026-11-21T09:30:00Z'))).toBe(false);
    expect(evaluation.match(new Date('2026-11-21T13:07:00Z'))).toBe(true);
    expect(evaluation.match(new Date('2026-11-21T13:00:00Z'))).toBe(false);
    // one evaluation runs shortly after start; a failing run is logged, not thrown, and the schedule goes on
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual(['run']);
    await digest.execute();
    expect(calls).toEqual(['run', 'digest']);
    expect(lines.some((l) => /coverage job failed/.test(l) && /cluster unreachable/.test(l))).toBe(true);
    await handle.stop();
    expect([...cron.getTasks().values()].filter((t) => t.name?.startsWith('coverage-') && t.getStatus() !== 'destroyed')).toHaveLength(0);
  });
});

describe('coverage configuration', () => {
  const base = { TELEGRAM_CHAT_IDS: '-100' };
  it('has defaults: no Prometheus, digest at 09:00 in WATCHKEEPER_TIMEZONE, hourly evaluation', () => {
    const c = loadConfig({ ...base, WATCHKEEPER_TIMEZONE: 'Europe/Berlin' });
    expect(c.coverage).toEqual({
      enabled: true,
      prometheus: undefined,
      evaluationCron: '7 * * * *',
      digestTime: '09:00',
      timezone: 'Europe/Berlin',
      chatId: undefined,
      windowDays: 30,
      heatmapRows: 40,
      topRed: 10,
      excludeNamespaces: [],
      ruleLabels: {},
    });
  });

  it('parses every option', () => {
    const c = loadConfig({
      ...base,
      PROMETHEUS_URL: 'http://prometheus-k8s.monitoring.svc:9090',
      PROMETHEUS_BEARER_TOKEN: 's3cret',
      PROMETHEUS_TIMEOUT_MS: '5000',
      COVERAGE_DIGEST_TIME: '07:45',
      COVERAGE_DIGEST_TIMEZONE: 'America/New_York',
      COVERAGE_CHAT_ID: '-100999',
      COVERAGE_EXCLUDE_NAMESPACES: 'kube-system, *-sandbox',
      COVERAGE_RULE_LABELS: 'release=kube-prometheus-stack,role=alert-rules',
      COVERAGE_ENABLED: 'false',
    });
    expect(c.coverage).toMatchObject({
      enabled: false,
      prometheus: { url: 'http://prometheus-k8s.monitoring.svc:9090', bearerToken: 's3cret', timeoutMs: 5000 },
      digestTime: '07:45',
      timezone: 'America/New_York',
      chatId: -100999,
      excludeNamespaces: ['kube-system', '*-sandbox'],
      ruleLabels: { release: 'kube-prometheus-stack', role: 'alert-rules' },
    });
    expect(Object.isFrozen(c.coverage.ruleLabels)).toBe(true);
  });

  it.each([
    ['COVERAGE_DIGEST_TIME', '9am', /COVERAGE_DIGEST_TIME: expected HH:MM/],
    ['COVERAGE_DIGEST_TIMEZONE', 'Mars/Olympus', /COVERAGE_DIGEST_TIMEZONE: expected an IANA time zone/],
    ['COVERAGE_RULE_LABELS', 'release', /COVERAGE_RULE_LABELS: expected key=value pairs/],
    ['COVERAGE_EVALUATION_CRON', 'hourly', /COVERAGE_EVALUATION_CRON: expected a cron expression/],
    ['COVERAGE_HEATMAP_ROWS', '1000', /COVERAGE_HEATMAP_ROWS/],
  ])('rejects %s=%s with a message saying what to set', (name, value, message) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(message);
  });
});
