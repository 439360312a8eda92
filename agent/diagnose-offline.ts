/**
 * The offline diagnosis behind `watchkeeper diagnose --from-files` (cli/diagnose-offline.ts): the
 * incident pipeline's diagnosis, run on a saved alert and a dump of cluster objects (and logs).
 * The evidence is gathered by the production gatherer (`agent/evidence.ts`) from a
 * {@link MemoryCluster} over the dump, diagnosed by `agent/diagnose.ts` and planned by
 * `agent/plan.ts`: the result is what the incident card would say. Also used by the eval and the
 * diagnosis benchmark.
 */
import { readFile } from 'node:fs/promises';
import { parseAlertmanagerPayload, targetFromLabels } from '../domain/alerts.ts';
import { type Evidence, type TargetRef, TARGET_KINDS, formatTarget } from '../domain/diagnosis.ts';
import type { KObject } from '../domain/k8s-objects.ts';
import { type DiagnosisRecord, type ModelDiagnoser, diagnose } from './diagnose.ts';
import { gatherEvidence } from './evidence.ts';
import { MemoryCluster } from './memory-cluster.ts';
import { DumpFileError, type ObjectDump, loadObjectDump } from './object-dump.ts';
import { type PlanPolicy, type RemediationPlan, planRemediation, DEFAULT_PLAN_POLICY } from './plan.ts';
import type { ClusterPort } from './ports.ts';

/** What the composition root passes in; everything is optional. */
export interface DiagnoseDeps {
  /** The configured model router; used unless `--rules-only`. Absent → rules only. */
  model?: ModelDiagnoser;
  /** Planning policy (config `policy`); default {@link DEFAULT_OFFLINE_POLICY}. */
  policy?: PlanPolicy;
  /** Log lines read per container (config `kubernetes.logTailLines`); default 200. */
  logTailLines?: number;
  /** Clock, used only when neither `--now` nor the files say when the dump was taken. */
  now?: () => Date;
}

/** The configuration's default policy, used when the caller passes none. */
export const DEFAULT_OFFLINE_POLICY: PlanPolicy = DEFAULT_PLAN_POLICY;

/** The offline diagnosis, as `diagnose --from-files --json` prints it. */
export interface DiagnoseJson {
  category: DiagnosisRecord['category'];
  action: DiagnosisRecord['action'];
  /** Effective target, `namespace/Kind/name` (a pod is widened to its Deployment). */
  target: string;
  confidence: number;
  cause: string;
  evidence: string[];
  params: DiagnosisRecord['params'];
  /** `rules` (analyzers only), `model` (a local model chose), `none` (nothing matched). */
  source: DiagnosisRecord['source'];
  /** `rules only` or `<provider>/<model>`. */
  producedBy: string;
  findings: DiagnosisRecord['findings'];
  gaps: string[];
  fallbackReasons: string[];
  alert: { alertname: string; status: string; labels: Record<string, string>; target?: string };
  /** When the evidence is considered collected, and where that time came from. */
  collectedAt: string;
  collectedAtSource: string;
  /** The remediation plan; its action may differ from `action` (e.g. not executable yet), see `notes`. */
  plan: {
    action: RemediationPlan['action'];
    description: string;
    tier: RemediationPlan['tier'];
    score: number;
    reasons: string[];
    /** Approvers needed; null when the plan is blocked (never executable). */
    approvalsRequired: number | null;
    rollbackPlan: string;
    dryRun: RemediationPlan['dryRun'];
    notes: string[];
  } | null;
  notes: string[];
}

