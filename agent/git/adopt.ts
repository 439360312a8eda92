/**
 * "Adopt": writes the live values of drifted fields into the manifests they came from, commits
 * with a message naming the drift report, and pushes to a new branch (default) or to the
 * configured branch. The change is surgical (`yaml-edit.ts`): only the drifted fields change;
 * comments and layout stay. Before committing, every edited document is parsed again and compared
 * with the live object: a field that would still differ aborts that file instead of committing
 * something wrong.
 *
 * What adopt does not do, on purpose: create manifests for objects that exist only in the cluster,
 * delete manifests of objects missing from the cluster, write Secret values into Git, or edit
 * kustomize output (the source is the overlay, which only a person can change correctly). Those
 * items are returned as `skipped` with the reason.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isMap, isSeq, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import type { KObject } from '../../domain/k8s-objects.ts';
import {
  compileRuleSet,
  DEFAULT_CLUSTER_SCOPED_KINDS,
  DEFAULT_HIDDEN_VALUE_RULES,
  DEFAULT_KEYED_LIST_RULES,
  desiredRef,
  detectDrift,
  formatRef,
  parsePath,
  refKey,
  type DriftItem,
  type DriftOptions,
  type FieldPath,
  type KeyedListRule,
  type ObjectRef,
  type ObjectRules,
} from '../../domain/drift/index.ts';
import { expandList, isRecord, parseKubeYaml } from './kube-yaml.ts';
import { readManifests, type ManifestObject, type ReadManifestsOptions } from './manifests.ts';
import type { GitSource } from './source.ts';
import { editYamlText, YamlEditFailed, type DocumentEdit, type YamlEdit } from './yaml-edit.ts';

/** A drifted field to adopt: the object and the path, as in a drift report item. */
export interface AdoptTarget extends ObjectRef {
  readonly path: string;
  readonly change: DriftItem['change'];
}

/** A field written into a manifest. */
export interface AdoptedField extends ObjectRef {
  readonly path: string;
  /** Manifest file, relative to the repository root. */
  readonly file: string;
}

/** An item that was not adopted, and why. */
export interface SkippedItem extends ObjectRef {
  readonly path: string;
  readonly reason: string;
}

/** Where and how to push. */
export interface PushSettings {
  /** `new-branch`: `<branchPrefix><reportId>`, created from the base branch; `configured-branch`: the base branch itself. */
  readonly mode: 'new-branch' | 'configured-branch';
  readonly branchPrefix: string;
}

/** Everything {@link adoptLiveState} needs. */
export interface AdoptRequest {
  readonly reportId: number;
  readonly targets: readonly AdoptTarget[];
  readonly source: GitSource;
  /** Manifest folders inside the repository (`.` = all of it). */
  readonly folders: readonly string[];
  /** The detection options of the scan (default namespace, ignore rules, …). */
  readonly detection: DriftOptions;
  /** Reads the live objects of `objects` (Git's versions), keyed by `refKey`; absent when not found. */
  readonly readLive: (objects: readonly KObject[]) => Promise<Map<string, KObject>>;
  readonly push: PushSettings;
  readonly author: { readonly name: string; readonly email: string };
  /** Who asked (display name), for the commit message. */
  readonly actor: string;
  readonly manifests?: ReadManifestsOptions;
}

/** Outcome of {@link adoptLiveState}. */
export type AdoptResult =
  | {
      readonly kind: 'committed';
      readonly sha: string;
      /** Branch pushed to. */
      readonly branch: string;
      /** Branch the commit is based on. */
      readonly baseBranch: string;
      /** Web link to the commit when the remote is a known https host. */
      readonly url?: string;
      readonly files: string[];
      readonly adopted: AdoptedField[];
      readonly skipped: SkippedItem[];
      readonly message: string;
    }
  | { readonly kind: 'nothing_to_adopt'; readonly skipped: SkippedItem[] }
  | { readonly kind: 'impossible'; readonly reason: string };

/**
 * Adopts the live state of `request.targets` into Git (see the module comment).
 * Runs under the source's lock; on `configured-branch` a push rejected because the branch moved
 * is retried once on the new tip.
 * @throws GitCommandFailed when git itself fails (unreachable remote, rejected push, …).
 */
export async function adoptLiveState(request: AdoptRequest): Promise<AdoptResult> {
  return request.source.exclusive(async () => {
    try {
      return await adoptOnce(request);
    } catch (err) {
      if (request.push.mode === 'configured-branch' && /\b(rejected|non-fast-forward|fetch first)\b/i.test(String((err as Error)?.message))) {
        return adoptOnce(request);
      }
      throw err;
    }
  });
}

