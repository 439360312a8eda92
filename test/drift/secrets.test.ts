import { describe, expect, it } from 'vitest';
import { base64, detectDrift, maskPair, normalizeSecret } from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';

describe('base64 (RFC 4648 test vectors, UTF-8 input)', () => {
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foobar', 'Zm9vYmFy'],
    ['é', 'w6k='],
  ])('%j → %s', (text, encoded) => {
    expect(base64(text)).toBe(encoded);
    expect(base64(text)).toBe(Buffer.from(text, 'utf8').toString('base64'));
  });
});

const secret = (fields: Partial<KObject>): KObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, type: 'Opaque', ...fields });

describe('Secrets (gitops-engine NormalizeSecret / HideSecretData)', () => {
  it('moves stringData into data, base64-encoded, as the API server stores it', () => {
    expect(normalizeSecret(secret({ data: { a: 'eA==' }, stringData: { b: 'hunter2', a: 'y' } }))).toEqual(
      secret({ data: { a: 'eQ==', b: 'aHVudGVyMg==' } }),
    );
  });

  it('stringData in Git equals the base64 data live', () => {
    expect(detectDrift([secret({ stringData: { password: 'hunter2' } })], [secret({ data: { password: 'aHVudGVyMg==' } })])).toEqual([]);
  });

  it.each<[string, KObject, KObject, { path: string; gitValue: unknown; liveValue: unknown }]>([
    [
      'a changed value',
      secret({ stringData: { password: 'hunter2' } }),
      secret({ data: { password: 'c3dvcmRmaXNo' } }),
      { path: 'data.password', gitValue: '++++++++', liveValue: '+++++++++' },
    ],
    [
      'a key removed in the cluster',
      secret({ data: { password: 'aHVudGVyMg==', user: 'YWRtaW4=' } }),
      secret({ data: { user: 'YWRtaW4=' } }),
      { path: 'data.password', gitValue: '++++++++', liveValue: null },
    ],
    [
      'all data gone',
      secret({ data: { password: 'aHVudGVyMg==' } }),
      secret({}),
      { path: 'data', gitValue: { password: '++++++++' }, liveValue: null },
    ],
  ])('masks values in items: %s', (_title, desired, live, expected) => {
    const items = detectDrift([desired], [live]);
    expect(items).toEqual([expect.objectContaining({ kind: 'Secret', change: 'modified', level: 'medium', ...expected })]);
    expect(JSON.stringify(items)).not.toMatch(/hunter2|aHVudGVyMg|c3dvcmRmaXNo/);
  });

  it('maskPair keeps equal map values equal and different ones different', () => {
    expect(maskPair({ a: 'x', b: 'y' }, { a: 'x', b: 'z', c: 'w' })).toEqual({
      gitValue: { a: '++++++++', b: '++++++++' },
      liveValue: { a: '++++++++', b: '+++++++++', c: '+++++++++' },
    });
  });

  it('other kinds are not masked', () => {
    const cm = (data: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });
    expect(detectDrift([cm({ a: 'x' })], [cm({ a: 'y' })])).toEqual([expect.objectContaining({ gitValue: 'x', liveValue: 'y' })]);
  });
});

describe('not_in_git skips objects the cluster derives', () => {
  const labels = { 'app.kubernetes.io/managed-by': 'watchkeeper' };
  it.each<[string, KObject]>([
    [
      'a ReplicaSet owned by a Deployment (template labels copied)',
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-5d8f', namespace: 'default', labels, ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] } },
    ],
    [
      'a Pod owned by a ReplicaSet',
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-5d8f-x2', namespace: 'default', labels, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-5d8f' }] } },
    ],
    ['Endpoints (labels copied from the Service, no owner reference)', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default', labels } }],
  ])('%s', (_title, live) => {
    expect(detectDrift([], [live])).toEqual([]);
  });
});
