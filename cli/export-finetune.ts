/**
 * `watchkeeper export finetune [--out <file.jsonl>]`: verified incidents as JSONL, one record per
 * finished remediation (evidence, diagnosis, action, outcome), to stdout or a file.
 */
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../config.ts';
import { openFinetuneSource } from '../main.ts';
import { CLI_EXIT, type CliIo } from './io.ts';

/** The usage line, printed to stderr after a usage error. */
export const EXPORT_FINETUNE_USAGE = 'Usage: watchkeeper export finetune [--out <file.jsonl>]\n';

/**
 * Writes the records; with `--out`, says on stderr how many went to the file.
 * @param args arguments after `export finetune`.
 * @returns 0, or 2 when `--out` has no file name.
 * @throws when the database cannot be opened or the file cannot be written.
 */
export async function exportFinetune(args: string[], io: CliIo): Promise<number> {
  const config = loadConfig();
  const outIndex = args.indexOf('--out');
  const out = outIndex >= 0 ? args[outIndex + 1] : undefined;
  if (outIndex >= 0 && !out) {
    io.stderr(EXPORT_FINETUNE_USAGE);
    return CLI_EXIT.usage;
  }
  const source = await openFinetuneSource(config);
  try {
    const lines = (await source.records()).map((r) => JSON.stringify(r)).join('\n');
    const text = lines ? `${lines}\n` : '';
    if (out) {
      await writeFile(out, text);
      io.stderr(`wrote ${text ? text.split('\n').length - 1 : 0} record(s) to ${out}\n`);
    } else io.stdout(text);
    return CLI_EXIT.ok;
  } finally {
    await source.close();
  }
}