async function adoptOnce(request: AdoptRequest): Promise<AdoptResult> {
  const { source } = request;
  const checkout = await source.checkout();
  if (checkout.kind !== 'git' || !checkout.branch) {
    return { kind: 'impossible', reason: `${source.displayUrl} is a plain folder, not a Git repository: there is nothing to commit to` };
  }
  const manifests: ManifestObject[] = [];
  for (const folder of request.folders) {
    const set = await readManifests(join(checkout.dir, folder), { kubectl: null, ...request.manifests });
    manifests.push(...set.objects);
  }
  const plan = await planAdoption(request, manifests);
  const edited = await applyPlan(checkout.dir, plan, request);
  const skipped = [...plan.skipped, ...edited.skipped];
  if (edited.files.length === 0) return { kind: 'nothing_to_adopt', skipped };

  const branch = request.push.mode === 'new-branch' ? `${request.push.branchPrefix}${request.reportId}` : checkout.branch;
  if (request.push.mode === 'new-branch') await source.git(['checkout', '--quiet', '-B', branch]);
  await source.git(['add', '--', ...edited.files]);
  const message = commitMessage(request, edited.adopted, skipped);
  const identity = { 'user.name': request.author.name, 'user.email': request.author.email, 'commit.gpgsign': 'false' };
  await source.git(['commit', '--quiet', '--no-verify', '-m', message], undefined, identity);
  const sha = (await source.git(['rev-parse', 'HEAD'])).trim();
  await source.git(['push', '--quiet', '--porcelain', 'origin', `HEAD:refs/heads/${branch}`]);
  return {
    kind: 'committed',
    sha,
    branch,
    baseBranch: checkout.branch,
    url: source.commitUrl(sha),
    files: edited.files,
    adopted: edited.adopted,
    skipped,
    message,
  };
}

/** One planned edit of a manifest document, with the item it adopts. */
interface PlannedEdit {
  readonly manifest: ManifestObject;
  readonly edit: YamlEdit;
  readonly item: DriftItem;
  readonly live: KObject;
}

interface Plan {
  readonly edits: PlannedEdit[];
  readonly skipped: SkippedItem[];
}

/** Decides what to write: the report's items that still drift now, mapped to document edits. */
async function planAdoption(request: AdoptRequest, manifests: readonly ManifestObject[]): Promise<Plan> {
  const defaultNamespace = request.detection.defaultNamespace ?? 'default';
  const pairing = { defaultNamespace, clusterScopedKinds: [...DEFAULT_CLUSTER_SCOPED_KINDS, ...(request.detection.clusterScopedKinds ?? [])] };
  const byRef = new Map<string, ManifestObject>();
  for (const m of manifests) {
    const ref = desiredRef(m.object, pairing);
    if (ref && !byRef.has(refKey(ref))) byRef.set(refKey(ref), m);
  }
  const skipped: SkippedItem[] = [];
  const skip = (t: ObjectRef & { path: string }, reason: string) =>
    skipped.push({ group: t.group, kind: t.kind, namespace: t.namespace, name: t.name, path: t.path, reason });

  const wanted = new Map<string, AdoptTarget>();
  const refs = new Map<string, ManifestObject>();
  for (const t of request.targets) {
    if (t.change === 'missing') {
      skip(t, 'missing from the cluster: adopt does not delete manifests (roll back to create it, or remove it from Git by hand)');
      continue;
    }
    if (t.change === 'not_in_git') {
      skip(t, 'exists only in the cluster: adopt does not create manifests (add it to Git by hand)');
      continue;
    }
    const m = byRef.get(refKey(t));
    if (!m) {
      skip(t, 'no longer declared in Git');
      continue;
    }
    if (t.kind === 'Secret' && t.group === '') {
      skip(t, 'Secret values are never written into Git');
      continue;
    }
    if (m.origin === 'kustomize' || !m.document) {
      skip(t, 'rendered by kustomize: change the overlay by hand');
      continue;
    }
    wanted.set(`${refKey(t)}|${t.path}`, t);
    refs.set(refKey(t), m);
  }
  if (refs.size === 0) return { edits: [], skipped };

  const desired = [...refs.values()].map((m) => withNamespace(m.object, defaultNamespace, pairing.clusterScopedKinds));
  const live = await request.readLive(desired);
  const current = detectDrift(desired, [...live.values()], { ...request.detection, ownershipLabel: null });
  const currentKeys = new Set(current.map((i) => `${refKey(i)}|${i.path}`));
  for (const [key, t] of wanted) if (!currentKeys.has(key)) skip(t, live.has(refKey(t)) ? 'no longer drifting (Git and the cluster agree now)' : 'not found in the cluster any more');

  const rules = compileRuleSet({
    ignore: [],
    normalisers: [],
    keyedLists: [...(request.detection.keyedLists ?? []), ...DEFAULT_KEYED_LIST_RULES],
    levels: [],
    allow: [],
    hidden: [...DEFAULT_HIDDEN_VALUE_RULES, ...(request.detection.hide ?? [])],
  });
  const edits: PlannedEdit[] = [];
  for (const item of current) {
    if (!wanted.has(`${refKey(item)}|${item.path}`) || item.change !== 'modified') continue;
    const manifest = refs.get(refKey(item))!;
    const liveObject = live.get(refKey(item))!;
    const objectRules = rules.forObject(item.group, item.kind);
    if (objectRules.isHidden(parsePath(item.path))) {
      skip(item, 'hidden value (never written into Git)');
      continue;
    }
    const edit = editFor(manifest, liveObject, item, objectRules);
    if ('reason' in edit) skip(item, edit.reason);
    else edits.push({ manifest, edit, item, live: liveObject });
  }
  return { edits, skipped };
}

