/**
 * `watchkeeper diagnose --from-files`: the incident pipeline's diagnosis, run offline on a saved
 * alert and a dump of cluster objects (and logs). The evidence is gathered by the production
 * gatherer (`agent/evidence.ts`) from a {@link MemoryCluster} over the dump, diagnosed by
 * `agent/diagnose.ts` and planned by `agent/plan.ts`: what this prints is what the incident card
 * would say.
 *
 * ```
 * watchkeeper diagnose --from-files <alert.json> <objects.yaml|json> [more files…]
 *                      [--rules-only] [--json] [--target <ns>/<kind>/<name>] [--now <time>]
 * ```
 * Exit codes: 0 diagnosed (whatever the category, `unknown` included), 2 usage error or bad
 * input files (the message names the file and line), 1 unexpected failure.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAlertmanagerPayload, targetFromLabels } from '../domain/alerts.ts';
import { type Evidence, type TargetRef, TARGET_KINDS, formatTarget } from '../domain/diagnosis.ts';
import type { KObject } from '../domain/k8s-objects.ts';
import { parseTargetRef } from '../domain/targets.ts';
import { type DiagnosisRecord, type ModelDiagnoser, diagnose } from './diagnose.ts';
import { gatherEvidence } from './evidence.ts';
import { MemoryCluster } from './memory-cluster.ts';
import { DumpFileError, type ObjectDump, loadObjectDump } from './object-dump.ts';
import { type PlanPolicy, type RemediationPlan, planRemediation, DEFAULT_PLAN_POLICY } from './plan.ts';
import type { ClusterPort } from './ports.ts';

/** Where the command writes; every call carries whole lines ending in `\n`. */
export interface DiagnoseIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

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

/** Exit codes of {@link diagnoseCommand}. */
export const DIAGNOSE_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The configuration's default policy, used when the caller passes none. */
export const DEFAULT_OFFLINE_POLICY: PlanPolicy = DEFAULT_PLAN_POLICY;

/** The `--help` text, also printed (to stderr) after a usage error. */
export const DIAGNOSE_USAGE = `Usage: watchkeeper diagnose --from-files <alert.json> <objects.yaml|json> [more files…] [options]

Diagnoses an alert offline from files, with the same evidence gathering, rule analyzers and
planning as the incident pipeline.

  <alert.json>     an Alertmanager webhook body (version 4), a single alert object, or a JSON
                   array of alerts; the first firing alert that names an object is diagnosed
  <objects…>       \`kubectl get … -o yaml|json\` output (List documents, multi-document YAML),
                   events included; container logs as \`kind: PodLog\` items
                   ({metadata: {name: <pod>, namespace}, container, previous, text}) or side
                   files named <pod>.<container>[.previous].log

Options:
  --rules-only            never ask a model (default: the configured local model, if any)
  --json                  print one JSON object: category, action, target, confidence, cause,
                          evidence, source, findings, params, gaps, plan, …
  --target <ns/kind/name> diagnose this object instead of the one the alert's labels name
                          (e.g. shop/deploy/web, node/worker-1)
  --now <time>            when the dump was taken (RFC 3339); default: a "# collectedAt:" comment
                          in the files, else the newest timestamp in the dump or the alert
  -h, --help              show this help

Exit codes: 0 diagnosed, 2 usage error or bad input file, 1 unexpected failure.
`;

/** The single object printed by `--json`. */
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

