/**
 * Alertmanager webhook payloads: parsing the real bodies in ../shared/fixtures/alertmanager,
 * normalisation, fingerprints (prometheus/common `LabelSet.Fingerprint`), severities and targets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alertFingerprint,
  normalizeSeverity,
  parseAlertmanagerPayload,
  targetFromLabels,
  type AlertGroup,
  type ParseResult,
} from '../../domain/alerts.ts';
import type { TargetRef } from '../../domain/diagnosis.ts';

const FIXTURES = new URL('../../../shared/fixtures/alertmanager/', import.meta.url);

function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function ok(result: ParseResult): AlertGroup {
  if (result.kind !== 'ok') throw new Error(`expected ok, got: ${result.message}`);
  return result.group;
}

function invalid(result: ParseResult): string {
  if (result.kind !== 'invalid') throw new Error('expected invalid, got ok');
  return result.message;
}

/** A minimal valid body; `alerts` override the single default alert. */
function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '4',
    groupKey: '{}:{alertname="X"}',
    status: 'firing',
    alerts: [{ labels: { alertname: 'X' }, startsAt: '2024-05-01T12:00:00Z' }],
    ...overrides,
  };
}

describe('parseAlertmanagerPayload on the real fixtures', () => {
  it.each([
    {
      file: '01-prometheus-msteams_prom_post_request.json',
      groupKey: '{}:{alertname="high_memory_load"}',
      receiver: 'teams_proxy',
      status: 'firing',
      alertname: 'high_memory_load',
      alertStatus: 'firing',
      severity: 'warning',
      startsAt: '2018-03-07T11:33:21.873Z',
      endsAt: undefined,
      // no fingerprint in the body (older Alertmanager): computed from the labels
      fingerprint: alertFingerprint({
        alertname: 'high_memory_load',
        instance: 'instance-with-hyphen_and_underscore',
        job: 'docker_nodes',
        monitor: 'master',
        severity: 'warning',
      }),
    },
    {
      file: '02-pythonwebhook_testcurl7_resolved_kube-state-metrics.json',
      groupKey: '{}:{alertname="Deployment"}',
      receiver: 'web\\.hook',
      status: 'resolved',
      alertname: 'Deployment',
      alertStatus: 'resolved',
      severity: 'warning', // "Warning" lower-cased
      startsAt: '2022-07-29T11:13:27.300Z',
      endsAt: '2022-07-29T11:17:27.300Z',
      fingerprint: 'fbab788ec4c1018b',
    },
    {
      file: '03-pythonwebhook_testcurl_firing_in-cluster.json',
      groupKey: '{}/{}:{alertname="High Pod Memory"}',
      receiver: 'webhook',
      status: 'firing',
      alertname: 'High Pod Memory',
      alertStatus: 'firing',
      severity: 'warning', // "slack" is not a severity
      startsAt: '2022-07-26T19:55:58.970Z',
      endsAt: undefined,
      fingerprint: 'f74798f72524fe89',
    },
    {
      file: '04-alertmanager-bot_firing.json',
      groupKey: '{}:{alertname="Fire"}',
      receiver: 'telegram',
      status: 'firing',
      alertname: 'Fire',
      alertStatus: 'firing',
      severity: 'critical',
      startsAt: '2018-11-04T21:43:58.283Z', // +01:00 and nanoseconds → UTC ms
      endsAt: '2018-11-04T21:46:58.283Z',
      fingerprint: alertFingerprint({ alertname: 'Fire', severity: 'critical' }),
    },
    {
      file: '04-alertmanager-bot_resolved.json',
      groupKey: '{}:{alertname="Fire"}',
      receiver: 'telegram',
      status: 'resolved',
      alertname: 'Fire',
      alertStatus: 'resolved',
      severity: 'critical',
      startsAt: '2018-11-04T21:43:58.283Z',
      endsAt: '2018-11-04T21:48:13.283Z',
      fingerprint: alertFingerprint({ alertname: 'Fire', severity: 'critical' }),
    },
    {
      file: '06-alertmanager-webhook-types_sample-v4-payload.json',
      groupKey: '{}/{severity="critical"}:{alertname="ProbeFailure"}',
      receiver: 'sms',
      status: 'firing',
      alertname: 'ProbeFailure',
      alertStatus: 'firing',
      severity: 'critical',
      startsAt: '2023-02-06T13:08:45.828Z',
      endsAt: undefined,
      // the body's own fingerprint is kept as sent (this sample's value is hand-written)
      fingerprint: '1a30ba71cca2921f',
    },
  ])('$file → ok, normalised', (c) => {
    const group = ok(parseAlertmanagerPayload(fixture(c.file)));
    expect(group).toMatchObject({ groupKey: c.groupKey, receiver: c.receiver, status: c.status });
    expect(group.alerts).toHaveLength(1);
    const [a] = group.alerts;
    expect(a.alertname).toBe(c.alertname);
    expect(a.status).toBe(c.alertStatus);
    expect(a.severity).toBe(c.severity);
    expect(a.startsAt).toBe(c.startsAt);
    expect(a.endsAt).toBe(c.endsAt);
    expect(a.fingerprint).toBe(c.fingerprint);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('05 LEGACY (version 0, numeric groupKey) is invalid, naming version and groupKey', () => {
    const message = invalid(parseAlertmanagerPayload(fixture('05-prometheus_bot_production_example_LEGACY.json')));
    expect(message).toMatch(/version/);
    expect(message).toMatch(/"4"/);
    expect(message).toMatch(/groupKey/);
    // the alerts themselves are acceptable, so they are not blamed
    expect(message).not.toMatch(/alerts\.\d/);
  });

  it('07 is a single alert, not a webhook body → invalid, saying so', () => {
    const message = invalid(
      parseAlertmanagerPayload(fixture('07-grafana-oncall_alertmanager-test-alert_KubeJobCompletion.single-alert.json')),
    );
    expect(message).toMatch(/single alert/);
    expect(message).toMatch(/alerts/);
  });
});

describe('parseAlertmanagerPayload rules', () => {
  it.each([
    ['not an object', 'hello', /body/],
    ['null', null, /body/],
    ['an array', [body()], /body/],
    ['version "3"', body({ version: '3' }), /version: must be "4"/],
    ['empty groupKey', body({ groupKey: '' }), /groupKey/],
    ['unknown status', body({ status: 'pending' }), /status/],
    ['no alerts', body({ alerts: [] }), /alerts: must contain at least one alert/],
    ['alert without alertname', body({ alerts: [{ labels: { severity: 'critical' }, startsAt: '2024-05-01T12:00:00Z' }] }), /alerts\.0\.labels: must include a non-empty "alertname"/],
    ['non-string label value', body({ alerts: [{ labels: { alertname: 'X', n: 1 }, startsAt: '2024-05-01T12:00:00Z' }] }), /alerts\.0\.labels/],
    ['garbage startsAt', body({ alerts: [{ labels: { alertname: 'X' }, startsAt: 'yesterday' }] }), /alerts\.0\.startsAt: must be an RFC 3339 timestamp/],
    ['startsAt "1" (Date.parse would take it as 2001)', body({ alerts: [{ labels: { alertname: 'X' }, startsAt: '1' }] }), /alerts\.0\.startsAt/],
    ['date-only startsAt', body({ alerts: [{ labels: { alertname: 'X' }, startsAt: '2024-05-01' }] }), /alerts\.0\.startsAt/],
    ['garbage endsAt', body({ alerts: [{ labels: { alertname: 'X' }, startsAt: '2024-05-01T12:00:00Z', endsAt: 'never' }] }), /alerts\.0\.endsAt/],
  ])('%s → invalid (%s)', (_name, input, pattern) => {
    const message = invalid(parseAlertmanagerPayload(input));
    expect(message).toMatch(/^Not an Alertmanager v4 webhook payload: /);
    expect(message).toMatch(pattern);
  });

  it('ignores unknown fields at every level (newer Alertmanagers add them)', () => {
    const group = ok(
      parseAlertmanagerPayload(
        body({
          truncatedAlerts: 0,
          notification_reason: 'new_alert',
          routeLabels: { team: 'sre' },
          alerts: [{ labels: { alertname: 'X' }, startsAt: '2024-05-01T12:00:00Z', silencedBy: [], extra: { deep: true } }],
        }),
      ),
    );
    expect(group).not.toHaveProperty('truncatedAlerts');
    expect(group).not.toHaveProperty('routeLabels');
    expect(group.alerts[0]).not.toHaveProperty('silencedBy');
    expect(group.alerts[0].alertname).toBe('X');
  });

  it.each([
    ['firing group, alert without status', 'firing', undefined, 'firing'],
    ['resolved group, alert without status', 'resolved', undefined, 'resolved'],
    ['resolved group, alert still firing', 'resolved', 'firing', 'firing'],
    ['firing group, one alert resolved', 'firing', 'resolved', 'resolved'],
  ] as const)('%s → alert status %s', (_name, groupStatus, alertStatus, expected) => {
    const alert: Record<string, unknown> = { labels: { alertname: 'X' }, startsAt: '2024-05-01T12:00:00Z' };
    if (alertStatus) alert.status = alertStatus;
    const group = ok(parseAlertmanagerPayload(body({ status: groupStatus, alerts: [alert] })));
    expect(group.alerts[0].status).toBe(expected);
  });

  it.each([
    ['Z with nanoseconds', '2024-05-01T12:00:00.123456789Z', '2024-05-01T12:00:00.123Z'],
    ['offset -05:00', '2024-05-01T07:00:00-05:00', '2024-05-01T12:00:00.000Z'],
    ['offset +02:00 with ms', '2024-05-01T14:00:00.5+02:00', '2024-05-01T12:00:00.500Z'],
    ['lower-case t and z', '2024-05-01t12:00:00z', '2024-05-01T12:00:00.000Z'],
  ])('startsAt %s → UTC ms', (_name, input, expected) => {
    const group = ok(parseAlertmanagerPayload(body({ alerts: [{ labels: { alertname: 'X' }, startsAt: input }] })));
    expect(group.alerts[0].startsAt).toBe(expected);
  });

  it.each([
    ['Go zero time', '0001-01-01T00:00:00Z', undefined],
    ['absent', undefined, undefined],
    ['real time', '2024-05-01T13:00:00+01:00', '2024-05-01T12:00:00.000Z'],
  ])('endsAt %s → %s', (_name, endsAt, expected) => {
    const alert: Record<string, unknown> = { labels: { alertname: 'X' }, startsAt: '2024-05-01T11:00:00Z' };
    if (endsAt !== undefined) alert.endsAt = endsAt;
    const group = ok(parseAlertmanagerPayload(body({ alerts: [alert] })));
    expect(group.alerts[0].endsAt).toBe(expected);
  });

  it('defaults optional group fields and annotations', () => {
    const group = ok(parseAlertmanagerPayload(body()));
    expect(group).toMatchObject({ receiver: '', groupLabels: {}, externalURL: '' });
    expect(group.alerts[0].annotations).toEqual({});
  });

  it('computes the fingerprint when absent or empty, keeps it when sent', () => {
    const labels = { alertname: 'X', pod: 'web-1' };
    const group = ok(
      parseAlertmanagerPayload(
        body({
          alerts: [
            { labels, startsAt: '2024-05-01T12:00:00Z' },
            { labels, startsAt: '2024-05-01T12:00:00Z', fingerprint: '' },
            { labels, startsAt: '2024-05-01T12:00:00Z', fingerprint: 'abcdef0123456789' },
          ],
        }),
      ),
    );
    expect(group.alerts.map((a) => a.fingerprint)).toEqual([alertFingerprint(labels), alertFingerprint(labels), 'abcdef0123456789']);
  });
});

describe('alertFingerprint (FNV-1a 64 over sorted name/value pairs, 0xff separators)', () => {
  it.each([
    // Fingerprints computed by real Alertmanagers, from the fixtures.
    ['fixture 03', { alertname: 'High Pod Memory', severity: 'slack' }, 'f74798f72524fe89'],
    [
      'fixture 02',
      fixture('02-pythonwebhook_testcurl7_resolved_kube-state-metrics.json').alerts[0].labels as Record<string, string>,
      'fbab788ec4c1018b',
    ],
    // The empty label set is the FNV-1a 64 offset basis (prometheus/common emptyLabelSignature).
    ['empty label set', {}, 'cbf29ce484222325'],
  ])('%s → %s', (_name, labels, expected) => {
    expect(alertFingerprint(labels)).toBe(expected);
  });

  it('does not depend on label order', () => {
    expect(alertFingerprint({ severity: 'slack', alertname: 'High Pod Memory' })).toBe('f74798f72524fe89');
  });

  it.each([
    // the separators keep name/value boundaries apart
    [{ ab: 'c' }, { a: 'bc' }],
    [{ a: 'b', c: 'd' }, { a: 'b\u00ffc', c: 'd' }],
    [{ alertname: 'X' }, { alertname: 'X', severity: '' }],
  ])('%j and %j differ', (a, b) => {
    expect(alertFingerprint(a)).not.toBe(alertFingerprint(b));
  });

  it('hashes UTF-8 bytes (non-ASCII values) and always prints 16 hex digits', () => {
    const fp = alertFingerprint({ alertname: 'Heartbeat ❤️' });
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fp).not.toBe(alertFingerprint({ alertname: 'Heartbeat ' }));
  });
});

describe('severities', () => {
  it.each([
    ['critical', 'critical'],
    ['Critical', 'critical'],
    ['ERROR', 'error'],
    ['warning', 'warning'],
    ['Warning', 'warning'],
    ['info', 'info'],
    ['none', 'none'],
    ['slack', 'warning'],
    ['page', 'warning'],
    ['', 'warning'],
    [undefined, 'warning'],
  ])('normalizeSeverity(%j) → %s', (input, expected) => {
    expect(normalizeSeverity(input)).toBe(expected);
  });
});

describe('targetFromLabels (kube-prometheus / kube-state-metrics labels)', () => {
  it.each<[string, Record<string, string>, TargetRef | undefined]>([
    [
      'KubeDeploymentReplicasMismatch',
      { alertname: 'KubeDeploymentReplicasMismatch', namespace: 'shop', deployment: 'web', job: 'kube-state-metrics' },
      { kind: 'Deployment', namespace: 'shop', name: 'web' },
    ],
    [
      'KubeStatefulSetReplicasMismatch',
      { alertname: 'KubeStatefulSetReplicasMismatch', namespace: 'db', statefulset: 'pg' },
      { kind: 'StatefulSet', namespace: 'db', name: 'pg' },
    ],
    [
      'KubeDaemonSetRolloutStuck',
      { alertname: 'KubeDaemonSetRolloutStuck', namespace: 'monitoring', daemonset: 'node-exporter' },
      { kind: 'DaemonSet', namespace: 'monitoring', name: 'node-exporter' },
    ],
    [
      'KubeJobFailed (job_name, not the scrape job)',
      { alertname: 'KubeJobFailed', namespace: 'batch', job_name: 'nightly-123', job: 'kube-state-metrics' },
      { kind: 'Job', namespace: 'batch', name: 'nightly-123' },
    ],
    [
      'KubePodCrashLooping with container',
      { alertname: 'KubePodCrashLooping', namespace: 'shop', pod: 'web-7d4b9c-x2x9z', container: 'app' },
      { kind: 'Pod', namespace: 'shop', name: 'web-7d4b9c-x2x9z', container: 'app' },
    ],
    [
      'deployment wins over pod',
      { alertname: 'X', namespace: 'shop', deployment: 'web', pod: 'web-7d4b9c-x2x9z' },
      { kind: 'Deployment', namespace: 'shop', name: 'web' },
    ],
    [
      'KubeNodeNotReady',
      { alertname: 'KubeNodeNotReady', node: 'ip-10-0-0-1', job: 'kube-state-metrics' },
      { kind: 'Node', namespace: '', name: 'ip-10-0-0-1' },
    ],
    [
      'kubernetes_namespace (older scrape configs)',
      { alertname: 'X', kubernetes_namespace: 'legacy', deployment: 'api' },
      { kind: 'Deployment', namespace: 'legacy', name: 'api' },
    ],
    ['pod without namespace', { alertname: 'X', pod: 'web-1' }, undefined],
    ['deployment without namespace', { alertname: 'X', deployment: 'web' }, undefined],
    ['namespace alone', { alertname: 'KubeQuotaExceeded', namespace: 'shop' }, undefined],
    ['no Kubernetes labels (fixture 06)', { alertname: 'ProbeFailure', instance: 'https://server.example.org' }, undefined],
  ])('%s', (_name, labels, expected) => {
    expect(targetFromLabels(labels)).toEqual(expected);
  });

  it('targets the Deployment of the real kube-state-metrics fixture 02', () => {
    const group = ok(parseAlertmanagerPayload(fixture('02-pythonwebhook_testcurl7_resolved_kube-state-metrics.json')));
    expect(targetFromLabels(group.alerts[0].labels)).toEqual({
      kind: 'Deployment',
      namespace: 'eric-eo-cm-ci406',
      name: 'eric-log-transformer',
    });
  });

  it('targets the Job of the kube-prometheus KubeJobCompletion alert of fixture 07', () => {
    const alert = fixture('07-grafana-oncall_alertmanager-test-alert_KubeJobCompletion.single-alert.json');
    expect(targetFromLabels(alert.labels)).toEqual({
      kind: 'Job',
      namespace: 'default',
      name: 'email-tracking-perform-initialization-1.0.50',
    });
  });
});
