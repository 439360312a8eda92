#!/usr/bin/env node
// Entry point of the `watchkeeper` command. Runs the compiled JavaScript in dist/ (`npm run build`)
// when it is there and not older than the sources (always so in the image, which has no sources).
// In a checkout whose sources changed since the last build, it runs the TypeScript sources through
// tsx (a devDependency) instead, so what runs is what is on disk.
import { distState } from './build-state.js';

const state = distState();
let runCli;
if (state.fresh) ({ runCli } = await import('../dist/cli/index.js'));
else {
  const tsx = await import('tsx/esm/api').catch(() => undefined);
  if (tsx) {
    tsx.register();
    ({ runCli } = await import('../cli/index.ts'));
  } else if (state.built) ({ runCli } = await import('../dist/cli/index.js'));
  else {
    process.stderr.write('watchkeeper: dist/ is not built and tsx is not installed; run `npm run build` (or `npm ci` for the dev dependencies).\n');
    process.exit(1);
  }
}
// Exit explicitly: libraries' exit hooks must not override the command's exit code.
process.exit(await runCli(process.argv.slice(2)));
