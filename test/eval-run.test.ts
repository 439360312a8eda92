/**
 * `npm run eval` (eval/run.ts): a filter that matches no scenario is said and exits 2, and every
 * model call of the routed run lands in exactly one bucket (used, discarded by the router, refused
 * by diagnose), shown summing to the total.
 */
import { describe, expect, it } from 'vitest';
import { EVAL_EXIT, emptyCallBuckets, formatCallBuckets, main, runEval } from '../eval/run.ts';

describe('npm run eval', () => {
  it('says when the words match no scenario and exits with the usage code', async () => {
    const lines: string[] = [];
    const code = await main(['no-such-scenario'], { write: (l) => lines.push(l) });
    expect(code).toBe(EVAL_EXIT.usage);
    expect(lines).toEqual([expect.stringMatching(/^No scenario matches "no-such-scenario" \(\d+ scenarios in test\/scenarios\); nothing evaluated$/)]);
  });

  it('puts each routed model call in one bucket: used, discarded by the router, refused by diagnose', async () => {
    // The four holmesgpt scenarios script the stub as: wrong_category (05: `none` against a strong
    // finding, refused by diagnose), out_of_catalog (08) and invalid_json (11) (discarded by the
    // router), echo (09: used).
    const lines: string[] = [];
    const report = await runEval({ words: ['holmesgpt'], write: (l) => lines.push(l) });
    expect(report.scenarios).toBe(4);
    expect(report.calls).toEqual({ total: 4, used: 1, discarded: { invalid: 2, timeout: 0, error: 0 }, refused: 1 });
    expect(lines).toContain('  model calls 4 = 1 used + 2 discarded by the router (invalid 2, timeout 0, error 0) + 1 refused by diagnose');
  });

  it('flags buckets that do not sum to the total', () => {
    const b = { ...emptyCallBuckets(), used: 2 };
    expect(formatCallBuckets(3, b)).toBe('model calls 3 = 2 used + 0 discarded by the router (invalid 0, timeout 0, error 0) + 0 refused by diagnose — DOES NOT ADD UP (buckets sum to 2)');
  });
});
