#!/usr/bin/env node
// Entry point of `npm run eval`: diagnosis accuracy over test/scenarios (see eval/run.ts), run
// through tsx. Arguments after `--`: `--rules-only`, or words that filter scenarios by name.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../eval/run.ts');
process.exitCode = await main(process.argv.slice(2));
