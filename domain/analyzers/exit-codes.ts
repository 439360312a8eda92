/**
 * What a container's exit code means, as data.
 *
 * Kubernetes reports the exit status the container runtime saw (`state.terminated.exitCode`). By the
 * POSIX shell convention a process killed by signal N is reported as 128 + N (137 = 128 + SIGKILL 9,
 * 143 = 128 + SIGTERM 15); 126 and 127 are the shell's "found but not executable" and "not found";
 * an `exit(-1)` wraps to 255. Source: https://kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/
 * and https://tldp.org/LDP/abs/html/exitcodes.html.
 */

/** The meaning of one exit code. */
export interface ExitCodeMeaning {
  /** Short plain-language meaning, e.g. `application error`. */
  meaning: string;
  /**
   * Whether restarting the container can plausibly help. False when the failure is deterministic
   * (the command cannot run at all, or the process exits successfully under `restartPolicy: Always`).
   */
  restartHelps: boolean;
}

/** Signal numbers (Linux) that show up as 128 + N. */
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  11: 'SIGSEGV',
  13: 'SIGPIPE',
  15: 'SIGTERM',
};

/** Exit codes with a specific meaning; everything else falls back to the generic rules below. */
const KNOWN: Record<number, ExitCodeMeaning> = {
  0: { meaning: 'exited successfully, but the pod restarts it: the process does not keep running', restartHelps: false },
  1: { meaning: 'application error', restartHelps: true },
  2: { meaning: 'application error (misuse of a shell builtin or invalid arguments)', restartHelps: true },
  126: { meaning: 'command found but not executable (permission denied or not a binary)', restartHelps: false },
  127: { meaning: 'command not found', restartHelps: false },
  128: { meaning: 'the runtime could not start the process', restartHelps: false },
  134: { meaning: 'aborted (SIGABRT), e.g. a failed assertion or runtime abort', restartHelps: true },
  137: { meaning: 'killed by SIGKILL: out of memory, a failed liveness probe, or an external kill', restartHelps: true },
  139: { meaning: 'segmentation fault (SIGSEGV)', restartHelps: true },
  143: { meaning: 'terminated by SIGTERM (graceful stop requested, e.g. liveness probe failure or eviction)', restartHelps: true },
  255: { meaning: 'fatal application error (exit status -1 or out of range)', restartHelps: true },
};

/**
 * Explain a container exit code.
 *
 * @param code `terminated.exitCode` as reported by the kubelet.
 * @returns meaning and whether a restart can help; codes above 128 not in the table are read as
 *   128 + signal number.
 * @example explainExitCode(137).meaning // 'killed by SIGKILL: out of memory, …'
 */
export function explainExitCode(code: number): ExitCodeMeaning {
  const known = KNOWN[code];
  if (known) return known;
  if (code > 128 && code < 160) {
    const signal = SIGNALS[code - 128] ?? `signal ${code - 128}`;
    return { meaning: `killed by ${signal}`, restartHelps: true };
  }
  return { meaning: 'application error', restartHelps: true };
}

/**
 * One phrase for a cause sentence: `exit code 137 (killed by SIGKILL: …)`.
 *
 * @param code the exit code.
 */
export function describeExitCode(code: number): string {
  return `exit code ${code} (${explainExitCode(code).meaning})`;
}
