/**
 * Where the `watchkeeper` commands write. Every call carries whole lines ending in `\n`; the
 * commands never call `process.stdout` directly, so tests can capture them.
 */

/** The output streams of a command. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The process's own stdout and stderr. */
export const processIo: CliIo = {
  stdout: (s: string) => void process.stdout.write(s),
  stderr: (s: string) => void process.stderr.write(s),
};

/** Exit codes shared by the commands: 0 ok, 1 failure, 2 usage or configuration error. */
export const CLI_EXIT = { ok: 0, failed: 1, usage: 2 } as const;
