/**
 * The `watchkeeper` command line: argv dispatch to one module per command. `bin/watchkeeper.js`
 * calls {@link runCli} and exits with its code; the composition root (`main.ts`) builds what the
 * commands need.
 *
 * Commands (`npx watchkeeper <command>`):
 *   serve          run the bot, the webhook server and the schedules (npm start)      cli/serve.ts
 *   migrate        apply database migrations and exit (npm run migrate)               cli/migrate.ts
 *   config         print the parsed configuration with secrets masked                 cli/config.ts
 *   diagnose       diagnose a live workload, or offline from files                    cli/diagnose.ts
 *   export finetune  verified incidents as JSONL                                      cli/export-finetune.ts
 *   drift diff     compare manifests with a dump of live objects, offline             cli/drift-diff.ts
 *   help           usage                                                              cli/help.ts
 */
// Each command's module (and what it pulls in: the ORM, the Kubernetes client, grammY) is loaded
// only when that command runs, so `--help` starts in tens of milliseconds.
import { USAGE } from './help.ts';
import { CLI_EXIT, type CliIo, processIo } from './io.ts';

/**
 * Runs a CLI command.
 * @param argv arguments after the program name.
 * @param io where output goes (default: the process's stdout and stderr).
 * @returns the process exit code (0 ok, 1 failure, 2 usage or configuration error; `drift diff`
 *   has its own: 0 in sync, 1 drift, 2 could not check).
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await (await import('./serve.ts')).serve();
      case 'migrate':
        return await (await import('./migrate.ts')).migrate(io);
      case 'diagnose':
        return await (await import('./diagnose.ts')).diagnoseCli(rest, io);
      case 'export':
        const { EXPORT_FINETUNE_USAGE, exportFinetune } = await import('./export-finetune.ts');
        if (rest[0] === 'finetune') return await exportFinetune(rest.slice(1), io);
        io.stderr(EXPORT_FINETUNE_USAGE);
        return CLI_EXIT.usage;
      case 'drift':
        if (rest[0] === 'diff') return await (await import('./drift-diff.ts')).driftDiffCommand(rest.slice(1), io);
        io.stderr('Usage: watchkeeper drift diff --desired <folder> --live <objects.yaml|json> [--json]\n');
        return CLI_EXIT.usage;
      case 'config':
        return (await import('./config.ts')).configCommand(io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return command === undefined ? CLI_EXIT.usage : CLI_EXIT.ok;
      default:
        io.stderr(`Unknown command "${command}"${rest.length ? ` (with ${rest.join(' ')})` : ''}.\n\n${USAGE}\n`);
        return CLI_EXIT.usage;
    }
  } catch (err) {
    const { ConfigError } = await import('../config.ts');
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return CLI_EXIT.usage;
    }
    io.stderr(`watchkeeper ${command} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return CLI_EXIT.failed;
  }
}
