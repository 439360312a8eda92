/**
 * The diagnosis scenario suite (`test/scenarios/`): loading scenarios and running each one through
 * the offline command (`watchkeeper diagnose --from-files … --json`), which uses the production
 * evidence gatherer, analyzers, diagnosis and planner over the scenario's object dump.
 *
 * A scenario is a folder holding:
 * - `alert.json`: the alert (Alertmanager v4 body or a single alert object);
 * - the cluster objects: every other `*.yaml`, `*.yml` or `*.json` file (`kubectl get -o yaml`
 *   lists, multi-document YAML, `kind: PodLog` items, `{pod, container, previous, lines}` lists);
 * - optional container logs as `<pod>.<container>[.previous].log` side files;
 * - `expected.yaml`: `category`, `action` (what an SRE would choose), `why`, and optionally `stub`,
 *   how the stub model answers in `npm run eval` ({@link STUB_MODES}).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type DiagnoseJson, diagnoseCommand } from '../cli/diagnose-offline.ts';
import type { ModelDiagnoser } from '../agent/diagnose.ts';
import { ACTION_KINDS, type ActionKind, CATEGORIES, type Category } from '../domain/diagnosis.ts';

/** The suite's folder. */
export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../test/scenarios');

/**
 * How the stub model answers a scenario in the routed evaluation:
 * - `echo`: the analyzers' best finding as a valid answer (what a well-behaved local model says);
 * - `out_of_catalog`: action `drain_node` (not in the catalog: the router discards it);
 * - `invalid_json`: prose instead of JSON (discarded);
 * - `unsupported_action`: a catalog action no finding supports (kept by the router, refused by diagnose);
 * - `wrong_category`: a valid answer naming the second finding's category and action, or
 *   `unknown`/`none` when there is one finding (accepted: a plausible but wrong model).
 */
export const STUB_MODES = ['echo', 'out_of_catalog', 'invalid_json', 'unsupported_action', 'wrong_category'] as const;
export type StubMode = (typeof STUB_MODES)[number];

/** One scenario of the suite. */
export interface Scenario {
  /** Folder name, e.g. `16-bad-rollout-crashloop-rollout-stuck`. */
  name: string;
  dir: string;
  alertFile: string;
  /** Object dumps and log files, sorted by name. */
  objectFiles: string[];
  expected: { category: Category; action: ActionKind };
  why: string;
  stub: StubMode;
}

/**
 * Scenarios whose expected answer is right but which the rules get wrong today, with the reason.
 * Keeping them here (instead of bending `expected.yaml`) keeps the accuracy figures honest.
 */
export const KNOWN_MISSES: Readonly<Record<string, string>> = {};

/**
 * Loads every scenario folder (sorted by name).
 *
 * @throws Error naming the folder when a scenario is incomplete or its expectation is not a known
 *   category/action.
 */
export function loadScenarios(dir: string = SCENARIO_DIR): Scenario[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => loadScenario(join(dir, name)));
}

/** Loads one scenario folder; see the module comment. */
export function loadScenario(folder: string): Scenario {
  const name = folder.split(/[\\/]/).pop()!;
  const files = readdirSync(folder).sort();
  if (!files.includes('alert.json')) throw new Error(`scenario ${name}: no alert.json`);
  if (!files.includes('expected.yaml')) throw new Error(`scenario ${name}: no expected.yaml`);
  const objectFiles = files
    .filter((f) => f !== 'alert.json' && f !== 'expected.yaml' && /\.(ya?ml|json|log)$/.test(f))
    .map((f) => join(folder, f));
  if (!objectFiles.some((f) => !f.endsWith('.log'))) throw new Error(`scenario ${name}: no object files`);
  const raw = parse(readFileSync(join(folder, 'expected.yaml'), 'utf8')) as Record<string, unknown> | null;
  const category = raw?.category;
  const action = raw?.action;
  const stub = raw?.stub ?? 'echo';
  if (!(CATEGORIES as readonly unknown[]).includes(category)) throw new Error(`scenario ${name}: unknown category ${JSON.stringify(category)}`);
  if (!(ACTION_KINDS as readonly unknown[]).includes(action)) throw new Error(`scenario ${name}: unknown action ${JSON.stringify(action)}`);
  if (!(STUB_MODES as readonly unknown[]).includes(stub)) throw new Error(`scenario ${name}: unknown stub mode ${JSON.stringify(stub)}`);
  return {
    name,
    dir: folder,
    alertFile: join(folder, 'alert.json'),
    objectFiles,
    expected: { category: category as Category, action: action as ActionKind },
    why: typeof raw?.why === 'string' ? raw.why : '',
    stub: stub as StubMode,
  };
}

/** The outcome of one scenario. */
export interface ScenarioResult {
  scenario: Scenario;
  exitCode: number;
  /** The command's JSON answer; undefined when it failed. */
  diagnosis?: DiagnoseJson;
  /** stderr of a failed run. */
  error?: string;
  categoryOk: boolean;
  /** Category and action both right. */
  ok: boolean;
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Model to route through (omit, or `rulesOnly`, for the rules-only path). */
  model?: ModelDiagnoser;
  rulesOnly?: boolean;
}

/**
 * Runs one scenario through `diagnose --from-files … --json`.
 *
 * @returns the command's answer and whether category and action match the expectation.
 */
export async function runScenario(scenario: Scenario, options: RunScenarioOptions = {}): Promise<ScenarioResult> {
  let stdout = '';
  let stderr = '';
  const argv = ['diagnose', '--from-files', scenario.alertFile, ...scenario.objectFiles, '--json', ...(options.rulesOnly ? ['--rules-only'] : [])];
  const exitCode = await diagnoseCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) }, { model: options.model });
  if (exitCode !== 0) return { scenario, exitCode, error: stderr.trim(), categoryOk: false, ok: false };
  const diagnosis = JSON.parse(stdout) as DiagnoseJson;
  const categoryOk = diagnosis.category === scenario.expected.category;
  return { scenario, exitCode, diagnosis, categoryOk, ok: categoryOk && diagnosis.action === scenario.expected.action };
}

/** Accuracy of a run. */
export interface Accuracy {
  total: number;
  category: number;
  both: number;
}

/** Counts right categories and right category+action pairs. */
export function accuracy(results: readonly ScenarioResult[]): Accuracy {
  return {
    total: results.length,
    category: results.filter((r) => r.categoryOk).length,
    both: results.filter((r) => r.ok).length,
  };
}

/** Accuracy per expected category, categories in {@link CATEGORIES} order (only those with scenarios). */
export function accuracyByCategory(results: readonly ScenarioResult[]): Array<{ expected: Category; accuracy: Accuracy }> {
  return CATEGORIES.flatMap((expected) => {
    const mine = results.filter((r) => r.scenario.expected.category === expected);
    return mine.length > 0 ? [{ expected, accuracy: accuracy(mine) }] : [];
  });
}

/** `37/43 (86.0%)`. */
export function ratio(n: number, total: number): string {
  return `${n}/${total} (${total === 0 ? '0.0' : ((100 * n) / total).toFixed(1)}%)`;
}
