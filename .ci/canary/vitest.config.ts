// The project's vitest configuration (global setup, pool, reporters) with only the canary test
// included (see canary.test.ts).
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

export default defineConfig({
  ...base,
  root: new URL('../..', import.meta.url).pathname,
  test: { ...base.test, include: ['.ci/canary/*.test.ts'] },
});
