/**
 * Alertmanager webhook payloads (version 4): validation, normalisation, fingerprints and the
 * incident target named by an alert's labels. Pure: no I/O, no clock.
 *
 * Source: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { z } from 'zod';
import type { TargetRef } from './diagnosis.ts';

const labelSet = z.record(z.string(), z.string(), { error: 'must be an object of string label values' });

/** RFC 3339 date-time (Go's `time.Time` JSON form): any fraction digits, `Z` or a numeric offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

// Date.parse alone is far too lenient (`"1"` parses as 2001-01-01), so the shape is checked first.
const timestamp = z.string().refine((s) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)), {
  message: 'must be an RFC 3339 timestamp, e.g. 2024-05-01T12:00:00Z',
});

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']).optional(),
  labels: labelSet.refine((l) => typeof l.alertname === 'string' && l.alertname !== '', {
    message: 'must include a non-empty "alertname" label',
  }),
  annotations: labelSet.optional().default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

/**
 * zod schema of the webhook body. Unknown fields (e.g. `truncatedAlerts`, `notification_reason`,
 * `routeLabels` of newer Alertmanagers) are ignored, as Alertmanager asks receivers to do.
 */
export const AlertmanagerPayloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string({ error: 'must be a string such as {}:{alertname="X"}' }).min(1),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional().default(''),
  groupLabels: labelSet.optional().default({}),
  commonLabels: labelSet.optional().default({}),
  commonAnnotations: labelSet.optional().default({}),
  externalURL: z.string().optional().default(''),
  alerts: z.array(alertSchema).min(1, { message: 'must contain at least one alert' }),
});

export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

/** One alert as Watchkeeper stores it: status inherited from the group when absent, times in UTC ms. */
export interface NormalizedAlert {
  fingerprint: string;
  status: 'firing' | 'resolved';
  alertname: string;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** ISO-8601 UTC, millisecond precision. */
  startsAt: string;
  /** ISO-8601 UTC; undefined for Alertmanager's zero time `0001-01-01T00:00:00Z`. */
  endsAt?: string;
  generatorURL?: string;
}

/** A validated delivery: the group and its alerts. */
export interface AlertGroup {
  groupKey: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  externalURL: string;
  alerts: NormalizedAlert[];
}

/** Outcome of parsing a webhook body. */
export type ParseResult = { kind: 'ok'; group: AlertGroup } | { kind: 'invalid'; message: string };

/**
 * Validates and normalises an Alertmanager webhook body.
 * @param body parsed JSON of any shape.
 * @returns `invalid` with a message naming each bad field (`alerts.0.startsAt: must be …`).
 */
