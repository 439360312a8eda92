/**
 * `npm run eval`: diagnosis accuracy over the scenario suite (`test/scenarios/`).
 *
 * 1. Rules only: every scenario through `watchkeeper diagnose --from-files … --rules-only --json`.
 * 2. Routed: the same scenarios through the privacy router ({@link createModelRouter}, an Ollama
 *    backend) pointed at the Ollama stub (`stubs/ollama.ts`), scripted per scenario
 *    ({@link StubMode}): mostly echoing the analyzers' best finding as a local model would, and for
 *    a few scenarios answering out of the catalog, with prose instead of JSON, with an action no
 *    finding supports, or with a plausible but wrong category — to show what the router and
 *    `diagnose` discard and what a wrong model costs.
 *
 * Prints category and category+action accuracy (N/M and %) for both, per expected category for
 * the rules-only run, and every miss.
 * Exit code: 0 when the rules-only category+action accuracy meets the 95% target, 1 otherwise
 * (2 on a usage error).
 *
 * Usage: `npm run eval [-- --rules-only] [-- <word>…]` (words filter scenarios by name).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiagnoseJson } from '../agent/diagnose-offline.ts';
import { type ModelCallRecord, DEFAULT_BUDGET_TOKENS, createModelRouter } from '../agent/llm/index.ts';
import { ACTION_KINDS, type ActionKind } from '../domain/diagnosis.ts';
import { startOllamaStub, type StubReply } from '../stubs/ollama.ts';
import { KNOWN_MISSES, type Scenario, type ScenarioResult, type StubMode, accuracy, accuracyByCategory, loadScenarios, ratio, runScenario } from './scenarios.ts';

/** Rules-only category+action accuracy the suite must reach (issue 14: 95%). */
export const TARGET_ACCURACY = 0.95;

/** The stub's model tag. */
const STUB_MODEL = 'eval-stub:7b';

/** Options of {@link runEval}. */
export interface EvalOptions {
  /** Only scenarios whose name contains one of these words. */
  words?: readonly string[];
  /** Skip the routed run. */
  rulesOnly?: boolean;
  write?: (line: string) => void;
}

/** What {@link runEval} measured. */
export interface EvalReport {
  rules: ReturnType<typeof accuracy>;
  routed?: ReturnType<typeof accuracy>;
}

/**
 * Runs the evaluation and prints it.
 *
 * @returns the accuracies (rules only, and routed unless `rulesOnly`).
 */
export async function runEval(options: EvalOptions = {}): Promise<EvalReport> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const words = (options.words ?? []).map((w) => w.toLowerCase());
  const scenarios = loadScenarios().filter((s) => words.length === 0 || words.some((w) => s.name.toLowerCase().includes(w)));
  write(`Watchkeeper diagnosis eval: ${scenarios.length} scenarios (test/scenarios)`);

  const rules: ScenarioResult[] = [];
  for (const s of scenarios) rules.push(await runScenario(s, { rulesOnly: true }));
  const ra = accuracy(rules);
  write('');
  write('Rules only (analyzers, no model)');
  write(`  category           ${ratio(ra.category, ra.total)}`);
  write(`  category + action  ${ratio(ra.both, ra.total)}   target >= ${TARGET_ACCURACY * 100}%`);
  printByCategory(rules, write);
  printMisses(rules, write);
  if (options.rulesOnly) return { rules: ra };

  const stub = await startOllamaStub();
  const calls: ModelCallRecord[] = [];
  try {
    const router = createModelRouter(
      { ollamaHost: stub.url, primary: { model: STUB_MODEL, timeoutMs: 10_000 }, budgetTokens: DEFAULT_BUDGET_TOKENS },
      { audit: (record) => void calls.push(record) },
    );
    const routed: ScenarioResult[] = [];
    const modes = new Map<string, StubMode>();
    for (const [i, s] of scenarios.entries()) {
      const base = rules[i]!.diagnosis;
      stub.script(STUB_MODEL, stubReply(s, base));
      modes.set(s.name, s.stub);
      routed.push(await runScenario(s, { model: router }));
    }
    const oa = accuracy(routed);
    const used = routed.filter((r) => r.diagnosis?.source === 'model').length;
    const discarded = calls.filter((c) => c.outcome !== 'ok').length;
    const refused = routed.filter((r) => r.diagnosis?.fallbackReasons.some((f) => /which no finding supports/.test(f))).length;
    write('');
    write(`Routed (ModelRouter, Ollama backend "${STUB_MODEL}" on the stub at ${stub.url}; sensitive intent: local only)`);
    write(`  category           ${ratio(oa.category, oa.total)}`);
    write(`  category + action  ${ratio(oa.both, oa.total)}`);
    write(`  model calls ${calls.length}: answers used ${used}, discarded by the router ${discarded} (schema/catalog/JSON), refused by diagnose ${refused} (action no finding supports)`);
    write(`  stub modes: ${[...countModes(modes)].map(([m, n]) => `${m} ${n}`).join(', ')}`);
    for (const r of routed.filter((x) => x.scenario.stub !== 'echo')) {
      const d = r.diagnosis;
      const why = d?.fallbackReasons.length ? ` — ${d.fallbackReasons.join('; ')}` : '';
      write(`    ${r.scenario.name} [${r.scenario.stub}]: ${d ? `${d.category}/${d.action} from ${d.producedBy}` : r.error}${why}`);
    }
    printMisses(routed, write);
    return { rules: ra, routed: oa };
  } finally {
    await stub.close();
  }
}

