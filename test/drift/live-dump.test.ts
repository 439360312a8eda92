import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLiveDump, parseLiveDump, type LiveDump } from '../../agent/git/live-dump.ts';
import { fixturePath } from './support/fixtures.ts';

const names = (dump: LiveDump) => (dump.kind === 'loaded' ? dump.objects.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata?.name}`) : dump);

describe('parseLiveDump', () => {
  it.each<[string, string, string[]]>([
    [
      'a kubectl List (YAML)',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\nmetadata: {resourceVersion: ""}\n',
      ['v1 Service/a'],
    ],
    [
      'multi-document YAML, one document a List',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n',
      ['v1 ConfigMap/c', 'v1 Secret/s'],
    ],
    ['a kubectl List (JSON)', '{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"}}]}', ['apps/v1 Deployment/d']],
    ['a JSON array', '[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}]', ['v1 ConfigMap/c']],
    [
      'a raw API list whose items lack kind and apiVersion',
      '{"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"metadata":{"name":"web"}}]}',
      ['apps/v1 Deployment/web'],
    ],
    ['an empty List', 'apiVersion: v1\nkind: List\nitems: []\n', []],
  ])('reads %s', (_title, text, expected) => {
    expect(names(parseLiveDump(text, 'dump'))).toEqual(expected);
  });

  it.each<[string, string, Partial<LiveDump>]>([
    ['a YAML syntax error', 'apiVersion: v1\nkind: List\nitems:\n- a: 1\n  a: 2\n', { kind: 'malformed', line: 5 }],
    ['broken JSON', '{"kind": "List",\n"items": [\n', { kind: 'malformed', line: 3 }],
    ['an object without a name', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n', { kind: 'malformed', message: expect.stringContaining('without kind or metadata.name') }],
    ['a scalar', 'hello\n', { kind: 'malformed', message: expect.stringContaining('expected Kubernetes objects') }],
  ])('refuses %s as a whole', (_title, text, expected) => {
    expect(parseLiveDump(text, 'dump')).toMatchObject({ file: 'dump', ...expected });
  });
});

describe('loadLiveDump', () => {
  it('loads the kubectl fixture', async () => {
    expect(names(await loadLiveDump(fixturePath('guestbook-live.kubectl-get.yaml')))).toEqual(['apps/v1 Deployment/guestbook-ui', 'v1 Service/guestbook-ui']);
  });

  it('reports an unreadable file', async () => {
    const file = join(fixturePath(), 'nope.yaml');
    expect(await loadLiveDump(file)).toMatchObject({ kind: 'unreadable', file, message: expect.stringContaining('ENOENT') });
  });
});