/** A usage or input problem: the command prints it (with its usage text when `showUsage`) and exits 2. */
export class OfflineUsageError extends Error {
  override readonly name = 'OfflineUsageError';
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/** An RFC 3339 date-time (`T`, `t` or a space between date and time; `Z` or an offset). */
export const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** An alert as read from the alert file. */
export interface AlertInput {
  alertname: string;
  status: string;
  labels: Record<string, string>;
  startsAt?: string;
}

/**
 * Reads the alerts of an alert file: an Alertmanager v4 webhook body, a single alert object
 * (`{labels, annotations, startsAt, …}`) or a JSON array of alerts (Alertmanager API v2).
 *
 * @throws DumpFileError naming the file (and the line of a JSON syntax error).
 */
export function parseAlertFile(text: string, file: string): AlertInput[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(message)?.[1];
    const line = position !== undefined ? text.slice(0, Number(position)).split('\n').length : undefined;
    throw new DumpFileError(file, `not valid JSON: ${message.replace(/\s*\(line \d+ column \d+\)/, '')}`, line);
  }
  if (Array.isArray(body)) {
    if (body.length === 0) throw new DumpFileError(file, 'the list of alerts is empty');
    return body.map((a, i) => singleAlert(a, file, `alert ${i}`));
  }
  if (body && typeof body === 'object' && ('alerts' in body || 'version' in body || 'groupKey' in body)) {
    const parsed = parseAlertmanagerPayload(body);
    if (parsed.kind === 'invalid') throw new DumpFileError(file, parsed.message);
    return parsed.group.alerts.map((a) => ({ alertname: a.alertname, status: a.status, labels: a.labels, startsAt: a.startsAt }));
  }
  return [singleAlert(body, file, 'the alert')];
}

function singleAlert(value: unknown, file: string, what: string): AlertInput {
  const usage = 'expected an Alertmanager webhook body (version 4) or an alert object with "labels"';
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new DumpFileError(file, `${what}: ${usage}`);
  const a = value as Record<string, unknown>;
  const labels = a.labels;
  if (!labels || typeof labels !== 'object' || Array.isArray(labels)) throw new DumpFileError(file, `${what}: ${usage}`);
  const bad = Object.entries(labels).find(([, v]) => typeof v !== 'string');
  if (bad) throw new DumpFileError(file, `${what}: label "${bad[0]}" must be a string`);
  const l = labels as Record<string, string>;
  const startsAt = typeof a.startsAt === 'string' && RFC3339.test(a.startsAt) ? new Date(a.startsAt).toISOString() : undefined;
  const status = a.status === 'resolved' ? 'resolved' : 'firing';
  return { alertname: l.alertname ?? '(no alertname)', status, labels: l, ...(startsAt ? { startsAt } : {}) };
}

/**
 * The object an alert is about: {@link targetFromLabels}, else (for HPA alerts such as
 * `KubeHpaMaxedOut`, labelled `horizontalpodautoscaler`) the HPA's scale target found in the dump.
 */
export function resolveAlertTarget(labels: Record<string, string>, objects: readonly KObject[]): { target?: TargetRef; note?: string } {
  const direct = targetFromLabels(labels);
  if (direct) return { target: direct };
  const hpaName = labels.horizontalpodautoscaler;
  const namespace = labels.namespace || labels.exported_namespace || '';
  if (hpaName && namespace) {
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata?.name === hpaName && (o.metadata?.namespace ?? namespace) === namespace);
    const ref = (hpa?.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    if (ref?.name && (TARGET_KINDS as readonly string[]).includes(ref.kind ?? '')) {
      const target: TargetRef = { kind: ref.kind as TargetRef['kind'], namespace, name: ref.name };
      return { target, note: `the alert names HorizontalPodAutoscaler ${namespace}/${hpaName}; diagnosing its scale target ${formatTarget(target)}` };
    }
  }
  return {};
}

/** What {@link gatherOfflineEvidence} reads. */
export interface OfflineInput {
  alertFile: string;
  objectFiles: string[];
  /** Overrides the alert's target. */
  target?: TargetRef;
  /** When the dump was taken; default: see {@link collectionTime}. */
  now?: Date;
}