function printByCategory(results: readonly ScenarioResult[], write: (line: string) => void): void {
  write('  per expected category (category / category + action):');
  for (const { expected, accuracy: a } of accuracyByCategory(results)) write(`    ${expected.padEnd(20)} ${ratio(a.category, a.total).padEnd(16)} ${ratio(a.both, a.total)}`);
}

function printMisses(results: readonly ScenarioResult[], write: (line: string) => void): void {
  const misses = results.filter((r) => !r.ok);
  if (misses.length === 0) {
    write('  misses: none');
    return;
  }
  write(`  misses (${misses.length}):`);
  for (const r of misses) {
    const e = r.scenario.expected;
    const got = r.diagnosis ? `${r.diagnosis.category}/${r.diagnosis.action}` : `exit ${r.exitCode}: ${r.error}`;
    const known = KNOWN_MISSES[r.scenario.name];
    write(`    ${r.scenario.name}: expected ${e.category}/${e.action}, got ${got}${known ? ` (known miss: ${known})` : ''}`);
  }
}

function countModes(modes: Map<string, StubMode>): Map<StubMode, number> {
  const out = new Map<StubMode, number>();
  for (const m of modes.values()) out.set(m, (out.get(m) ?? 0) + 1);
  return out;
}

/**
 * The stub's scripted answer for a scenario, from its rules-only diagnosis (the analyzers' best
 * finding) and the scenario's {@link StubMode}.
 */
export function stubReply(scenario: Scenario, rules: DiagnoseJson | undefined): StubReply {
  const best = rules?.findings[0];
  const category = best?.category ?? 'unknown';
  const action: ActionKind = best?.actions[0] ?? 'escalate';
  const cause = rules?.cause ?? 'No rule matched the evidence';
  const answer = (a: { category: string; action: string; confidence?: number; note: string }) => ({
    kind: 'answer' as const,
    content: {
      summary: `${a.category}: ${cause}`.slice(0, 900),
      probableCause: cause.slice(0, 900),
      category: a.category,
      confidence: a.confidence ?? Math.max(0.5, rules?.confidence ?? 0.5),
      action: { kind: a.action, params: modelParams(rules?.params ?? {}) },
      reasoning: a.note,
    },
  });
  switch (scenario.stub) {
    case 'echo':
      return answer({ category, action, note: 'Echoes the best finding of the rule analyzers.' });
    case 'out_of_catalog':
      return answer({ category, action: 'drain_node', note: 'Proposes an action outside the catalog.' });
    case 'invalid_json':
      return { kind: 'answer', content: `The container looks unhealthy; I would ${action} it.` };
    case 'unsupported_action': {
      const supported = new Set((rules?.findings ?? []).flatMap((f) => f.actions));
      const other = ACTION_KINDS.find((k) => k !== 'escalate' && k !== 'none' && !supported.has(k)) ?? 'scale';
      return answer({ category, action: other, note: 'Chooses a catalog action that no finding supports.' });
    }
    case 'wrong_category': {
      const second = rules?.findings[1];
      return second
        ? answer({ category: second.category, action: second.actions[0] ?? 'escalate', confidence: 0.6, note: 'Prefers the second finding.' })
        : answer({ category: 'unknown', action: 'none', confidence: 0.4, note: 'Sees nothing actionable.' });
    }
  }
}

/** Action params a model would echo: the finding's params that pass the router's checks (names ≤ 63, values ≤ 253). */
function modelParams(params: Record<string, string | number>): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(params).filter(([k, v]) => k.length <= 63 && k !== 'revision' && k !== 'replicas' && (typeof v === 'number' || v.length <= 253)),
  );
}

/** Entry point (`bin/watchkeeper-eval.js`, or `npx tsx eval/run.ts`). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: npm run eval [-- --rules-only] [-- <word>…]\nDiagnosis accuracy over test/scenarios: rules only, then routed through the model router with a stub model.\n');
    return 0;
  }
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--rules-only');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown option ${unknown.join(' ')}; see --help\n`);
    return 2;
  }
  const report = await runEval({ words: argv.filter((a) => !a.startsWith('-')), rulesOnly: argv.includes('--rules-only') });
  return report.rules.total > 0 && report.rules.both / report.rules.total >= TARGET_ACCURACY ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
