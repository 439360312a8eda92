/**
 * The diagnosis scenario suite, rules only: every scenario folder runs through the offline command
 * (`watchkeeper diagnose --from-files <alert.json> <objects…> --rules-only --json`), i.e. the
 * production evidence gatherer over an in-memory cluster, the analyzers, diagnosis and planning.
 *
 * Each scenario must produce its expected category and action, except the documented
 * {@link KNOWN_MISSES} (expectations kept honest, not bent to the rules); the suite as a whole must
 * stay at or above 95% category+action accuracy (issue 14).
 */
import { describe, expect, it } from 'vitest';
import { KNOWN_MISSES, type ScenarioResult, accuracy, loadScenarios, runScenario } from '../../eval/scenarios.ts';

const scenarios = loadScenarios();
const results = new Map<string, ScenarioResult>();

describe('diagnosis scenarios (rules only)', () => {
  it('has at least 90 scenarios covering every category but a few', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(90);
    const categories = new Set(scenarios.map((s) => s.expected.category));
    for (const c of ['crash_loop', 'oom_killed', 'image_pull', 'config_error', 'probe_failure', 'unschedulable', 'evicted', 'init_failure', 'rollout_stuck', 'bad_rollout', 'job_failed', 'node_not_ready', 'node_pressure', 'hpa_maxed', 'unknown']) {
      expect(categories, c).toContain(c);
    }
  });

  it('lists only existing scenarios as known misses', () => {
    const names = new Set(scenarios.map((s) => s.name));
    for (const name of Object.keys(KNOWN_MISSES)) expect(names, name).toContain(name);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (name, scenario) => {
    const result = await runScenario(scenario, { rulesOnly: true });
    results.set(name, result);
    expect(result.exitCode, result.error).toBe(0);
    const got = { category: result.diagnosis!.category, action: result.diagnosis!.action };
    if (name in KNOWN_MISSES) {
      // Still a miss: when the rules learn it, move it out of KNOWN_MISSES.
      expect(got, `${name} now passes; remove it from KNOWN_MISSES`).not.toEqual(scenario.expected);
      return;
    }
    expect(got, scenario.why).toEqual(scenario.expected);
    expect(result.diagnosis!.source).toBe(scenario.expected.category === 'unknown' ? 'none' : 'rules');
  });

  it('diagnoses at least 95% of the scenarios to the right category and action', async () => {
    const all = await Promise.all(scenarios.map((s) => results.get(s.name) ?? runScenario(s, { rulesOnly: true })));
    const a = accuracy(all);
    expect(a.both / a.total).toBeGreaterThanOrEqual(0.95);
  });
});
