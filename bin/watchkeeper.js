#!/usr/bin/env node
// Entry point of the `watchkeeper` command. Runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/index.ts');
// Exit explicitly: libraries' exit hooks must not override the command's exit code.
process.exit(await runCli(process.argv.slice(2)));
