// The CI gate's canary: a test that must fail. `.ci/run` runs it with the project's real vitest
// configuration (global setup included) and refuses to go on if the run exits 0 — proof, on every
// CI run, that a red test makes the test command red. Kept outside the `test/` glob on purpose.
import { expect, it } from 'vitest';

it('canary: this test fails on purpose', () => {
  expect(1).toBe(2);
});