/** Evidence gathered from files, with what the command reports about how. */
export interface OfflineEvidence {
  evidence: Evidence;
  /** The in-memory cluster over the dump (read-only; planning's dry-run fails on it). */
  cluster: MemoryCluster;
  alert: AlertInput;
  /** The target the alert's labels name (before `--target` and the gatherer's widening). */
  alertTarget?: TargetRef;
  now: Date;
  nowSource: string;
  notes: string[];
}

/**
 * Reads an alert file and object dumps and gathers evidence with the production gatherer over a
 * {@link MemoryCluster}: the first half of `diagnose --from-files`, shared with the eval and the
 * diagnosis benchmark.
 *
 * @throws DumpFileError for unreadable or malformed files; OfflineUsageError when the alert names
 *   no object or the dump lacks the target.
 */
export async function gatherOfflineEvidence(input: OfflineInput, deps: DiagnoseDeps = {}): Promise<OfflineEvidence> {
  let alertText: string;
  try {
    alertText = await readFile(input.alertFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DumpFileError(input.alertFile, `cannot read: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, undefined, { cause: err });
  }
  const alerts = parseAlertFile(alertText, input.alertFile);
  const dump = await loadObjectDump(input.objectFiles);
  if (dump.objects.length === 0) {
    throw new OfflineUsageError(`no Kubernetes objects in ${input.objectFiles.join(', ')}${dump.logs.length ? ' (only logs)' : ''}`);
  }
  const notes = [...dump.notes];

  const withTargets = alerts.map((a) => ({ alert: a, ...resolveAlertTarget(a.labels, dump.objects) }));
  const chosen = withTargets.find((a) => a.target && a.alert.status === 'firing') ?? withTargets.find((a) => a.target) ?? withTargets[0]!;
  if (alerts.length > 1) notes.push(`${alerts.length} alerts in ${input.alertFile}; diagnosing ${chosen.alert.alertname}`);
  if (chosen.note) notes.push(chosen.note);
  const target = input.target ?? chosen.target;
  if (!target) {
    const labels = Object.entries(chosen.alert.labels).map(([k, v]) => `${k}=${v}`).join(', ');
    throw new OfflineUsageError(`${input.alertFile}: the alert's labels name no Kubernetes object (${labels}); pass --target <namespace>/<kind>/<name>`);
  }

  const cluster = new MemoryCluster(dump.objects, { logs: dump.logs, defaultNamespace: target.namespace || 'default' });
  if (target.kind === 'Manifest' || !(await cluster.get(target.kind, target.namespace, target.name))) {
    const counts = Object.entries(cluster.counts()).map(([k, n]) => `${n} ${k}`).join(', ');
    throw new OfflineUsageError(
      `the dump has no ${formatTarget(target)}${input.target ? '' : ` (named by the alert's labels)`}; it holds ${counts}. Add that object to the files or pass --target`,
    );
  }
  const { now, source: nowSource } = collectionTime(input, dump, chosen.alert, deps);
  const evidence = await gatherEvidence(cluster, target, { logTailLines: deps.logTailLines ?? 200, now, alertname: chosen.alert.alertname });
  return { evidence, cluster, alert: chosen.alert, ...(chosen.target ? { alertTarget: chosen.target } : {}), now, nowSource, notes };
}

/** What {@link diagnoseFromFiles} diagnoses: the files, and whether a model may be asked. */
export interface OfflineRequest extends OfflineInput {
  /** Never ask a model, even when `deps.model` is set. */
  rulesOnly: boolean;
}

/**
 * Diagnoses from files: {@link gatherOfflineEvidence}, the analyzers and (unless `rulesOnly`) the
 * model, then a remediation plan (a planning failure becomes a note and `plan: null`).
 *
 * @throws DumpFileError for unreadable or malformed files; OfflineUsageError when the alert names
 *   no object or the dump lacks the target.
 */
export async function diagnoseFromFiles(args: OfflineRequest, deps: DiagnoseDeps = {}): Promise<DiagnoseJson> {
  const { evidence, cluster, alert, alertTarget, now, nowSource, notes } = await gatherOfflineEvidence(args, deps);
  const diagnosis = await diagnose(evidence, args.rulesOnly ? undefined : deps.model);
  const plan = await planOffline(diagnosis, evidence, cluster, deps.policy ?? DEFAULT_OFFLINE_POLICY, now, notes);

  return {
    category: diagnosis.category,
    action: diagnosis.action,
    target: formatTarget(evidence.target),
    confidence: diagnosis.confidence,
    cause: diagnosis.cause,
    evidence: diagnosis.evidence,
    params: diagnosis.params,
    source: diagnosis.source,
    producedBy: diagnosis.source === 'model' && diagnosis.model ? diagnosis.model : 'rules only',
    findings: diagnosis.findings,
    gaps: diagnosis.gaps,
    fallbackReasons: diagnosis.fallbackReasons,
    alert: {
      alertname: alert.alertname,
      status: alert.status,
      labels: alert.labels,
      ...(alertTarget ? { target: formatTarget(alertTarget) } : {}),
    },
    collectedAt: now.toISOString(),
    collectedAtSource: nowSource,
    plan: plan && {
      action: plan.action,
      description: plan.description,
      tier: plan.tier,
      score: plan.blastRadius.score,
      reasons: plan.blastRadius.reasons,
      // A blocked plan can never be approved (the planner reports 0 approvals for it): null here.
      approvalsRequired: plan.tier === 'blocked' || !Number.isFinite(plan.approvalsRequired) ? null : plan.approvalsRequired,
      rollbackPlan: plan.rollbackPlan,
      dryRun: plan.dryRun,
      notes: plan.notes,
    },
    notes,
  };
}

async function planOffline(
  diagnosis: DiagnosisRecord,
  evidence: Parameters<typeof planRemediation>[1],
  cluster: ClusterPort,
  policy: PlanPolicy,
  now: Date,
  notes: string[],
): Promise<RemediationPlan | null> {
  try {
    return await planRemediation(diagnosis, evidence, cluster, policy, now);
  } catch (err) {
    notes.push(`planning failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/**
 * When the evidence counts as collected (analyzers ignore events older than an hour before it):
 * `--now`, else a `# collectedAt:` comment, else the newest of the dump's timestamps and the
 * alert's `startsAt` (a dump is taken after both), else the clock.
 */
function collectionTime(args: Pick<OfflineInput, 'now'>, dump: ObjectDump, alert: AlertInput, deps: DiagnoseDeps): { now: Date; source: string } {
  if (args.now) return { now: args.now, source: '--now' };
  if (dump.collectedAt) return { now: new Date(dump.collectedAt), source: '"# collectedAt:" comment' };
  const newest = newestTimestamp(dump.objects);
  const startsAt = alert.startsAt ? Date.parse(alert.startsAt) : undefined;
  if (newest !== undefined && (startsAt === undefined || newest >= startsAt)) return { now: new Date(newest), source: 'newest timestamp in the dump' };
  if (startsAt !== undefined) return { now: new Date(startsAt), source: "the alert's startsAt" };
  return { now: (deps.now ?? (() => new Date()))(), source: 'the clock' };
}

const TIME_KEY = /(Time|Timestamp|At)$/;

/** The newest RFC 3339 value of any `…Time`, `…Timestamp` or `…At` field in the objects (ms), or undefined. */
export function newestTimestamp(objects: readonly unknown[]): number | undefined {
  let newest: number | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1);
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string') {
        if (TIME_KEY.test(key) && RFC3339.test(v)) {
          const t = Date.parse(v);
          if (!Number.isNaN(t) && t > 0 && (newest === undefined || t > newest)) newest = t;
        }
      } else if (key !== 'annotations' && key !== 'managedFields') {
        visit(v, depth + 1);
      }
    }
  };
  for (const o of objects) visit(o, 0);
  return newest;
}