/** The object with its namespace as the cluster knows it (manifests may leave it out). */
function withNamespace(object: KObject, defaultNamespace: string, clusterScoped: readonly string[]): KObject {
  if (object.metadata?.namespace || clusterScoped.includes(object.kind ?? '')) return object;
  return { ...object, metadata: { ...object.metadata, namespace: defaultNamespace } };
}

/** Maps a drift item onto a document edit, reading the value to write from the live object. */
function editFor(manifest: ManifestObject, live: KObject, item: DriftItem, rules: ObjectRules): YamlEdit | { reason: string } {
  const segments = parsePath(item.path);
  if (segments.length === 0) return { reason: 'object-level change' };
  const doc = manifest.document as Document;
  const prefix: (string | number)[] = manifest.itemIndex === undefined ? [] : ['items', manifest.itemIndex];
  let docNode: unknown = prefix.length ? doc.getIn(prefix, true) : doc.contents;
  let liveNode: unknown = live;
  const docPath: (string | number)[] = [...prefix];
  for (const [i, segment] of segments.entries()) {
    const isLast = i === segments.length - 1;
    const here = segments.slice(0, i) as FieldPath;
    if ('field' in segment) {
      if (!isMap(docNode)) return { reason: `${formatPathHint(here)} is not a map in the manifest` };
      const next = (docNode as YAMLMap).get(segment.field, true);
      const liveNext = isRecord(liveNode) ? liveNode[segment.field] : undefined;
      if (isLast) {
        return presentLive(liveNext) ? { op: 'set', path: [...docPath, segment.field], value: liveNext } : { op: 'delete', path: [...docPath, segment.field] };
      }
      docPath.push(segment.field);
      docNode = next;
      liveNode = liveNext;
      continue;
    }
    // A keyed list element.
    const rule = rules.keyedListAt(here);
    const seq = isSeq(docNode) ? (docNode as YAMLSeq) : undefined;
    const docIndex = seq ? findElement(seq.items.map((n) => toJs(n)), segment.item, rule) : -1;
    const liveList = Array.isArray(liveNode) ? (liveNode as unknown[]) : [];
    const liveIndex = findElement(liveList, segment.item, rule);
    if (isLast) {
      if (docIndex < 0 && liveIndex >= 0) {
        if (!seq) return { reason: 'the list is not in the manifest' };
        return { op: 'append', path: docPath, value: liveList[liveIndex] };
      }
      if (docIndex >= 0 && liveIndex < 0) return { op: 'delete', path: [...docPath, docIndex] };
      if (docIndex >= 0) return { op: 'set', path: [...docPath, docIndex], value: liveList[liveIndex] };
      return { reason: `element [${segment.item}] found neither in Git nor live` };
    }
    if (docIndex < 0 || liveIndex < 0) return { reason: `element [${segment.item}] not found` };
    docPath.push(docIndex);
    docNode = seq!.items[docIndex];
    liveNode = liveList[liveIndex];
  }
  return { reason: 'unreachable path' };
}

