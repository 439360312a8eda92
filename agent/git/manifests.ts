/**
 * Reads a desired-state folder: every `*.yaml`, `*.yml` and `*.json` file below it, multi-document,
 * with `kind: List` expanded; kustomize folders rendered with `kubectl kustomize`; Helm templates
 * skipped. A malformed file is reported with its line and the scan goes on, so one bad manifest
 * cannot hide drift in all the others.
 *
 * Each object keeps its file, document index and parsed `yaml` Document (comments and layout
 * intact) so that "adopt" can write live values back into the very document it came from.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { Document } from 'yaml';
import type { KObject } from '../../domain/k8s-objects.ts';
import { expandList, isRecord, parseKubeYaml } from './kube-yaml.ts';

/** One desired object and where it came from. */
export interface ManifestObject {
  readonly object: KObject;
  /** The file (or, for kustomize output, the kustomize folder), as `join(root, relative path)`. */
  readonly file: string;
  /** Index of the YAML document in the file (or in the kustomize output). */
  readonly docIndex: number;
  /** Index of the object in a `kind: List` document's `items`; absent otherwise. */
  readonly itemIndex?: number;
  /** 1-based line where the document starts in `file`, for messages; absent for rendered objects. */
  readonly line?: number;
  /** The parsed document, for write-back; `null` for rendered (kustomize) objects, which have no source document. */
  readonly document: Document.Parsed | null;
  readonly origin: 'file' | 'kustomize';
}

/** A manifest that could not be read, with the position of the problem when known (1-based). */
export interface ManifestError {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** Result of {@link readManifests}. */
export interface ManifestSet {
  /** Objects in path order, then document order. */
  readonly objects: ManifestObject[];
  /** Things skipped on purpose (kustomize without kubectl, Helm templates, non-Kubernetes YAML). */
  readonly warnings: string[];
  /** Files or documents that could not be parsed or rendered. */
  readonly errors: ManifestError[];
}

/** Options of {@link readManifests}. */
export interface ReadManifestsOptions {
  /**
   * The kubectl binary used to render kustomize folders, looked up on PATH by the OS when it has
   * no slash. `null` disables rendering (kustomize folders are then skipped with a warning).
   * Default `"kubectl"`.
   */
  readonly kubectl?: string | null;
  /** Time limit of one `kubectl kustomize` run, in milliseconds. Default 120 000. */
  readonly kustomizeTimeoutMs?: number;
}

/** Thrown when the desired-state folder itself cannot be read (missing, no permission). */
export class ManifestFolderUnreadable extends Error {
  constructor(
    readonly path: string,
    options: { cause: unknown },
  ) {
    super(`cannot read desired-state folder ${path}: ${(options.cause as Error)?.message ?? String(options.cause)}`, options);
    this.name = 'ManifestFolderUnreadable';
  }
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SKIPPED_FOLDERS = new Set(['node_modules']);

/** What the folder walk found, before anything is parsed or rendered. */
interface ScanPlan {
  files: string[];
  kustomizeDirs: string[];
  warnings: string[];
}

/**
 * Reads all manifests below `root` (or the single file `root`).
 *
 * Folders holding a `kustomization.yaml` are rendered with `kubectl kustomize <dir>` and their
 * files are not read individually (they are kustomize inputs); a kustomize folder referenced by
 * another one (a base of an overlay) is only rendered through that overlay. Without kubectl
 * they are skipped with a warning naming the folder. Folders holding `Chart.yaml`, and
 * `templates/` folders with `{{`, are Helm sources and skipped with a warning. Hidden folders
 * (`.git`, `.github`) and `node_modules` are not scanned.
 *
 * @throws {ManifestFolderUnreadable} when `root` cannot be read at all.
 */
export async function readManifests(root: string, options: ReadManifestsOptions = {}): Promise<ManifestSet> {
  const plan: ScanPlan = { files: [], kustomizeDirs: [], warnings: [] };
  try {
    if ((await stat(root)).isDirectory()) await planFolder(root, plan);
    else plan.files.push(root);
  } catch (cause) {
    throw new ManifestFolderUnreadable(root, { cause });
  }

  const result: ManifestSet = { objects: [], warnings: [...plan.warnings], errors: [] };
  for (const file of plan.files) await readManifestFile(file, result);
  await renderKustomizeRoots(plan.kustomizeDirs, result, options);
  return result;
}

async function planFolder(dir: string, plan: ScanPlan): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set(entries.map((e) => e.name));
  if (KUSTOMIZATION_FILES.some((name) => names.has(name))) {
    plan.kustomizeDirs.push(dir);
    return;
  }
  if (names.has('Chart.yaml')) {
    plan.warnings.push(`${dir}: Helm chart skipped (not rendered); point the desired state at \`helm template\` output instead`);
    return;
  }
  if (basename(dir) === 'templates' && (await holdsTemplateSyntax(dir, entries.map((e) => e.name)))) {
    plan.warnings.push(`${dir}: Helm templates folder skipped ("{{" found); render it with \`helm template\` first`);
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name)) await planFolder(path, plan);
    } else if (MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      plan.files.push(path);
    }
  }
}

async function holdsTemplateSyntax(dir: string, names: string[]): Promise<boolean> {
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8').catch(() => '');
    if (text.includes('{{')) return true;
  }
  return false;
}

/** Parses one file into `result`; problems become errors or warnings, never exceptions. */
async function readManifestFile(file: string, result: ManifestSet): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    result.errors.push({ file, message: `cannot read file: ${(cause as Error).message}` });
    return;
  }
  collectObjects(text, file, 'file', result);
}

