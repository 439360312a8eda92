import { runBenches } from '../bench/run.ts';
process.exitCode = await runBenches([], { dir: new URL('.', import.meta.url).pathname });
setTimeout(() => process.exit(), 3000).unref();
