import { describe, expect, it } from 'vitest';
import { compilePattern, formatPath, InvalidPathPattern, matchesPattern, parsePath, type FieldPath } from '../../domain/drift/path.ts';

const containerImage: FieldPath = [
  { field: 'spec' },
  { field: 'template' },
  { field: 'spec' },
  { field: 'containers' },
  { item: 'web' },
  { field: 'image' },
];

describe('formatPath / parsePath', () => {
  it.each<[FieldPath, string]>([
    [containerImage, 'spec.template.spec.containers[web].image'],
    [[{ field: 'metadata' }, { field: 'annotations' }, { field: 'deployment.kubernetes.io/revision' }], 'metadata.annotations.deployment\\.kubernetes\\.io/revision'],
    [[{ field: 'spec' }, { field: 'ports' }, { item: '53@UDP' }], 'spec.ports[53@UDP]'],
    [[{ field: 'volumeMounts' }, { item: 'config@/etc/app.conf' }], 'volumeMounts[config@/etc/app.conf]'],
    [[{ field: 'data' }, { field: 'a[b]' }], 'data.a\\[b\\]'],
    [[], ''],
  ])('%j ⇄ %s', (path, text) => {
    expect(formatPath(path)).toBe(text);
    expect(parsePath(text)).toEqual(path);
  });

  it('refuses an unterminated bracket', () => {
    expect(() => compilePattern('spec.containers[web')).toThrow(InvalidPathPattern);
  });
});

describe('matchesPattern', () => {
  it.each([
    ['spec.template.spec.containers[web].image', true],
    ['spec.template.spec.containers[*].image', true],
    ['**.containers[*].image', true],
    ['**.image', true],
    ['**', true],
    ['spec.**', true],
    ['**.containers[w*].image', true],
    ['**.containers[x*].image', false],
    ['spec.*.spec.containers[*].image', true],
    ['spec.template.spec.containers', false],
    ['**.containers[*]', false],
    ['**.containers[*].image.**', true],
    ['**.containers.*.image', false],
    ['spec.template.spec.containers[*].image.extra', false],
  ])('%s → %s', (pattern, expected) => {
    expect(matchesPattern(compilePattern(pattern), containerImage)).toBe(expected);
  });

  it('matches escaped dots in annotation keys', () => {
    const path = parsePath('spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt');
    expect(matchesPattern(compilePattern('**.annotations.kubectl\\.kubernetes\\.io/restartedAt'), path)).toBe(true);
    expect(matchesPattern(compilePattern('**.annotations.kubectl'), path)).toBe(false);
  });
});
