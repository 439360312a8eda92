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
 * Prints category and category+action accuracy (N/M and %) for both, per expected category for the rules-only run, every miss, and where every
 * model call of the routed run ended up (used, discarded by the router, refused by diagnose: one
 * bucket per call, shown summing to the total; see {@link CallBuckets}).
 * Exit code ({@link EVAL_EXIT}): 0 when the rules-only category+action accuracy meets the 95% target,
 * 1 otherwise or when the call buckets do not add up, 2 on a usage error (unknown option, or words
 * that match no scenario).
 *
 * Usage: `npm run eval [-- --rules-only] [-- <word>…]` (words filter scenarios by name).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiagnoseJson } from '../agent/diagnose-offline.ts';
import { type CallOutcome, type ModelCallRecord, DEFAULT_BUDGET_TOKENS, createModelRouter } from '../agent/llm/index.ts';
import { ACTION_KINDS, type ActionKind } from '../domain/diagnosis.ts';
import { startOllamaStub, type StubReply } from '../stubs/ollama.ts';
import { KNOWN_MISSES, type Scenario, type ScenarioResult, type StubMode, accuracy, accuracyByCategory, loadScenarios, ratio, runScenario } from './scenarios.ts';

/** Rules-only category+action accuracy the suite must reach (issue 14: 95%). */
export const TARGET_ACCURACY = 0.95;

/**
 * Exit codes of {@link main}: `ok` target met; `failed` rules-only accuracy under the target, or the
 * model-call buckets do not add up; `usage` unknown option, or the words matched no scenario.
 */
export const EVAL_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

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
  /** Scenarios that passed the name filter. */
  scenarios: number;
  rules: ReturnType<typeof accuracy>;
  routed?: ReturnType<typeof accuracy>;
  /** The routed run's model calls, bucketed. */
  calls?: CallCounts;
}

/**
 * Runs the evaluation and prints it.
 *
 * @returns the accuracies (rules only, and routed unless `rulesOnly`).
 */
export async function runEval(options: EvalOptions = {}): Promise<EvalReport> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const words = (options.words ?? []).map((w) => w.toLowerCase());
  const all = loadScenarios();
  const scenarios = all.filter((s) => words.length === 0 || words.some((w) => s.name.toLowerCase().includes(w)));
  if (scenarios.length === 0) {
    write(`No scenario matches ${words.map((w) => JSON.stringify(w)).join(' or ')} (${all.length} scenarios in test/scenarios); nothing evaluated`);
    return { scenarios: 0, rules: accuracy([]) };
  }
  write(`Watchkeeper diagnosis eval: ${scenarios.length} scenarios (test/scenarios)${words.length ? `, filtered by ${words.join(' ')}` : ''}`);

  const rules: ScenarioResult[] = [];
  for (const s of scenarios) rules.push(await runScenario(s, { rulesOnly: true }));
  const ra = accuracy(rules);
  write('');
  write('Rules only (analyzers, no model)');
  write(`  category           ${ratio(ra.category, ra.total)}`);
  write(`  category + action  ${ratio(ra.both, ra.total)}   target >= ${TARGET_ACCURACY * 100}%`);
  printByCategory(rules, write);
  printMisses(rules, write);
  if (options.rulesOnly) return { scenarios: scenarios.length, rules: ra };

  const stub = await startOllamaStub();
  const calls: ModelCallRecord[] = [];
  try {
    const router = createModelRouter(
      { ollamaHost: stub.url, primary: { model: STUB_MODEL, timeoutMs: 10_000 }, budgetTokens: DEFAULT_BUDGET_TOKENS },
      { audit: (record) => void calls.push(record) },
    );
    const routed: ScenarioResult[] = [];
    const modes = new Map<string, StubMode>();
    const buckets = emptyCallBuckets();
    let withoutCall = 0;
    for (const [i, s] of scenarios.entries()) {
      const base = rules[i]!.diagnosis;
      stub.script(STUB_MODEL, stubReply(s, base));
      modes.set(s.name, s.stub);
      const firstCall = calls.length;
      const result = await runScenario(s, { model: router });
      routed.push(result);
      const mine = calls.slice(firstCall);
      if (mine.length === 0) withoutCall += 1;
      addCallBuckets(buckets, classifyModelCalls(mine, result));
    }
    const oa = accuracy(routed);
    write('');
    write(`Routed (ModelRouter, Ollama backend "${STUB_MODEL}" on the stub at ${stub.url}; sensitive intent: local only)`);
    write(`  category           ${ratio(oa.category, oa.total)}`);
    write(`  category + action  ${ratio(oa.both, oa.total)}`);
    write(`  ${formatCallBuckets(calls.length, buckets)}`);
    if (withoutCall > 0) write(`  scenarios without a model call: ${withoutCall} (the command failed before asking)`);
    write(`  stub modes: ${[...countModes(modes)].map(([m, n]) => `${m} ${n}`).join(', ')}`);
    for (const r of routed.filter((x) => x.scenario.stub !== 'echo')) {
      const d = r.diagnosis;
      const why = d?.fallbackReasons.length ? ` — ${d.fallbackReasons.join('; ')}` : '';
      write(`    ${r.scenario.name} [${r.scenario.stub}]: ${d ? `${d.category}/${d.action} from ${d.producedBy}` : r.error}${why}`);
    }
    printMisses(routed, write);
    return { scenarios: scenarios.length, rules: ra, routed: oa, calls: { total: calls.length, ...buckets } };
  } finally {
    await stub.close();
  }
}

