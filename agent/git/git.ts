/**
 * Runs the `git` binary for the desired-state sources (clone, fetch, checkout, commit, push).
 * Credentials for https remotes reach git through a credential helper that reads environment
 * variables, so a token never appears in a URL, in `.git/config`, in the process list or in an
 * error message.
 */
import { execFile } from 'node:child_process';

/** https credentials for a remote. */
export interface GitCredentials {
  readonly username: string;
  readonly token: string;
}

/** Options of {@link runGit}. */
export interface GitRunOptions {
  /** Working directory (the repository). */
  readonly cwd?: string;
  readonly credentials?: GitCredentials;
  /** Extra `-c name=value` settings (e.g. the committer identity). */
  readonly config?: Readonly<Record<string, string>>;
  /** Time limit, ms. Default 120 000. */
  readonly timeoutMs?: number;
  /** The git binary. Default `git` (looked up on PATH). */
  readonly git?: string;
}

/** A git command failed: exit code, or could not start. `message` is free of credentials. */
export class GitCommandFailed extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options: { cause?: unknown; exitCode?: number | null } = {},
  ) {
    super(`git ${args.join(' ')} failed${options.exitCode != null ? ` (exit ${options.exitCode})` : ''}: ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no output'}`, {
      cause: options.cause,
    });
    this.name = 'GitCommandFailed';
  }
}

/** Environment variables the credential helper reads. */
const USER_VAR = 'WATCHKEEPER_GIT_USERNAME';
const TOKEN_VAR = 'WATCHKEEPER_GIT_TOKEN';
/** A git credential helper answering `get` from the two variables above (shell function syntax of git config). */
const CREDENTIAL_HELPER = `!f() { test "$1" = get && printf 'username=%s\\npassword=%s\\n' "$${USER_VAR}" "$${TOKEN_VAR}"; }; f`;

/**
 * Runs `git <args>` and returns its standard output.
 * @throws {GitCommandFailed} on a non-zero exit, a timeout, or when git cannot start.
 * @example await runGit(['rev-parse', 'HEAD'], { cwd: repoDir })
 */
export function runGit(args: readonly string[], options: GitRunOptions = {}): Promise<string> {
  const configArgs: string[] = [];
  const env: Record<string, string | undefined> = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LC_ALL: 'C',
    // Never read the user's or the system's git config for identity or hooks surprises.
    GIT_CONFIG_NOSYSTEM: '1',
  };
  if (options.credentials) {
    // The empty helper first resets helpers from other config, so only ours answers.
    configArgs.push('-c', 'credential.helper=', '-c', `credential.helper=${CREDENTIAL_HELPER}`);
    env[USER_VAR] = options.credentials.username;
    env[TOKEN_VAR] = options.credentials.token;
  }
  for (const [name, value] of Object.entries(options.config ?? {})) configArgs.push('-c', `${name}=${value}`);
  const full = [...configArgs, ...args];
  const shown = args.map((a) => redactUrl(a));
  const secrets = options.credentials ? [options.credentials.token] : [];
  return new Promise((resolve, reject) => {
    execFile(
      options.git ?? 'git',
      full,
      { cwd: options.cwd, env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        const detail = code === 'ENOENT' ? 'git is not installed (not found on PATH)' : error.killed ? `timed out after ${options.timeoutMs ?? 120_000} ms` : stderr;
        reject(new GitCommandFailed(shown, scrub(detail, secrets), { exitCode: typeof code === 'number' ? code : (error as { code?: number }).code ?? null }));
      },
    );
  });
}

/** A URL without its user-info part (`https://user:pw@host/x` → `https://***@host/x`). */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1***@');
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = redactUrl(text);
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/**
 * True when `location` names a remote (a URL with a scheme, or scp-like `user@host:path`) rather than
 * a local path.
 */
export function isRemoteUrl(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) || /^[^/\s:]+@[^/\s:]+:/.test(location);
}

/**
 * A browser link to a commit, for https remotes of GitHub-, GitLab- or Gitea-like hosts:
 * `https://host/owner/repo/commit/<sha>` (`/-/commit/` on GitLab). `undefined` for other remotes
 * (ssh, file, local paths), where no web page is known.
 */
export function commitUrl(remote: string, sha: string): string | undefined {
  let url: URL;
  try {
    url = new URL(remote);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (path.split('/').filter(Boolean).length < 2) return undefined;
  const base = `${url.protocol}//${url.host}${path}`;
  return /gitlab/i.test(url.hostname) ? `${base}/-/commit/${sha}` : `${base}/commit/${sha}`;
}
