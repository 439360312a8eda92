#!/usr/bin/env node
// Entry point of `npm run bench`: runs bench/*.bench.ts through tsx (see bench/run.ts).
// Arguments after `--` filter the files by name, e.g. `npm run bench -- webhook`. Exit code: 1 when a
// target is missed or a bench fails, 2 when no file matches (set by main, see bench/run.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/run.ts');
await main(process.argv.slice(2));
