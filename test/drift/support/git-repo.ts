/**
 * Real Git repositories in temp folders for drift tests: a bare "remote" (what Watchkeeper clones
 * and pushes to) seeded from a working copy with the given files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A bare remote with one commit on `main`, and helpers to read it. */
export interface TestRemote {
  /** Temp root holding everything (removed by `cleanup`). */
  root: string;
  /** Path of the bare repository (usable as a source URL). */
  bare: string;
  /** A cache folder for Watchkeeper's clones. */
  cacheDir: string;
  /** `git <args>` in the bare repository; returns stdout. */
  git(...args: string[]): string;
  /** The file at `ref` (branch or sha). */
  show(ref: string, path: string): string;
  /** Commits a change to `files` on `main` (through a scratch clone). */
  commit(files: Record<string, string>, message: string): void;
  cleanup(): void;
}

const IDENTITY = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main'];

function git(cwd: string, args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Creates a bare remote whose `main` holds `files`. */
export function createRemote(files: Record<string, string>): TestRemote {
  const root = mkdtempSync(join(tmpdir(), 'wk-drift-git-'));
  const bare = join(root, 'remote.git');
  const seed = join(root, 'seed');
  git(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  git(root, ['init', '--quiet', '--initial-branch=main', seed]);
  writeFiles(seed, files);
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'initial manifests']);
  git(seed, ['remote', 'add', 'origin', bare]);
  git(seed, ['push', '--quiet', 'origin', 'main']);
  return {
    root,
    bare,
    cacheDir: join(root, 'cache'),
    git: (...args) => git(bare, args),
    show: (ref, path) => git(bare, ['show', `${ref}:${path}`]),
    commit(changed, message) {
      git(seed, ['pull', '--quiet', 'origin', 'main']);
      writeFiles(seed, changed);
      git(seed, ['add', '-A']);
      git(seed, ['commit', '--quiet', '-m', message]);
      git(seed, ['push', '--quiet', 'origin', 'main']);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
