/**
 * `watchkeeper drift diff`: the drift detection of the hourly scan, run offline on a folder of
 * manifests and a dump of live objects, for CI pipelines and for trying rules out.
 *
 * ```
 * watchkeeper drift diff --desired <folder> --live <objects.yaml|json> [--json]
 *                        [--namespace <ns>] [--owner-label <key=value>|none]
 * ```
 * Exit codes: 0 no drift, 1 drift found, 2 the check could not be done completely (usage error,
 * unreadable or malformed input, no objects found). Items are printed even when some manifests
 * could not be read, but the exit code is then 2: a clean verdict is impossible.
 */
import { parseArgs } from 'node:util';
import type { KObject } from '../domain/k8s-objects.ts';
import {
  DEFAULT_CLUSTER_SCOPED_KINDS,
  DEFAULT_OWNERSHIP_LABEL,
  desiredRef,
  detectDrift,
  driftFingerprint,
  formatRef,
  parseOwnershipLabel,
  refKey,
  type DriftItem,
  type DriftLevel,
  type OwnershipLabel,
} from '../domain/drift/index.ts';
import { loadLiveDump } from '../agent/git/live-dump.ts';
import { ManifestFolderUnreadable, readManifests, type ManifestError, type ManifestObject, type ReadManifestsOptions } from '../agent/git/manifests.ts';
import type { CliIo } from './io.ts';

/** Extra knobs for tests and embedding; the CLI uses the defaults. */
export interface DriftDiffDeps {
  /** Passed to {@link readManifests} (e.g. `{ kubectl: null }` to never render kustomize). */
  readonly manifests?: ReadManifestsOptions;
}

/** Exit codes of {@link driftDiffCommand}. */
export const EXIT = { inSync: 0, drift: 1, cannotCheck: 2 } as const;

/** One item of the `--json` output: a drift item plus the manifest file it came from, when known. */
export interface JsonDriftItem extends DriftItem {
  readonly file?: string;
}

/** The single object printed by `--json`. */
export interface DriftDiffJson {
  readonly items: JsonDriftItem[];
  readonly warnings: string[];
  readonly errors: ManifestError[] | Array<{ message: string }>;
  readonly counts: Record<DriftLevel, number>;
  /** {@link driftFingerprint} of the items. */
  readonly fingerprint: string;
}

/** The `--help` text, also printed (to stderr) after a usage error. */
export const DRIFT_DIFF_USAGE = `Usage: watchkeeper drift diff --desired <folder> --live <objects.yaml|json> [options]

Compares the manifests in <folder> (plain YAML/JSON, multi-document; kustomize folders rendered
with kubectl when available) with a dump of live objects (e.g. \`kubectl get deploy,svc,cm -A -o yaml\`).

Options:
  --desired <path>        folder (or file) of desired-state manifests (required)
  --live <file>           dump of live objects: kubectl List, multi-document YAML, or JSON (required)
  --json                  print one JSON object { items, warnings, errors, counts, fingerprint }
  -n, --namespace <ns>    namespace of manifests that declare none (default "default")
  --owner-label <k=v>     live objects with this label but not in Git are reported
                          (default "${DEFAULT_OWNERSHIP_LABEL.key}=${DEFAULT_OWNERSHIP_LABEL.value}"; "none" disables)
  -h, --help              show this help

Exit codes: 0 no drift, 1 drift found, 2 could not check (usage, unreadable or malformed input).
`;

interface ParsedArgs {
  desired: string;
  live: string;
  json: boolean;
  namespace: string;
  ownership: OwnershipLabel | null;
}

/**
 * Runs `drift diff`.
 * @param argv the arguments after `drift diff`.
 * @returns the exit code (see {@link EXIT}).
 * @example await driftDiffCommand(['--desired', 'deploy', '--live', 'dump.yaml', '--json'], io)
 */
