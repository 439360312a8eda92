/**
 * Alertmanager webhook payloads (version 4): validation, normalisation, fingerprints and the
 * incident target named by an alert's labels. Pure: no I/O, no clock.
 *
 * Source: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { TargetRef } from './diagnosis.ts';

/**
 * Column limits of the stored alert (entities/schema.ts, migration 20261121060642_initial):
 * `alert.alertname`/`incident.alertname` varchar(255), `alert.receiver` varchar(255),
 * `alert.fingerprint` varchar(64). Longer values are refused here, so they never become a 5xx.
 */
export const ALERT_FIELD_LIMITS = { alertname: 255, receiver: 255, fingerprint: 64 } as const;

/**
 * Longest `groupKey` kept as sent, in UTF-8 bytes. `incident.group_key` and `silence.group_key` are
 * btree-indexed and PostgreSQL refuses index rows over ~2.7 KB, while a realistic `group_by` of many
 * labels reaches 5 KB; a longer key is stored as its first characters plus its SHA-256
 * (see {@link storedGroupKey}), which still identifies the group.
 */
export const GROUP_KEY_MAX_BYTES = 1024;

/**
 * True when `s` can be stored as PostgreSQL text and jsonb: no U+0000 (refused by both) and no
 * unpaired UTF-16 surrogate (invalid UTF-8; jsonb refuses the `\ud800` escape).
 */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

const STORABLE = 'must not contain U+0000 or an unpaired UTF-16 surrogate';
const storableString = z.string().refine(isStorableText, { message: STORABLE });
const limited = (max: number) =>
  z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .refine(isStorableText, { message: STORABLE });

const labelSet = z.record(storableString, storableString, { error: 'must be an object of string label values' });

/** RFC 3339 date-time (Go's `time.Time` JSON form): any fraction digits, `Z` or a numeric offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * True for an RFC 3339 timestamp that names a real instant between years 0001 and 9999 (UTC):
 * the shape is checked first (Date.parse alone takes `"1"` as 2001), then the calendar, because
 * Date.parse shifts `2023-02-29` to March 1st and `T24:00:00` to the next day instead of refusing
 * them. Alertmanager's zero time `0001-01-01T00:00:00Z` is valid.
 */
export function isRealTimestamp(s: string): boolean {
  const m = RFC3339.exec(s);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return false;
  const utcYear = new Date(ms).getUTCFullYear();
  return utcYear >= 1 && utcYear <= 9999;
}

const timestamp = z.string().refine(isRealTimestamp, {
  message: 'must be an RFC 3339 timestamp of a real date and time between years 0001 and 9999, e.g. 2024-05-01T12:00:00Z',
});

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']).optional(),
  labels: labelSet
    .refine((l) => typeof l.alertname === 'string' && l.alertname !== '', {
      message: 'must include a non-empty "alertname" label',
    })
    .refine((l) => (l.alertname ?? '').length <= ALERT_FIELD_LIMITS.alertname, {
      message: `"alertname" must be at most ${ALERT_FIELD_LIMITS.alertname} characters`,
      path: ['alertname'],
    }),
  annotations: labelSet.optional().default({}),
  startsAt: timestamp,
  endsAt: timestamp.optional(),
  generatorURL: storableString.optional(),
  fingerprint: limited(ALERT_FIELD_LIMITS.fingerprint).optional(),
});

/** The webhook body around its alerts; each alert is then validated on its own ({@link parseAlertmanagerPayload}). */
const envelopeSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string({ error: 'must be a string such as {}:{alertname="X"}' }).min(1).refine(isStorableText, { message: STORABLE }),
  status: z.enum(['firing', 'resolved']),
  receiver: limited(ALERT_FIELD_LIMITS.receiver).optional().default(''),
  groupLabels: labelSet.optional().default({}),
  commonLabels: labelSet.optional().default({}),
  commonAnnotations: labelSet.optional().default({}),
  externalURL: storableString.optional().default(''),
  alerts: z.array(z.unknown()).min(1, { message: 'must contain at least one alert' }),
});

/**
 * zod schema of the webhook body. Unknown fields (e.g. `truncatedAlerts`, `notification_reason`,
 * `routeLabels` of newer Alertmanagers) are ignored, as Alertmanager asks receivers to do. Strings
 * are limited to what the database stores ({@link ALERT_FIELD_LIMITS}, {@link isStorableText}) and
 * timestamps must be real ({@link isRealTimestamp}).
 */
export const AlertmanagerPayloadSchema = envelopeSchema.extend({
  alerts: z.array(alertSchema).min(1, { message: 'must contain at least one alert' }),
});

export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

/** One stored alert: status inherited from the group when absent, times in UTC ms. */
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
  /** Alertmanager's groupKey, or for a very long one its prefix and hash ({@link storedGroupKey}). */
  groupKey: string;
  receiver: string;
  status: 'firing' | 'resolved';
  groupLabels: Record<string, string>;
  externalURL: string;
  alerts: NormalizedAlert[];
}

/** An alert of a delivery that was refused while the others were kept. */
export interface RejectedAlert {
  /** Position in the body's `alerts` array. */
  index: number;
  /** What is wrong, naming each field: `alerts.3.startsAt: must be …`. */
  message: string;
}

/**
 * Outcome of parsing a webhook body: `ok` with the valid alerts (and those refused, when the
 * delivery also had good ones), or `invalid` when the body itself or every alert is unusable.
 */
export type ParseResult = { kind: 'ok'; group: AlertGroup; rejected: RejectedAlert[] } | { kind: 'invalid'; message: string };