function printByCategory(results: readonly ScenarioResult[], write: (line: string) => void): void {
  write('  per expected category (category / category + action):');
  for (const { expected, accuracy: a } of accuracyByCategory(results)) write(`    ${expected.padEnd(20)} ${ratio(a.category, a.total).padEnd(16)} ${ratio(a.both, a.total)}`);
}

/**
 * Where each model call of the routed run ended up; every call is in exactly one bucket:
 * - `used`: the router accepted the answer and `diagnose` took it (the diagnosis came from the model);
 * - `discarded`: the router threw the answer away (`invalid`: not JSON, outside the schema or the
 *   catalog; `timeout`; `error`), keyed by the call's {@link CallOutcome};
 * - `refused`: the router accepted the answer but `diagnose` did not use it (an action no finding
 *   supports, or `none` against a strong finding — agent/diagnose.ts).
 */
export interface CallBuckets {
  used: number;
  discarded: Record<Exclude<CallOutcome, 'ok'>, number>;
  refused: number;
}

/** Counts of the routed run's model calls: their number and their {@link CallBuckets}. */
export type CallCounts = CallBuckets & { total: number };

/** Empty {@link CallBuckets}. */
export function emptyCallBuckets(): CallBuckets {
  return { used: 0, discarded: { invalid: 0, timeout: 0, error: 0 }, refused: 0 };
}

/** Adds `more` into `into` (mutates and returns `into`). */
export function addCallBuckets(into: CallBuckets, more: CallBuckets): CallBuckets {
  into.used += more.used;
  into.refused += more.refused;
  for (const k of Object.keys(into.discarded) as Array<keyof CallBuckets['discarded']>) into.discarded[k] += more.discarded[k];
  return into;
}

/**
 * Sorts one scenario's model calls into {@link CallBuckets}. A call the router did not accept
 * (`outcome` not `ok`) is discarded; an accepted call (the router stops at the first one) is used
 * when the scenario's diagnosis came from the model, and refused by `diagnose` otherwise.
 *
 * @param calls the audit records of the calls made while diagnosing this one scenario.
 * @param result that scenario's outcome.
 */
export function classifyModelCalls(calls: readonly ModelCallRecord[], result: ScenarioResult): CallBuckets {
  const b = emptyCallBuckets();
  for (const c of calls) {
    if (c.outcome !== 'ok') b.discarded[c.outcome] += 1;
    else if (result.diagnosis?.source === 'model') b.used += 1;
    else b.refused += 1;
  }
  return b;
}

/** Total of the discarded buckets. */
function discardedTotal(b: CallBuckets): number {
  return b.discarded.invalid + b.discarded.timeout + b.discarded.error;
}

/**
 * The line that shows the buckets summing to the total, e.g.
 * `model calls 46 = 42 used + 2 discarded by the router (invalid 2, timeout 0, error 0) + 2 refused by diagnose`,
 * followed by `— DOES NOT ADD UP` when they do not (which {@link main} turns into exit code 1).
 */
export function formatCallBuckets(total: number, b: CallBuckets): string {
  const d = b.discarded;
  const sum = b.used + discardedTotal(b) + b.refused;
  return (
    `model calls ${total} = ${b.used} used + ${discardedTotal(b)} discarded by the router (invalid ${d.invalid}, timeout ${d.timeout}, error ${d.error})` +
    ` + ${b.refused} refused by diagnose${sum === total ? '' : ` — DOES NOT ADD UP (buckets sum to ${sum})`}`
  );
}

/** True when every model call is in exactly one bucket. */
export function callsAddUp(c: CallCounts): boolean {
  return c.used + discardedTotal(c) + c.refused === c.total;
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

/**
 * Entry point (`bin/watchkeeper-eval.js`, or `npx tsx eval/run.ts`).
 * @returns the exit code ({@link EVAL_EXIT}).
 */
export async function main(argv: readonly string[] = process.argv.slice(2), options: Pick<EvalOptions, 'write'> = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: npm run eval [-- --rules-only] [-- <word>…]\nDiagnosis accuracy over test/scenarios: rules only, then routed through the model router with a stub model.\n');
    return 0;
  }
  const unknown = argv.filter((a) => a.startsWith('-') && a !== '--rules-only');
  if (unknown.length > 0) {
    process.stderr.write(`Unknown option ${unknown.join(' ')}; see --help\n`);
    return EVAL_EXIT.usage;
  }
  const report = await runEval({ words: argv.filter((a) => !a.startsWith('-')), rulesOnly: argv.includes('--rules-only'), write: options.write });
  if (report.scenarios === 0) return EVAL_EXIT.usage;
  if (report.calls && !callsAddUp(report.calls)) return EVAL_EXIT.failed;
  return report.rules.both / report.rules.total >= TARGET_ACCURACY ? EVAL_EXIT.ok : EVAL_EXIT.failed;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