export async function driftDiffCommand(argv: string[], io: CliIo, deps: DriftDiffDeps = {}): Promise<number> {
  const wantsJson = argv.includes('--json');
  const fail = (message: string, hint?: string): number => {
    io.stderr(`error: ${message}\n${hint ? `${hint}\n` : ''}`);
    if (wantsJson) io.stdout(`${JSON.stringify(emptyJson([{ message }]))}\n`);
    return EXIT.cannotCheck;
  };

  const args = parseCommandArgs(argv);
  if ('help' in args) {
    io.stdout(DRIFT_DIFF_USAGE);
    return EXIT.inSync;
  }
  if ('error' in args) return fail(args.error, DRIFT_DIFF_USAGE);

  const live = await loadLiveDump(args.live);
  switch (live.kind) {
    case 'unreadable':
      return fail(`cannot read the live dump ${live.file}: ${live.message}`, 'Check the path given to --live.');
    case 'malformed':
      return fail(
        `the live dump ${live.file}${live.line === undefined ? '' : `:${live.line}`} is not valid: ${live.message}`,
        'Produce it with `kubectl get <kinds> -A -o yaml > dump.yaml` (or -o json).',
      );
    case 'loaded':
      break;
  }

  let manifests;
  try {
    manifests = await readManifests(args.desired, deps.manifests);
  } catch (error) {
    if (error instanceof ManifestFolderUnreadable) return fail(error.message, 'Check the path given to --desired.');
    throw error;
  }
  const warnings = [...manifests.warnings];
  if (manifests.objects.length === 0 && manifests.errors.length === 0) {
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    return fail(`no Kubernetes objects found under ${args.desired}`, 'Point --desired at the folder holding the manifests.');
  }

  const desired = manifests.objects.map((m) => m.object);
  const items = detectDrift(desired, live.objects, { defaultNamespace: args.namespace, ownershipLabel: args.ownership });
  const files = fileIndex(manifests.objects, args.namespace, warnings);
  warnings.push(...missingKindHints(items, live.objects));
  const jsonItems = items.map((item): JsonDriftItem => {
    const file = files.get(refKey(item));
    return file === undefined ? item : { ...item, file };
  });

  if (args.json) io.stdout(`${JSON.stringify(toJson(jsonItems, warnings, manifests.errors))}\n`);
  else printHuman(io, jsonItems, warnings, manifests.errors, desired.length);

  if (manifests.errors.length > 0) return EXIT.cannotCheck;
  return items.length > 0 ? EXIT.drift : EXIT.inSync;
}

function parseCommandArgs(argv: string[]): ParsedArgs | { help: true } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        desired: { type: 'string' },
        live: { type: 'string' },
        json: { type: 'boolean', default: false },
        namespace: { type: 'string', short: 'n', default: 'default' },
        'owner-label': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return { help: true };
  if (!values.desired) return { error: 'missing --desired <folder>' };
  if (!values.live) return { error: 'missing --live <objects.yaml|json>' };
  if (!values.namespace) return { error: '--namespace must not be empty' };
  const ownerText = values['owner-label'];
  const ownership = ownerText === undefined ? DEFAULT_OWNERSHIP_LABEL : ownerText === 'none' ? null : parseOwnershipLabel(ownerText);
  if (ownership === null && ownerText !== 'none') return { error: `--owner-label must be key=value, key, or none (got ${JSON.stringify(ownerText)})` };
  return { desired: values.desired, live: values.live, json: values.json ?? false, namespace: values.namespace, ownership };
}

/** Maps object keys to their manifest file, and warns about objects declared twice. */
function fileIndex(objects: ManifestObject[], defaultNamespace: string, warnings: string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const { object, file, line } of objects) {
    const ref = desiredRef(object, { defaultNamespace, clusterScopedKinds: DEFAULT_CLUSTER_SCOPED_KINDS });
    if (!ref) continue;
    const where = line === undefined ? file : `${file}:${line}`;
    const key = refKey(ref);
    const first = files.get(key);
    if (first === undefined) files.set(key, where);
    else warnings.push(`${formatRef(ref)} is declared twice (${first} and ${where}); the first is compared`);
  }
  return files;
}

