import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Document } from 'yaml';
import { ManifestFolderUnreadable, readManifests } from '../../agent/git/manifests.ts';
import { fixturePath } from './support/fixtures.ts';

/** `which kubectl`: the kustomize rendering test only runs where kubectl exists. */
const hasKubectl = (() => {
  try {
    execFileSync('which', ['kubectl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const temps: string[] = [];
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Creates a temp folder with `files` (relative path → content). */
async function folder(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'wk-manifests-'));
  temps.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

const names = (set: { objects: Array<{ object: { kind?: string; metadata?: { name?: string } } }> }) =>
  set.objects.map(({ object }) => `${object.kind}/${object.metadata?.name}`);

/** A path to a kubectl that does not exist: what execFile sees when kubectl is not on PATH. */
const NO_KUBECTL = join(tmpdir(), 'wk-no-such-dir', 'kubectl');

describe('readManifests on the fixtures', () => {
  it('reads plain manifests, reports the malformed one with file and line, and scans the rest', async () => {
    const set = await readManifests(fixturePath(), { kubectl: NO_KUBECTL });

    expect(set.errors).toEqual([
      { file: fixturePath('broken/bad.yaml'), line: 8, column: 1, message: 'Tabs are not allowed as indentation' },
    ]);
    expect(names(set)).toEqual(
      expect.arrayContaining(['ConfigMap/after-the-error', 'ConfigMap/settings', 'Deployment/guestbook-ui', 'Service/guestbook-ui', 'ConfigMap/redis-config-bd2fcfgt6k']),
    );
    expect(names(set)).not.toContain('Service/web');
    expect(set.objects.filter((o) => o.file.endsWith('rendered-production-overlay.yaml'))).toHaveLength(25);
  });

  it('skips a kustomize folder with a warning naming it when kubectl is absent, without reading its files', async () => {
    const set = await readManifests(fixturePath(), { kubectl: NO_KUBECTL });
    expect(set.warnings).toContainEqual(expect.stringMatching(/kustomize-guestbook: kustomize folder skipped: kubectl not found on PATH/));
    expect(set.objects.some((o) => o.file.includes('kustomize-guestbook'))).toBe(false);
  });

  it('skips a Helm templates folder with a warning', async () => {
    const set = await readManifests(fixturePath(), { kubectl: NO_KUBECTL });
    expect(set.warnings).toContainEqual(expect.stringMatching(/helm-guestbook\/templates: Helm templates folder skipped/));
    expect(set.objects.some((o) => o.file.includes('helm-guestbook'))).toBe(false);
  });

  it.runIf(hasKubectl)('renders a kustomize folder with `kubectl kustomize` when kubectl is on PATH', async () => {
    const set = await readManifests(fixturePath('kustomize-guestbook'));
    expect(set.errors).toEqual([]);
    expect(names(set).sort()).toEqual(['Deployment/kustomize-guestbook-ui', 'Service/kustomize-guestbook-ui']);
    expect(set.objects.every((o) => o.origin === 'kustomize' && o.document === null && o.file === fixturePath('kustomize-guestbook'))).toBe(true);
  });

  it('keeps file, document index and the parsed Document of each object', async () => {
    const set = await readManifests(fixturePath('podinfo/rendered-cache-base.yaml'));
    expect(set.objects.map((o) => [o.object.kind, o.docIndex, o.line])).toEqual([
      ['ConfigMap', 0, 1],
      ['Service', 1, 12],
      ['Deployment', 2, 26],
    ]);
    const deployment = set.objects[2]!;
    expect(deployment.document).toBeInstanceOf(Document);
    expect(deployment.document!.getIn(['spec', 'template', 'spec', 'containers', 0, 'image'])).toBe('docker.io/redis:8.8.0');
  });

  it('throws ManifestFolderUnreadable for a folder that does not exist', async () => {
    await expect(readManifests(fixturePath('no-such-folder'))).rejects.toBeInstanceOf(ManifestFolderUnreadable);
  });
});

describe('readManifests parsing rules', () => {
  it.each<[string, Record<string, string>, string[]]>([
    [
      'multi-document YAML with empty documents',
      { 'a.yaml': '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n' },
      ['ConfigMap/one', 'ConfigMap/two'],
    ],
    [
      'kind: List expanded',
      { 'list.yml': 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s1}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s2}\n' },
      ['Secret/s1', 'Secret/s2'],
    ],
    ['JSON files', { 'svc.json': '{"apiVersion":"v1","kind":"Service","metadata":{"name":"api"},"spec":{"ports":[{"port":80}]}}' }, ['Service/api']],
    [
      'recursive, in path order, hidden folders and other extensions ignored',
      {
        'b/z.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second}\n',
        'a/y.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first}\n',
        '.github/workflows/ci.yml': 'on: push\njobs: {}\n',
        'notes.txt': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: txt}\n',
      },
      ['ConfigMap/first', 'ConfigMap/second'],
    ],
  ])('%s', async (_title, files, expected) => {
    const set = await readManifests(await folder(files));
    expect(set.errors).toEqual([]);
    expect(names(set)).toEqual(expected);
  });

  it('reads YAML the way kubectl does (YAML 1.1: octal modes; timestamps stay strings)', async () => {
    const root = await folder({
      'cm.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    at: 2024-01-01T00:00:00Z\nspec:\n  volumes:\n  - name: v\n    configMap: {name: c, defaultMode: 0644}\n',
    });
    const [pod] = (await readManifests(root)).objects;
    expect((pod!.object.spec as any).volumes[0].configMap.defaultMode).toBe(0o644);
    expect(pod!.object.metadata!.annotations!.at).toBe('2024-01-01T00:00:00Z');
  });

  it('records List items with their item index', async () => {
    const root = await folder({ 'l.yaml': 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n' });
    expect((await readManifests(root)).objects.map((o) => [o.docIndex, o.itemIndex])).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });

  it.each<[string, string, RegExp]>([
    ['non-Kubernetes YAML', 'name: my-values\nreplicaCount: 2\n', /values\.yaml:1: document 0 skipped: not a Kubernetes object/],
    ['generateName objects', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n', /values\.yaml:1: Job skipped: no metadata.name/],
  ])('warns about %s', async (_title, content, warning) => {
    const set = await readManifests(await folder({ 'values.yaml': content }));
    expect(set.objects).toEqual([]);
    expect(set.warnings).toEqual([expect.stringMatching(warning)]);
  });

  it.each<[string, string, { line?: number; message: RegExp }]>([
    ['duplicate keys', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n', { line: 5, message: /Map keys must be unique/ }],
    ['unclosed quotes', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a\n', { line: 5, message: /Missing closing "quote/ }],
    ['a scalar document', 'just text\n', { line: 1, message: /document 0 is not a mapping/ }],
    ['broken JSON', '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "metadata": {"name": "x"\n', { line: 4, message: /./ }],
    ['a name YAML 1.1 reads as a boolean', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yes\n', { line: 1, message: /metadata.name true is not a string .*quote it/ }],
  ])('reports %s with its line', async (_title, content, expected) => {
    const root = await folder({ 'bad.yaml': content, 'ok.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n' });
    const set = await readManifests(root);
    expect(set.errors).toEqual([expect.objectContaining({ file: join(root, 'bad.yaml'), line: expected.line, message: expect.stringMatching(expected.message) })]);
    expect(names(set)).toEqual(['ConfigMap/ok']);
  });

  it('renders only the overlay of a base/overlay kustomize layout (bases are its inputs)', async () => {
    const root = await folder({
      'base/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {a: "1"}\n',
      'overlays/prod/kustomization.yaml': 'namespace: prod\nresources:\n- ../../base\n',
      'plain/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n',
    });
    const skipped = await readManifests(root, { kubectl: NO_KUBECTL });
    expect(skipped.warnings).toEqual([expect.stringContaining(`${join(root, 'overlays/prod')}: kustomize folder skipped`)]);
    expect(names(skipped)).toEqual(['ConfigMap/extra']);

    if (!hasKubectl) return;
    const rendered = await readManifests(root);
    expect(rendered.objects.map((o) => `${o.object.metadata?.namespace}/${o.object.metadata?.name}`)).toEqual(['undefined/extra', 'prod/app']);
  });

  it.runIf(hasKubectl)('reports a kustomize folder that fails to render, naming it', async () => {
    const root = await folder({ 'app/kustomization.yaml': 'resources:\n- missing.yaml\n' });
    const set = await readManifests(root);
    expect(set.errors).toEqual([{ file: join(root, 'app'), message: expect.stringMatching(/^kubectl kustomize failed: .*missing\.yaml/s) }]);
  });

  it('a folder with Chart.yaml is a Helm chart and is skipped whole', async () => {
    const root = await folder({ 'chart/Chart.yaml': 'apiVersion: v2\nname: x\n', 'chart/values.yaml': 'a: 1\n', 'chart/templates/d.yaml': 'kind: {{ .Values.kind }}\n' });
    const set = await readManifests(root);
    expect(set).toEqual({ objects: [], errors: [], warnings: [expect.stringContaining(`${join(root, 'chart')}: Helm chart skipped`)] });
  });
});