/** Adds the objects of a parsed manifest text to `result`, reporting what cannot be used. */
function collectObjects(text: string, file: string, origin: ManifestObject['origin'], result: ManifestSet): void {
  const { documents, problems } = parseKubeYaml(text);
  for (const problem of problems) result.errors.push({ file, ...problem });
  for (const { index: docIndex, document, value, line: docLine } of documents) {
    if (value === null || value === undefined) continue;
    const line = origin === 'file' ? docLine : undefined;
    if (!isRecord(value)) {
      result.errors.push({ file, line, message: `document ${docIndex} is not a mapping (a Kubernetes object)` });
      continue;
    }
    const { items, problems: listProblems } = expandList(value);
    for (const message of listProblems) result.errors.push({ file, line, message });
    for (const { object, itemIndex } of items) {
      const check = checkObject(object, docIndex);
      switch (check.kind) {
        case 'usable':
          result.objects.push({ object, file, docIndex, itemIndex, line, document: origin === 'file' ? document : null, origin });
          break;
        case 'skipped':
          result.warnings.push(`${line === undefined ? file : `${file}:${line}`}: ${check.reason}`);
          break;
        case 'invalid':
          result.errors.push({ file, line, message: check.reason });
          break;
      }
    }
  }
}

type ObjectCheck = { kind: 'usable' } | { kind: 'skipped'; reason: string } | { kind: 'invalid'; reason: string };

/** Whether a parsed document is a Kubernetes object that can be compared. */
function checkObject(object: KObject, docIndex: number): ObjectCheck {
  if (!object.apiVersion || !object.kind) return { kind: 'skipped', reason: `document ${docIndex} skipped: not a Kubernetes object (no apiVersion/kind)` };
  const name: unknown = object.metadata?.name;
  if (name === undefined || name === null || name === '') {
    return { kind: 'skipped', reason: `${object.kind} skipped: no metadata.name (generateName objects cannot be compared)` };
  }
  if (typeof name !== 'string') {
    return { kind: 'invalid', reason: `${object.kind} metadata.name ${JSON.stringify(name)} is not a string (YAML reads y/yes/on/no as booleans: quote it)` };
  }
  return { kind: 'usable' };
}

/** Renders the kustomize folders that no other kustomize folder uses as a base or component. */
async function renderKustomizeRoots(dirs: string[], result: ManifestSet, options: ReadManifestsOptions): Promise<void> {
  const referenced = await referencedKustomizeDirs(dirs, result);
  const kubectl = options.kubectl === undefined ? 'kubectl' : options.kubectl;
  let kubectlMissing = false;
  for (const dir of dirs) {
    if (referenced.has(resolve(dir))) continue;
    if (kubectl === null) {
      result.warnings.push(`${dir}: kustomize folder skipped: kustomize rendering is disabled`);
      continue;
    }
    if (kubectlMissing) {
      result.warnings.push(kustomizeSkipped(dir));
      continue;
    }
    const rendered = await runKustomize(kubectl, dir, options.kustomizeTimeoutMs ?? 120_000);
    switch (rendered.kind) {
      case 'rendered':
        collectObjects(rendered.output, dir, 'kustomize', result);
        break;
      case 'kubectl_missing':
        kubectlMissing = true;
        result.warnings.push(kustomizeSkipped(dir));
        break;
      case 'failed':
        result.errors.push({ file: dir, message: `kubectl kustomize failed: ${rendered.message}` });
        break;
    }
  }
}

function kustomizeSkipped(dir: string): string {
  return `${dir}: kustomize folder skipped: kubectl not found on PATH; install kubectl (it embeds kustomize) or commit the output of \`kubectl kustomize ${dir}\``;
}

/** Folders (resolved) that some kustomization lists under `resources`, `bases` or `components`. */
async function referencedKustomizeDirs(dirs: string[], result: ManifestSet): Promise<Set<string>> {
  const known = new Set(dirs.map((d) => resolve(d)));
  const referenced = new Set<string>();
  for (const dir of dirs) {
    const file = await kustomizationFile(dir);
    if (!file) continue;
    const text = await readFile(file, 'utf8').catch(() => '');
    const { documents, problems } = parseKubeYaml(text);
    for (const problem of problems) result.errors.push({ file, ...problem });
    const spec = documents[0]?.value;
    if (!isRecord(spec)) continue;
    for (const field of ['resources', 'bases', 'components']) {
      const entries = spec[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const target = typeof entry === 'string' ? resolve(dir, entry) : '';
        if (known.has(target)) referenced.add(target);
      }
    }
  }
  return referenced;
}

async function kustomizationFile(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const path = join(dir, name);
    if (await stat(path).then((s) => s.isFile(), () => false)) return path;
  }
  return undefined;
}

type KustomizeRun = { kind: 'rendered'; output: string } | { kind: 'kubectl_missing' } | { kind: 'failed'; message: string };

function runKustomize(kubectl: string, dir: string, timeoutMs: number): Promise<KustomizeRun> {
  return new Promise((done) => {
    execFile(kubectl, ['kustomize', resolve(dir)], { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return done({ kind: 'rendered', output: stdout });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return done({ kind: 'kubectl_missing' });
      const detail = stderr.trim() || error.message;
      done({ kind: 'failed', message: error.killed ? `timed out after ${timeoutMs} ms` : detail });
    });
  });
}