/**
 * A dump taken with `kubectl get deploy,svc` holds no ConfigMaps, so every ConfigMap in Git looks
 * missing. Say so instead of leaving the user to guess.
 */
function missingKindHints(items: DriftItem[], live: KObject[]): string[] {
  const liveKinds = new Set(live.map((o) => o.kind));
  const counts = new Map<string, number>();
  for (const item of items) {
    if (item.change === 'missing' && !liveKinds.has(item.kind)) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
  }
  return [...counts].map(
    ([kind, n]) => `the live dump holds no ${kind} objects, so ${n} ${kind} object(s) are reported missing; was ${kind} included in \`kubectl get\`?`,
  );
}

function countLevels(items: readonly DriftItem[]): Record<DriftLevel, number> {
  const counts: Record<DriftLevel, number> = { high: 0, medium: 0, info: 0 };
  for (const item of items) counts[item.level]++;
  return counts;
}

function toJson(items: JsonDriftItem[], warnings: string[], errors: ManifestError[]): DriftDiffJson {
  return { items, warnings, errors, counts: countLevels(items), fingerprint: driftFingerprint(items) };
}

function emptyJson(errors: Array<{ message: string }>): DriftDiffJson {
  return { items: [], warnings: [], errors, counts: countLevels([]), fingerprint: driftFingerprint([]) };
}

/** Human output: a summary line, then items grouped by object with Git and live values. */
function printHuman(io: CliIo, items: JsonDriftItem[], warnings: string[], errors: ManifestError[], desiredCount: number): void {
  for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
  for (const error of errors) io.stderr(`error: ${formatManifestError(error)}\n`);
  if (items.length === 0) {
    io.stdout(`No drift: ${desiredCount} object(s) in Git match the live objects.\n`);
    return;
  }
  const counts = countLevels(items);
  const groups = groupByObject(items);
  io.stdout(`Drift: ${items.length} item(s) in ${groups.length} object(s): ${counts.high} high, ${counts.medium} medium, ${counts.info} info\n`);
  for (const group of groups) io.stdout(`\n${formatGroup(group)}`);
}

function formatManifestError(error: ManifestError): string {
  const position = error.line === undefined ? '' : `:${error.line}${error.column === undefined ? '' : `:${error.column}`}`;
  return `${error.file}${position}: ${error.message}`;
}

function groupByObject(items: JsonDriftItem[]): JsonDriftItem[][] {
  const groups = new Map<string, JsonDriftItem[]>();
  for (const item of items) {
    const key = refKey(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

function formatGroup(items: JsonDriftItem[]): string {
  const head = items[0]!;
  const lines = [`${formatRef(head)}${head.file ? `  (${head.file})` : ''}`];
  for (const item of items) {
    const level = item.level.toUpperCase().padEnd(6);
    switch (item.change) {
      case 'missing':
        lines.push(`  ${level}  missing in the cluster (declared in Git)`);
        break;
      case 'not_in_git':
        lines.push(`  ${level}  not in Git (live object carries the ownership label)`);
        break;
      case 'modified':
        lines.push(`  ${level}  ${item.path}`, `          git:  ${formatValue(item.gitValue)}`, `          live: ${formatValue(item.liveValue)}`);
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}

const MAX_VALUE_CHARS = 200;

/** Strings shown unquoted: non-empty, one line, and not mistakable for a number, boolean or null. */
function isPlainText(value: string): boolean {
  if (value === '' || value.includes('\n') || value.trim() !== value) return false;
  try {
    JSON.parse(value);
    return false;
  } catch {
    return true;
  }
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(absent)';
  const text = typeof value === 'string' && isPlainText(value) ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
