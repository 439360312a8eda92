/**
 * A desired-state source as files on disk: a remote repository (or a local Git repository) is
 * cloned once into a cache folder and fetched before each read, then checked out (detached) at the
 * tip of the configured branch; a plain local folder is read as it is. All git work on one source
 * runs one operation at a time ({@link GitSource.exclusive}), since scans and adopt commits share
 * the clone.
 */
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { commitUrl, isRemoteUrl, redactUrl, runGit, type GitCredentials } from './git.ts';

/** Where a source comes from. */
export interface GitSourceSpec {
  /** Short name (unique among sources). */
  readonly name: string;
  /** Repository URL or local path. */
  readonly url: string;
  /** Branch; undefined → the remote's default branch. */
  readonly branch?: string;
  readonly credentials?: GitCredentials;
}

/** What a checkout gives: the folder to read, and the commit when it is a Git repository. */
export interface SourceCheckout {
  /** Root of the files (the clone, or the plain folder). */
  readonly dir: string;
  /** `git`: a clone at `sha` of `branch`; `folder`: a plain folder, no history (adopt impossible). */
  readonly kind: 'git' | 'folder';
  readonly sha?: string;
  readonly branch?: string;
}

/** Options of {@link GitSource}. */
export interface GitSourceOptions {
  /** Parent folder of the clones. */
  readonly cacheDir: string;
  /** Time limit of one git command, ms. Default 120 000. */
  readonly timeoutMs?: number;
}

/** One desired-state source; see the module comment. */
export class GitSource {
  private queue: Promise<unknown> = Promise.resolve();
  private cloned = false;

  constructor(
    readonly spec: GitSourceSpec,
    private readonly options: GitSourceOptions,
  ) {}

  /** Folder of the clone (inside the cache folder; the name carries a hash of the URL). */
  get cloneDir(): string {
    const hash = createHash('sha256').update(this.spec.url).digest('hex').slice(0, 10);
    return resolve(this.options.cacheDir, `${this.spec.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`);
  }

  /** The URL for messages (credentials removed). */
  get displayUrl(): string {
    return redactUrl(this.spec.url);
  }

  /**
   * Runs `fn` when no other operation on this source runs (scans and adopt share the clone).
   * A failing `fn` does not block the ones after it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Brings the files up to date: clone (first time) or fetch, then a detached checkout of the tip of
   * the branch, with untracked files removed. A plain folder is returned as is. Call inside
   * {@link exclusive}.
   * @throws GitCommandFailed when git fails (unreachable remote, unknown branch, bad credentials).
   */
  async checkout(): Promise<SourceCheckout> {
    if (!(await this.isGitSource())) return { dir: resolve(this.spec.url), kind: 'folder' };
    const dir = this.cloneDir;
    await this.ensureClone(dir);
    await this.git(['fetch', '--quiet', '--prune', '--force', 'origin', '+refs/heads/*:refs/remotes/origin/*'], dir);
    const branch = this.spec.branch ?? (await this.defaultBranch(dir));
    await this.git(['checkout', '--quiet', '--force', '--detach', `refs/remotes/origin/${branch}`], dir);
    await this.git(['clean', '-fdxq'], dir);
    const sha = (await this.git(['rev-parse', 'HEAD'], dir)).trim();
    return { dir, kind: 'git', sha, branch };
  }

  /** A browser link to `sha` when the remote is an https URL of a known kind of host. */
  commitUrl(sha: string): string | undefined {
    return commitUrl(this.spec.url, sha);
  }

  /** Runs git in the clone with this source's credentials. */
  git(args: readonly string[], cwd = this.cloneDir, config?: Record<string, string>): Promise<string> {
    return runGit(args, { cwd, credentials: this.spec.credentials, timeoutMs: this.options.timeoutMs, config });
  }

  private async isGitSource(): Promise<boolean> {
    if (isRemoteUrl(this.spec.url)) return true;
    const local = resolve(this.spec.url);
    if (!(await stat(local).then((s) => s.isDirectory(), () => false))) return true; // let git report the problem
    return runGit(['rev-parse', '--git-dir'], { cwd: local, timeoutMs: 10_000 }).then(
      () => true,
      () => false,
    );
  }

  private async ensureClone(dir: string): Promise<void> {
    if (this.cloned || (await stat(join(dir, '.git')).then(() => true, () => false))) {
      this.cloned = true;
      return;
    }
    await mkdir(this.options.cacheDir, { recursive: true });
    const url = isRemoteUrl(this.spec.url) ? this.spec.url : resolve(this.spec.url);
    await runGit(['clone', '--quiet', '--no-checkout', url, dir], { credentials: this.spec.credentials, timeoutMs: this.options.timeoutMs });
    this.cloned = true;
  }

  private async defaultBranch(dir: string): Promise<string> {
    const head = await this.git(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], dir).catch(() => '');
    if (head.trim().startsWith('origin/')) return head.trim().slice('origin/'.length);
    // origin/HEAD is unset when the remote was empty at clone time; ask the remote.
    const remote = await this.git(['ls-remote', '--symref', 'origin', 'HEAD'], dir).catch(() => '');
    const m = /^ref: refs\/heads\/(\S+)\s+HEAD/m.exec(remote);
    return m?.[1] ?? 'main';
  }
}
