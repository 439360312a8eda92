import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { driftDiffCommand, type DriftDiffJson } from '../../cli/drift-diff.ts';
import { simulateCluster } from './support/api-server-sim.ts';
import { container, find, fixturePath, loadFixture } from './support/fixtures.ts';

/** Runs the command, capturing its output. */
async function run(argv: string[], deps = {}) {
  let stdout = '';
  let stderr = '';
  const code = await driftDiffCommand(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) }, deps);
  return { code, stdout, stderr };
}

let temp: string;
let inSyncDump: string;
let driftedDump: string;
const podinfo = fixturePath('podinfo/rendered-production-overlay.yaml');
const guestbook = fixturePath('guestbook');
const guestbookLive = fixturePath('guestbook-live.kubectl-get.yaml');

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'wk-drift-cli-'));
  const live = simulateCluster(await loadFixture('podinfo/rendered-production-overlay.yaml'), 'production');
  inSyncDump = join(temp, 'in-sync.yaml');
  await writeFile(inSyncDump, stringify({ apiVersion: 'v1', kind: 'List', items: live, metadata: { resourceVersion: '' } }));

  container(find(live, 'Deployment', 'backend'), 'backend').image = 'ghcr.io/stefanprodan/podinfo:6.15.0';
  find(live, 'Deployment', 'frontend').spec.replicas = 3;
  live.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hotfix', namespace: 'production', labels: { 'app.kubernetes.io/managed-by': 'watchkeeper' } } });
  driftedDump = join(temp, 'drifted.json');
  await writeFile(driftedDump, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: live }));
});
afterAll(async () => {
  await rm(temp, { recursive: true, force: true });
});