function presentLive(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function toJs(node: unknown): unknown {
  return node && typeof node === 'object' && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : node;
}

function formatPathHint(path: FieldPath): string {
  return path.map((s) => ('field' in s ? s.field : `[${s.item}]`)).join('.') || '(root)';
}

/**
 * Index of the element of `list` that a path segment `[item]` names, with the keys of the
 * list's rule (as the drift comparison keys them): `name`, `name@mountPath`, `53@UDP`, or `#2`
 * for elements without a key. -1 when absent.
 */
export function findElement(list: readonly unknown[], item: string, rule: KeyedListRule | undefined): number {
  for (const [i, element] of list.entries()) {
    if (!isRecord(element) || !rule) {
      if (item === `#${i}`) return i;
      continue;
    }
    const field = rule.keys.find((k) => typeof element[k] === 'string' || typeof element[k] === 'number');
    if (field === undefined) {
      if (item === `#${i}`) return i;
      continue;
    }
    const key = String(element[field]);
    if (item === key) return i;
    const extra = rule.disambiguateBy;
    if (extra) {
      const value = element[extra.field];
      const qualifier = typeof value === 'string' || typeof value === 'number' ? String(value) : (extra.default ?? '');
      if (item === `${key}@${qualifier}`) return i;
    }
  }
  return -1;
}

/** What {@link applyPlan} wrote. */
interface Written {
  files: string[];
  adopted: AdoptedField[];
  skipped: SkippedItem[];
}

/**
 * Edits the files, then checks each edited document: parsed again, the adopted fields must equal
 * the live values. A file whose edit fails either way is left untouched and its items skipped.
 */
async function applyPlan(root: string, plan: Plan, request: AdoptRequest): Promise<Written> {
  const byFile = new Map<string, PlannedEdit[]>();
  for (const e of plan.edits) byFile.set(e.manifest.file, [...(byFile.get(e.manifest.file) ?? []), e]);
  const written: Written = { files: [], adopted: [], skipped: [] };
  for (const [file, edits] of byFile) {
    const rel = relative(root, file);
    const skipAll = (reason: string) => {
      for (const e of edits) written.skipped.push({ ...refOf(e.item), path: e.item.path, reason });
    };
    const text = await readFile(file, 'utf8');
    let next: string;
    try {
      next = editYamlText(
        text,
        edits.map((e): DocumentEdit => ({ docIndex: e.manifest.docIndex, edit: e.edit })),
      );
    } catch (err) {
      if (err instanceof YamlEditFailed) {
        skipAll(`${rel}: cannot edit without reformatting (${err.message}); adopt it by hand`);
        continue;
      }
      throw err;
    }
    const problem = verifyEdited(next, edits, request.detection);
    if (problem) {
      skipAll(`${rel}: ${problem}; nothing written to this file`);
      continue;
    }
    await writeFile(file, next);
    written.files.push(rel);
    for (const e of edits) written.adopted.push({ ...refOf(e.item), path: e.item.path, file: rel });
  }
  return written;
}

/** Parses the edited text and checks each adopted field now matches live. @returns a problem, or undefined. */
function verifyEdited(text: string, edits: readonly PlannedEdit[], detection: DriftOptions): string | undefined {
  const { documents, problems } = parseKubeYaml(text);
  if (problems.length > 0) return `the edited file does not parse (${problems[0]!.message})`;
  for (const e of edits) {
    const doc = documents.find((d) => d.index === e.manifest.docIndex);
    if (!doc || !isRecord(doc.value)) return `document ${e.manifest.docIndex} is gone after the edit`;
    const objects = expandList(doc.value).items;
    const object = e.manifest.itemIndex === undefined ? objects[0]?.object : objects.find((o) => o.itemIndex === e.manifest.itemIndex)?.object;
    if (!object) return 'the edited object is gone after the edit';
    const namespace = e.live.metadata?.namespace;
    const desired = namespace && !object.metadata?.namespace ? { ...object, metadata: { ...object.metadata, namespace } } : object;
    const still = detectDrift([desired], [e.live], { ...detection, ownershipLabel: null }).some((i) => i.path === e.item.path);
    if (still) return `after the edit ${e.item.path} still differs from the live value`;
  }
  return undefined;
}

function refOf(r: ObjectRef): ObjectRef {
  return { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name };
}

function commitMessage(request: AdoptRequest, adopted: readonly AdoptedField[], skipped: readonly SkippedItem[]): string {
  const lines = [
    `watchkeeper: adopt live state from drift report #${request.reportId}`,
    '',
    `${request.actor} adopted the cluster's live values of ${adopted.length} drifted field(s) from Telegram;`,
    'only those fields were changed.',
    '',
    ...adopted.map((a) => `- ${formatRef(a)} ${a.path} (${a.file})`),
  ];
  if (skipped.length) lines.push('', 'Not adopted:', ...skipped.slice(0, 30).map((s) => `- ${formatRef(s)}${s.path ? ` ${s.path}` : ''}: ${s.reason}`));
  lines.push('', `Drift-Report: ${request.reportId}`);
  return lines.join('\n');
}
