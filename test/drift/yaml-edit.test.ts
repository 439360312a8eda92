/** Surgical YAML edits for adopt: only the edited value's characters change. */
import { describe, expect, it } from 'vitest';
import { editYamlText, YamlEditFailed, type YamlEdit } from '../../agent/git/yaml-edit.ts';

const DOC = `# top comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the name
  labels: {app: web, tier: "fe"}
spec:
  replicas: 2 # two
  template:
    spec:
      containers:
      - name: web # main
        image: "web:1.0"   # pinned
        args: ["--a", "--b"]
        env:
          - name: A
            value: '1'
          - name: B
            value: x
        resources:
          limits:
            cpu: 1
      - name: side
        image: side:1
`;

const CM = `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
data:
  conf: |
    a=1
    b=2
  flag: x
`;

/** Lines that differ between two texts of the same length in lines, as `-old/+new` pairs. */
function diff(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    // find resync
    const nextA = a.indexOf(b[j]!, i);
    const nextB = b.indexOf(a[i]!, j);
    if (nextB >= 0 && (nextA < 0 || nextB - j <= nextA - i)) {
      while (j < nextB) out.push(`+${b[j++]}`);
    } else if (nextA >= 0) {
      while (i < nextA) out.push(`-${a[i++]}`);
    } else {
      if (i < a.length) out.push(`-${a[i++]}`);
      if (j < b.length) out.push(`+${b[j++]}`);
    }
  }
  return out;
}

const C0 = ['spec', 'template', 'spec', 'containers', 0];

describe('editYamlText', () => {
  it.each<[string, string, YamlEdit, string[]]>([
    ['a quoted scalar keeps its quotes and its comment', DOC, { op: 'set', path: [...C0, 'image'], value: 'web:1.1-hotfix' }, ['-        image: "web:1.0"   # pinned', '+        image: "web:1.1-hotfix"   # pinned']],
    ['a plain number', DOC, { op: 'set', path: ['spec', 'replicas'], value: 5 }, ['-  replicas: 2 # two', '+  replicas: 5 # two']],
    ['a single-quoted string', DOC, { op: 'set', path: [...C0, 'env', 0, 'value'], value: "it's" }, ["-            value: '1'", "+            value: 'it''s'"]],
    ['a plain string that would read as a boolean gets quotes (YAML 1.1)', DOC, { op: 'set', path: [...C0, 'env', 1, 'value'], value: 'yes' }, ['-            value: x', '+            value: "yes"']],
    ['a key inside a flow map rewrites only that line', DOC, { op: 'set', path: ['metadata', 'labels', 'tier'], value: 'be' }, ['-  labels: {app: web, tier: "fe"}', '+  labels: {app: web, tier: "be"}']],
    ['a flow list replaced keeps flow style and quotes', DOC, { op: 'set', path: [...C0, 'args'], value: ['--a', '--c'] }, ['-        args: ["--a", "--b"]', '+        args: ["--a", "--c"]']],
    ['a block map replaced is written in block style', DOC, { op: 'set', path: [...C0, 'resources', 'limits'], value: { cpu: '2', memory: '1Gi' } }, ['-            cpu: 1', '+            cpu: "2"', '+            memory: 1Gi']],
    ['a list element removed takes its lines', DOC, { op: 'delete', path: [...C0, 'env', 1] }, ['-          - name: B', '-            value: x']],
    ['a map entry removed takes its line', DOC, { op: 'delete', path: [...C0, 'image'] }, ['-        image: "web:1.0"   # pinned']],
    ['an element appended uses the list indentation', DOC, { op: 'append', path: [...C0, 'env'], value: { name: 'C', value: 'z' } }, ['+          - name: C', '+            value: z']],
    ['a container appended after the last one', DOC, { op: 'append', path: ['spec', 'template', 'spec', 'containers'], value: { name: 'extra', image: 'e:1' } }, ['+      - name: extra', '+        image: e:1']],
    ['a block scalar replaced by another', CM, { op: 'set', path: ['data', 'conf'], value: 'a=1\nb=3\n' }, ['-    b=2', '+    b=3']],
  ])('%s', (_name, text, edit, expected) => {
    const out = editYamlText(text, [{ docIndex: 0, edit }]);
    expect(diff(text, out)).toEqual(expected);
  });

  it('applies several edits of one document and of several documents at once', () => {
    const text = `${DOC}---\n${CM}`;
    const out = editYamlText(text, [
      { docIndex: 0, edit: { op: 'set', path: ['spec', 'replicas'], value: 3 } },
      { docIndex: 0, edit: { op: 'set', path: ['metadata', 'labels', 'app'], value: 'web2' } },
      { docIndex: 0, edit: { op: 'delete', path: ['metadata', 'labels', 'tier'] } },
      { docIndex: 1, edit: { op: 'set', path: ['data', 'flag'], value: 'on' } },
    ]);
    expect(diff(text, out)).toEqual([
      '-  labels: {app: web, tier: "fe"}',
      '+  labels: {app: web2}',
      '-  replicas: 2 # two',
      '+  replicas: 3 # two',
      '-  flag: x',
      '+  flag: "on"',
    ]);
  });

  it('refuses a path that does not exist', () => {
    expect(() => editYamlText(DOC, [{ docIndex: 0, edit: { op: 'set', path: ['spec', 'nope', 'x'], value: 1 } }])).toThrow(YamlEditFailed);
    expect(() => editYamlText(DOC, [{ docIndex: 3, edit: { op: 'set', path: ['spec'], value: 1 } }])).toThrow(/no such document/);
  });
});