export function parseAlertmanagerPayload(body: unknown): ParseResult {
  if (looksLikeSingleAlert(body)) {
    return {
      kind: 'invalid',
      message:
        'Not an Alertmanager v4 webhook payload: body is a single alert (labels, startsAt) rather than a webhook body; ' +
        'expected {"version":"4","groupKey":…,"status":…,"alerts":[…]}',
    };
  }
  let p = validPayload(body);
  if (!p) {
    const parsed = AlertmanagerPayloadSchema.safeParse(body);
    if (!parsed.success) {
      const message = parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.length ? i.path.join('.') : 'body'}: ${i.message}`)
        .join('; ');
      return { kind: 'invalid', message: `Not an Alertmanager v4 webhook payload: ${message}` };
    }
    p = parsed.data;
  }
  return {
    kind: 'ok',
    group: {
      groupKey: p.groupKey,
      receiver: p.receiver,
      status: p.status,
      groupLabels: p.groupLabels,
      externalURL: p.externalURL,
      alerts: p.alerts.map((a) => ({
        fingerprint: a.fingerprint || alertFingerprint(a.labels),
        status: a.status ?? p.status,
        alertname: a.labels.alertname,
        severity: normalizeSeverity(a.labels.severity),
        labels: a.labels,
        annotations: a.annotations,
        startsAt: new Date(a.startsAt).toISOString(),
        endsAt: a.endsAt && !a.endsAt.startsWith('0001-') ? new Date(a.endsAt).toISOString() : undefined,
        generatorURL: a.generatorURL,
      })),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Fast path: zod costs ~15 µs per alert, close to a third of the server's own CPU time for a
// delivery of 25 alerts (webhook bench). A body that certainly passes AlertmanagerPayloadSchema
// is checked by hand with the same rules and returned in the shape zod produces (known fields
// only, defaults filled in). Anything else — a wrong type, a missing field, null, a `__proto__`
// label name (zod drops it) — returns undefined, and zod decides and words the error, so the
// answers do not change.

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object of string values (labelSet), or undefined. */
function validLabels(v: unknown): Record<string, string> | undefined {
  if (!isObject(v)) return undefined;
  for (const k in v) {
    if (k === '__proto__' || typeof v[k] !== 'string') return undefined;
  }
  return v as Record<string, string>;
}

/** labelSet.optional().default({}) */
function validOptionalLabels(v: unknown): Record<string, string> | undefined {
  return v === undefined ? {} : validLabels(v);
}

function validTimestamp(v: unknown): v is string {
  return typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

const isStatus = (v: unknown): v is 'firing' | 'resolved' => v === 'firing' || v === 'resolved';

/** z.string().optional().default(d) */
function validOptionalString(v: unknown, d: string): string | undefined {
  return v === undefined ? d : typeof v === 'string' ? v : undefined;
}

function validAlert(v: unknown): AlertmanagerPayload['alerts'][number] | undefined {
  if (!isObject(v)) return undefined;
  const { status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint } = v;
  if (status !== undefined && !isStatus(status)) return undefined;
  const l = validLabels(labels);
  if (!l || typeof l.alertname !== 'string' || l.alertname === '') return undefined;
  const an = validOptionalLabels(annotations);
  if (!an || !validTimestamp(startsAt)) return undefined;
  if (endsAt !== undefined && !validTimestamp(endsAt)) return undefined;
  if (generatorURL !== undefined && typeof generatorURL !== 'string') return undefined;
  if (fingerprint !== undefined && typeof fingerprint !== 'string') return undefined;
  return { status, labels: l, annotations: an, startsAt, endsAt, generatorURL, fingerprint };
}

/** The body as zod would return it when it certainly validates; undefined otherwise. */
function validPayload(body: unknown): AlertmanagerPayload | undefined {
  if (!isObject(body)) return undefined;
  const { version, groupKey, status, alerts } = body;
  if (version !== '4' || typeof groupKey !== 'string' || groupKey.length < 1 || !isStatus(status)) return undefined;
  const receiver = validOptionalString(body.receiver, '');
  const externalURL = validOptionalString(body.externalURL, '');
  const groupLabels = validOptionalLabels(body.groupLabels);
  const commonLabels = validOptionalLabels(body.commonLabels);
  const commonAnnotations = validOptionalLabels(body.commonAnnotations);
  if (receiver === undefined || externalURL === undefined || !groupLabels || !commonLabels || !commonAnnotations) return undefined;
  if (!Array.isArray(alerts) || alerts.length < 1) return undefined;
  const out: AlertmanagerPayload['alerts'] = [];
  for (const a of alerts) {
    const alert = validAlert(a);
    if (!alert) return undefined;
    out.push(alert);
  }
  return { version, groupKey, status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts: out };
}

/** An object with an alert's own fields (`labels`, `startsAt`) and none of a webhook body's. */
function looksLikeSingleAlert(body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const o = body as Record<string, unknown>;
  return 'labels' in o && 'startsAt' in o && !('alerts' in o) && !('groupKey' in o) && !('version' in o);
}

/**
 * Alertmanager's alert fingerprint: FNV-1a 64 over the sorted label names and values, each
 * followed by the separator byte 0xff, printed as 16 hex digits (prometheus/common
 * `model.LabelSet.Fingerprint`). Used when an older Alertmanager sends no `fingerprint`.
 */
export function alertFingerprint(labels: Record<string, string>): string {
  const FNV_OFFSET = 0xcbf29ce484222325n;
  const FNV_PRIME = 0x100000001b3n;
  const MASK = 0xffffffffffffffffn;
  let hash = FNV_OFFSET;
  const mix = (bytes: Uint8Array) => {
    for (const b of bytes) hash = ((hash ^ BigInt(b)) * FNV_PRIME) & MASK;
  };
  const encoder = new TextEncoder();
  const sep = new Uint8Array([0xff]);
  for (const name of Object.keys(labels).sort()) {
    mix(encoder.encode(name));
    mix(sep);
    mix(encoder.encode(labels[name]));
    mix(sep);
  }
  return hash.toString(16).padStart(16, '0');
}

/** Severities Watchkeeper orders by; unknown values map to `warning`. */
export const SEVERITIES = ['critical', 'error', 'warning', 'info', 'none'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower-cases the `severity` label and maps unknown values (`slack`, `page`) to `warning`. */
export function normalizeSeverity(value: string | undefined): Severity {
  const v = (value ?? '').toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : 'warning';
}

/** The most severe of a list (critical first). */
export function worstSeverity(values: string[]): Severity {
  const ranks = values.map((v) => SEVERITIES.indexOf(normalizeSeverity(v)));
  return SEVERITIES[ranks.length ? Math.min(...ranks) : SEVERITIES.indexOf('warning')];
}

/**
 * The object an alert is about, from kube-prometheus / kube-state-metrics label conventions, most
 * specific workload first: `deployment`, `statefulset`, `daemonset`, `job_name`, `cronjob`, then
 * `pod`, then `node`. `kubernetes_namespace` is accepted for `namespace` (older scrape configs).
 * A `pod` label whose value looks like `<deployment>-<rs-hash>-<pod-hash>` still targets the Pod; the
 * evidence gatherer walks up to its owner.
 * @returns undefined when the labels name no Kubernetes object.
 */
export function targetFromLabels(labels: Record<string, string>): TargetRef | undefined {
  // kube-prometheus attaches the exporter's own pod/container/namespace to metrics such as
  // kube_node_status_condition; those name kube-state-metrics, not the subject of the alert.
  const exporterPod = /kube-state-metrics|node-exporter|kube-rbac-proxy/.test(labels.pod ?? '');
  const own = exporterPod ? { ...labels, pod: '', container: '', ...(labels.node ? { namespace: '' } : {}) } : labels;
  const namespace = own.namespace || own.kubernetes_namespace || own.exported_namespace || '';
  const container = own.pod && own.container && !/^kube-rbac-proxy/.test(own.container) ? own.container : undefined;
  labels = own;
  const workload: Array<[string, TargetRef['kind']]> = [
    ['deployment', 'Deployment'],
    ['statefulset', 'StatefulSet'],
    ['daemonset', 'DaemonSet'],
    ['job_name', 'Job'],
    ['cronjob', 'CronJob'],
    ['pod', 'Pod'],
  ];
  if (namespace) {
    for (const [label, kind] of workload) {
      const name = labels[label];
      if (name) return { kind, namespace, name, ...(container ? { container } : {}) };
    }
  }
  if (labels.node) return { kind: 'Node', namespace: '', name: labels.node };
  return undefined;
}