describe('watchkeeper drift diff --json', () => {
  it('prints one parseable JSON object and exits 1 on drift', async () => {
    const { code, stdout, stderr } = await run(['--desired', podinfo, '--live', driftedDump, '--json', '-n', 'production']);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(stdout) as DriftDiffJson;
    expect(out.items.map(({ change, kind, namespace, name, path, level }) => ({ change, kind, namespace, name, path, level }))).toEqual([
      { change: 'not_in_git', kind: 'ConfigMap', namespace: 'production', name: 'hotfix', path: '', level: 'medium' },
      { change: 'modified', kind: 'Deployment', namespace: 'production', name: 'backend', path: 'spec.template.spec.containers[backend].image', level: 'high' },
    ]);
    expect(out.items[1]).toMatchObject({ gitValue: 'ghcr.io/stefanprodan/podinfo:6.14.1', liveValue: 'ghcr.io/stefanprodan/podinfo:6.15.0', file: `${podinfo}:295` });
    expect(out).toMatchObject({ warnings: [], errors: [], counts: { high: 1, medium: 1, info: 0 }, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
  });

  it('exits 0 with an empty items array when the cluster matches Git', async () => {
    const { code, stdout } = await run(['--desired', podinfo, '--live', inSyncDump, '--json', '--namespace', 'production']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ items: [], warnings: [], errors: [] });
  });

  it('the ownership label can be changed or disabled', async () => {
    const disabled = await run(['--desired', podinfo, '--live', driftedDump, '--json', '-n', 'production', '--owner-label', 'none']);
    expect((JSON.parse(disabled.stdout) as DriftDiffJson).items.map((i) => i.change)).toEqual(['modified']);
    const instance = await run(['--desired', podinfo, '--live', driftedDump, '--json', '-n', 'production', '--owner-label', 'app.kubernetes.io/instance=other']);
    expect((JSON.parse(instance.stdout) as DriftDiffJson).items.map((i) => i.change)).toEqual(['modified']);
  });

  it('reports a malformed manifest with file and line, still compares the rest, and exits 2', async () => {
    const { code, stdout } = await run(['--desired', fixturePath('broken'), '--live', guestbookLive, '--json']);
    expect(code).toBe(2);
    const out = JSON.parse(stdout) as DriftDiffJson;
    expect(out.errors).toEqual([{ file: fixturePath('broken/bad.yaml'), line: 8, column: 1, message: 'Tabs are not allowed as indentation' }]);
    expect(out.items.map((i) => `${i.change} ${i.name}`)).toEqual(['missing after-the-error', 'missing settings']);
  });

  it.each<[string, string[], RegExp]>([
    ['no arguments', [], /missing --desired/],
    ['an unknown option', ['--desired', 'x', '--live', 'y', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['a missing live dump', ['--desired', guestbook, '--live', '/nonexistent/dump.yaml'], /cannot read the live dump \/nonexistent\/dump.yaml: .*ENOENT/],
    ['a missing desired folder', ['--desired', '/nonexistent/deploy', '--live', guestbookLive], /cannot read desired-state folder \/nonexistent\/deploy/],
    ['a bad owner label', ['--desired', guestbook, '--live', guestbookLive, '--owner-label', '=x'], /--owner-label must be key=value/],
  ])('exits 2 on %s, with JSON on stdout and the reason on stderr', async (_title, argv, message) => {
    const { code, stdout, stderr } = await run([...argv, '--json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(JSON.parse(stdout)).toMatchObject({ items: [], errors: [{ message: expect.stringMatching(message) }] });
  });

  it('exits 2 on a malformed live dump, naming file and line and how to produce a dump', async () => {
    const bad = join(temp, 'bad-dump.yaml');
    await writeFile(bad, 'apiVersion: v1\nkind: List\nitems:\n\t- x\n');
    const { code, stderr } = await run(['--desired', guestbook, '--live', bad]);
    expect(code).toBe(2);
    expect(stderr).toContain(`the live dump ${bad}:4 is not valid: Tabs are not allowed as indentation`);
    expect(stderr).toContain('kubectl get <kinds> -A -o yaml');
  });

  it('exits 2 when the desired folder yields no objects (a kustomize folder without kubectl)', async () => {
    const { code, stderr } = await run(['--desired', fixturePath('kustomize-guestbook'), '--live', guestbookLive], {
      manifests: { kubectl: join(temp, 'no-kubectl') },
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`warning: ${fixturePath('kustomize-guestbook')}: kustomize folder skipped: kubectl not found on PATH`);
    expect(stderr).toContain('error: no Kubernetes objects found under');
  });
});

describe('watchkeeper drift diff (human output)', () => {
  it('groups items by object with Git and live values and levels', async () => {
    const { code, stdout } = await run(['--desired', guestbook, '--live', guestbookLive]);
    expect(code).toBe(1);
    expect(stdout).toBe(
      [
        'Drift: 1 item(s) in 1 object(s): 1 high, 0 medium, 0 info',
        '',
        `default/Deployment.apps/guestbook-ui  (${guestbook}/guestbook-ui-deployment.yaml:1)`,
        '  HIGH    spec.template.spec.containers[guestbook-ui].image',
        '          git:  gcr.io/google-samples/gb-frontend:v5',
        '          live: gcr.io/google-samples/gb-frontend:v6',
        '',
      ].join('\n'),
    );
  });

  it('shows object-level changes and hints when the dump lacks a kind', async () => {
    const { code, stdout, stderr } = await run(['--desired', podinfo, '--live', driftedDump, '-n', 'production']);
    expect(code).toBe(1);
    expect(stdout).toContain('production/ConfigMap/hotfix\n  MEDIUM  not in Git (live object carries the ownership label)\n');
    expect(stderr).toBe('');

    const onlyGuestbook = await run(['--desired', podinfo, '--live', guestbookLive, '-n', 'production']);
    expect(onlyGuestbook.stdout).toContain('  HIGH    missing in the cluster (declared in Git)');
    expect(onlyGuestbook.stderr).toContain('warning: the live dump holds no CronJob objects, so 4 CronJob object(s) are reported missing');
  });

  it('says so when there is no drift', async () => {
    const { code, stdout } = await run(['--desired', podinfo, '--live', inSyncDump, '-n', 'production']);
    expect(code).toBe(0);
    expect(stdout).toBe('No drift: 25 object(s) in Git match the live objects.\n');
  });

  it('prints usage with --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: watchkeeper drift diff --desired <folder> --live <objects.yaml|json>');
  });
});