/** A usage or input problem: the command prints it (with the usage text when asked) and exits 2. */
export class OfflineUsageError extends Error {
  override readonly name = 'OfflineUsageError';
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

interface Args {
  alertFile: string;
  objectFiles: string[];
  rulesOnly: boolean;
  json: boolean;
  target?: TargetRef;
  now?: Date;
}

/**
 * Runs `watchkeeper diagnose …`.
 *
 * @param argv arguments after the program name, with or without the leading `diagnose`.
 * @param io where output goes.
 * @param deps the model router and settings from the configuration (all optional).
 * @returns the exit code (see {@link DIAGNOSE_EXIT}).
 * @example
 * const code = await diagnoseCommand(['--from-files', 'alert.json', 'dump.yaml', '--json'], { stdout, stderr });
 */
export async function diagnoseCommand(argv: string[], io: DiagnoseIo, deps: DiagnoseDeps = {}): Promise<number> {
  const args = argv[0] === 'diagnose' ? argv.slice(1) : argv;
  try {
    const parsed = parseCommandLine(args);
    if (parsed === 'help') {
      io.stdout(DIAGNOSE_USAGE);
      return DIAGNOSE_EXIT.ok;
    }
    const result = await diagnoseFromFiles(parsed, deps);
    io.stdout(parsed.json ? `${JSON.stringify(result)}\n` : renderText(result));
    return DIAGNOSE_EXIT.ok;
  } catch (err) {
    if (err instanceof OfflineUsageError) {
      io.stderr(`watchkeeper diagnose: ${err.message}\n${err.showUsage ? `\n${DIAGNOSE_USAGE}` : ''}`);
      return DIAGNOSE_EXIT.usage;
    }
    if (err instanceof DumpFileError) {
      io.stderr(`watchkeeper diagnose: ${err.message}\n`);
      return DIAGNOSE_EXIT.usage;
    }
    io.stderr(`watchkeeper diagnose failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return DIAGNOSE_EXIT.failed;
  }
}

function parseCommandLine(args: string[]): Args | 'help' {
  let values: { 'from-files'?: boolean; 'rules-only'?: boolean; json?: boolean; target?: string; now?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'from-files': { type: 'boolean' },
        'rules-only': { type: 'boolean' },
        json: { type: 'boolean' },
        target: { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new OfflineUsageError(err instanceof Error ? err.message : String(err), true);
  }
  if (values.help) return 'help';
  if (!values['from-files']) {
    throw new OfflineUsageError(
      positionals.length > 0
        ? `diagnosing ${positionals[0]} needs a live cluster; offline diagnosis needs --from-files <alert.json> <objects…>`
        : 'missing --from-files <alert.json> <objects…>',
      true,
    );
  }
  const [alertFile, ...objectFiles] = positionals;
  if (!alertFile || objectFiles.length === 0) {
    throw new OfflineUsageError('--from-files needs an alert file and at least one file of cluster objects', true);
  }
  let target: TargetRef | undefined;
  if (values.target !== undefined) {
    const t = parseTargetRef(values.target);
    if (t.kind === 'invalid') throw new OfflineUsageError(`--target: ${t.message}`);
    target = t.target;
  }
  let now: Date | undefined;
  if (values.now !== undefined) {
    if (!RFC3339.test(values.now)) throw new OfflineUsageError(`--now: "${values.now}" is not an RFC 3339 time such as 2026-03-02T10:30:00Z`);
    now = new Date(values.now);
  }
  return { alertFile, objectFiles, rulesOnly: values['rules-only'] ?? false, json: values.json ?? false, target, now };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

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

/** The offline diagnosis behind the command. */
async function diagnoseFromFiles(args: Args, deps: DiagnoseDeps): Promise<DiagnoseJson> {
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

/** Human-readable rendering of a diagnosis. */
export function renderText(d: DiagnoseJson): string {
  const out: string[] = [];
  const pad = (label: string) => `  ${label.padEnd(11)} `;
  out.push(`Watchkeeper diagnosis (${d.producedBy})`);
  out.push(`${pad('alert')}${d.alert.alertname} (${d.alert.status})${d.alert.target ? ` → ${d.alert.target}` : ''}`);
  out.push(`${pad('target')}${d.target}`);
  out.push(`${pad('category')}${d.category}    confidence ${d.confidence.toFixed(2)}`);
  out.push(`${pad('cause')}${d.cause}`);
  const params = Object.entries(d.params).map(([k, v]) => `${k}=${v}`).join(' ');
  out.push(`${pad('action')}${d.action}${params ? `    ${params}` : ''}`);
  if (d.evidence.length) {
    out.push('  evidence');
    for (const line of d.evidence) out.push(`    - ${line}`);
  }
  const others = d.findings.slice(1);
  if (others.length) {
    out.push('  other findings');
    for (const f of others) out.push(`    - ${f.category} (${f.analyzer}): ${f.cause} → ${f.actions.join(', ')}`);
  }
  if (d.plan) {
    const approvals = d.plan.approvalsRequired === null ? 'blocked' : d.plan.approvalsRequired === 0 ? 'no approval needed' : `${d.plan.approvalsRequired} approval(s) needed`;
    out.push(`${pad('plan')}${d.plan.description} — tier ${d.plan.tier}, blast radius ${d.plan.score}, ${approvals}`);
    for (const note of d.plan.notes) out.push(`    - ${note}`);
    if (d.plan.dryRun) out.push(`    - dry-run: ${d.plan.dryRun.ok ? d.plan.dryRun.message : /offline/.test(d.plan.dryRun.message) ? 'not possible offline' : d.plan.dryRun.message}`);
  }
  if (d.gaps.length) {
    out.push('  gaps');
    for (const g of d.gaps) out.push(`    - ${g}`);
  }
  if (d.fallbackReasons.length) {
    out.push('  model fallbacks');
    for (const r of d.fallbackReasons) out.push(`    - ${r}`);
  }
  for (const n of d.notes) out.push(`  note: ${n}`);
  out.push(`  collected at ${d.collectedAt} (${d.collectedAtSource})`);
  return `${out.join('\n')}\n`;
}
