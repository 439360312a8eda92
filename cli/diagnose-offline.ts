/**
 * `watchkeeper diagnose --from-files`: argument parsing, output (text or `--json`) and exit codes
 * of the offline diagnosis. The diagnosis itself — the incident pipeline's evidence gathering,
 * analyzers, model and planning over a saved alert and a dump of cluster objects — is
 * {@link diagnoseFromFiles} (agent/diagnose-offline.ts): what this prints is what the incident card
 * would say.
 *
 * ```
 * watchkeeper diagnose --from-files <alert.json> <objects.yaml|json> [more files…]
 *                      [--rules-only] [--json] [--target <ns>/<kind>/<name>] [--now <time>]
 * ```
 * Exit codes: 0 diagnosed (whatever the category, `unknown` included), 2 usage error or bad
 * input files (the message names the file and line), 1 unexpected failure.
 */
import { parseArgs } from 'node:util';
import { type DiagnoseDeps, type DiagnoseJson, type OfflineRequest, OfflineUsageError, RFC3339, diagnoseFromFiles } from '../agent/diagnose-offline.ts';
import { DumpFileError } from '../agent/object-dump.ts';
import type { TargetRef } from '../domain/diagnosis.ts';
import { parseTargetRef } from '../domain/targets.ts';
import type { CliIo } from './io.ts';

export type { DiagnoseJson } from '../agent/diagnose-offline.ts';

/** Exit codes of {@link diagnoseCommand}. */
export const DIAGNOSE_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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

/** The parsed command line: what to diagnose, and how to print it. */
interface Args extends OfflineRequest {
  json: boolean;
}

/**
 * Runs `watchkeeper diagnose …` offline.
 *
 * @param argv arguments after the program name, with or without the leading `diagnose`.
 * @param io where output goes.
 * @param deps the model router and settings from the configuration (all optional).
 * @returns the exit code (see {@link DIAGNOSE_EXIT}).
 * @example
 * const code = await diagnoseCommand(['--from-files', 'alert.json', 'dump.yaml', '--json'], { stdout, stderr });
 */
export async function diagnoseCommand(argv: string[], io: CliIo, deps: DiagnoseDeps = {}): Promise<number> {
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

/** Human-readable rendering of an offline diagnosis (the command's output without `--json`). */
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