/** `path: message` for at most 10 zod issues, paths prefixed with `prefix`. */
function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string {
  return issues
    .slice(0, 10)
    .map((i) => {
      const path = [...prefix, ...i.path].map(String);
      return `${path.length ? path.join('.') : 'body'}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Validates and normalises an Alertmanager webhook body. Each alert is validated on its own: one
 * bad alert (an overlong alertname, an impossible date) does not cost the good ones of its
 * delivery; it is returned in `rejected` instead.
 * @param body parsed JSON of any shape.
 * @returns `invalid` with a message naming each bad field (`alerts.0.startsAt: must be …`) when the
 *   envelope is wrong or no alert is valid.
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
  const rejected: RejectedAlert[] = [];
  if (!p) {
    const envelope = envelopeSchema.safeParse(body);
    if (!envelope.success) return { kind: 'invalid', message: `Not an Alertmanager v4 webhook payload: ${describeIssues(envelope.error.issues)}` };
    const alerts: AlertmanagerPayload['alerts'] = [];
    envelope.data.alerts.forEach((a, index) => {
      const parsed = alertSchema.safeParse(a);
      if (parsed.success) alerts.push(parsed.data);
      else rejected.push({ index, message: describeIssues(parsed.error.issues, ['alerts', index]) });
    });
    if (alerts.length === 0) {
      return { kind: 'invalid', message: `Not an Alertmanager v4 webhook payload: ${rejected.slice(0, 10).map((r) => r.message).join('; ')}` };
    }
    p = { ...envelope.data, alerts };
  }
  const payload = p;
  return {
    kind: 'ok',
    rejected,
    group: {
      groupKey: storedGroupKey(payload.groupKey),
      receiver: payload.receiver,
      status: payload.status,
      groupLabels: payload.groupLabels,
      externalURL: payload.externalURL,
      alerts: payload.alerts.map((a) => ({
        fingerprint: a.fingerprint || alertFingerprint(a.labels),
        status: a.status ?? payload.status,
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

/**
 * The groupKey as stored and indexed: unchanged up to {@link GROUP_KEY_MAX_BYTES} UTF-8 bytes;
 * longer, its first 512 characters (never splitting a surrogate pair), `…sha256:` and the SHA-256
 * of the whole key in hex. Deterministic, so every delivery of the group maps to the same incident.
 */
export function storedGroupKey(groupKey: string): string {
  if (Buffer.byteLength(groupKey, 'utf8') <= GROUP_KEY_MAX_BYTES) return groupKey;
  let head = groupKey.slice(0, 512);
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  return `${head}…sha256:${createHash('sha256').update(groupKey, 'utf8').digest('hex')}`;
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
    const value = v[k];
    if (k === '__proto__' || typeof value !== 'string' || !isStorableText(k) || !isStorableText(value)) return undefined;
  }
  return v as Record<string, string>;
}

/** labelSet.optional().default({}) */
function validOptionalLabels(v: unknown): Record<string, string> | undefined {
  return v === undefined ? {} : validLabels(v);
}

function validTimestamp(v: unknown): v is string {
  return typeof v === 'string' && isRealTimestamp(v);
}

const isStatus = (v: unknown): v is 'firing' | 'resolved' => v === 'firing' || v === 'resolved';

/** storableString / limited(max), .optional().default(d) */
function validOptionalString(v: unknown, d: string, max = Number.MAX_SAFE_INTEGER): string | undefined {
  return v === undefined ? d : typeof v === 'string' && v.length <= max && isStorableText(v) ? v : undefined;
}

function validAlert(v: unknown): AlertmanagerPayload['alerts'][number] | undefined {
  if (!isObject(v)) return undefined;
  const { status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint } = v;
  if (status !== undefined && !isStatus(status)) return undefined;
  const l = validLabels(labels);
  if (!l || typeof l.alertname !== 'string' || l.alertname === '' || l.alertname.length > ALERT_FIELD_LIMITS.alertname) return undefined;
  const an = validOptionalLabels(annotations);
  if (!an || !validTimestamp(startsAt)) return undefined;
  if (endsAt !== undefined && !validTimestamp(endsAt)) return undefined;
  const url = generatorURL === undefined ? undefined : validOptionalString(generatorURL, '');
  if (generatorURL !== undefined && url === undefined) return undefined;
  const fp = fingerprint === undefined ? undefined : validOptionalString(fingerprint, '', ALERT_FIELD_LIMITS.fingerprint);
  if (fingerprint !== undefined && fp === undefined) return undefined;
  return { status, labels: l, annotations: an, startsAt, endsAt, generatorURL: url, fingerprint: fp };
}

/** The body as zod would return it when it certainly validates; undefined otherwise. */
function validPayload(body: unknown): AlertmanagerPayload | undefined {
  if (!isObject(body)) return undefined;
  const { version, groupKey, status, alerts } = body;
  if (version !== '4' || typeof groupKey !== 'string' || groupKey.length < 1 || !isStorableText(groupKey) || !isStatus(status)) return undefined;
  const receiver = validOptionalString(body.receiver, '', ALERT_FIELD_LIMITS.receiver);
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

/** Severities Watchkeeper orders by, most severe first; unknown values map to `warning` (the intake ranks them in this order: domain/incidents.ts). */
export const SEVERITIES = ['critical', 'error', 'warning', 'info', 'none'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower-cases the `severity` label and maps unknown values (`slack`, `page`) to `warning`. */
export function normalizeSeverity(value: string | undefined): Severity {
  const v = (value ?? '').toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : 'warning';
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
