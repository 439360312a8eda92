/**
 * `watchkeeper diagnose`: a live workload now (`diagnose <namespace>/<kind>/<name>`, through
 * KUBECONFIG; nothing is stored or changed), or offline from files (`diagnose --from-files …`,
 * cli/diagnose-offline.ts). Both use the configured local model unless `--rules-only`.
 */
import { loadConfig } from '../config.ts';
import { diagnose, type DiagnosisRecord } from '../agent/diagnose.ts';
import { gatherEvidence } from '../agent/evidence.ts';
import { parseTargetRef } from '../domain/targets.ts';
import { modelFor, openCluster, planPolicyFromConfig } from '../main.ts';
import { diagnoseCommand } from './diagnose-offline.ts';
import { CLI_EXIT, type CliIo } from './io.ts';

/**
 * Runs `watchkeeper diagnose …`.
 * @param args arguments after `diagnose`.
 * @returns 0 diagnosed, 2 usage error (a target that does not parse; see cli/diagnose-offline.ts
 *   for the offline codes).
 * @throws ConfigError when the environment does not parse; Kubernetes client errors when the
 *   cluster cannot be reached (the dispatcher prints them, exit 1).
 */
export async function diagnoseCli(args: string[], io: CliIo): Promise<number> {
  const config = loadConfig();
  const rulesOnly = args.includes('--rules-only');
  if (args.includes('--from-files') || args.includes('--help') || args.length === 0) {
    return diagnoseCommand(args, io, { model: modelFor(config, rulesOnly), policy: planPolicyFromConfig(config), logTailLines: config.kubernetes.logTailLines });
  }
  const ref = args.find((a) => !a.startsWith('--')) ?? '';
  const parsed = parseTargetRef(ref);
  if (parsed.kind === 'invalid') {
    io.stderr(`watchkeeper diagnose: ${parsed.message}\n`);
    return CLI_EXIT.usage;
  }
  const cluster = openCluster(config);
  const evidence = await gatherEvidence(cluster, parsed.target, { logTailLines: config.kubernetes.logTailLines, now: new Date() });
  const d = await diagnose(evidence, modelFor(config, rulesOnly));
  io.stdout(args.includes('--json') ? renderLiveJson(d, ref) : renderLiveText(d, ref));
  return CLI_EXIT.ok;
}

/** `--json` of a live diagnosis: the record, its target as `namespace/Kind/name` (else the argument). */
export function renderLiveJson(d: DiagnosisRecord, ref: string): string {
  return `${JSON.stringify({ ...d, target: d.target ? `${d.target.namespace}/${d.target.kind}/${d.target.name}` : ref })}\n`;
}

/** Text of a live diagnosis: target, source, category, cause, action, evidence and gaps, one per line. */
export function renderLiveText(d: DiagnosisRecord, ref: string): string {
  const lines = [
    `target:     ${ref}`,
    `source:     ${d.source === 'model' ? d.model : d.source === 'rules' ? 'rules only' : 'no finding'}`,
    `category:   ${d.category} (confidence ${Math.round(d.confidence * 100)}%)`,
    `cause:      ${d.cause}`,
    `action:     ${d.action}`,
    ...d.evidence.map((e) => `  • ${e}`),
    ...d.gaps.map((g) => `  ⚠ missing evidence: ${g}`),
  ];
  return `${lines.join('\n')}\n`;
}
