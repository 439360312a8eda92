/**
 * Adopt on real Git repositories (a bare remote in a temp folder): the commit touches only the
 * drifted fields, comments and layout survive, the message names the report, the push goes to a
 * new branch (or the configured one), and what cannot be adopted is skipped with a reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { adoptLiveState, type AdoptRequest } from '../../agent/git/adopt.ts';
import { GitSource } from '../../agent/git/source.ts';
import { detectDrift, refKey, type DriftItem } from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import { createRemote, type TestRemote } from './support/git-repo.ts';

const WEB = `# Web frontend, owned by team shop.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web # used by the Service
spec:
  replicas: 2 # baseline; the HPA may change it
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        # the main container
        - name: web
          image: "registry.example.com/web:1.4.2" # pinned by CI
          env:
            - name: LOG_LEVEL
              value: info
            - name: FEATURE_X
              value: "off"
          resources:
            limits:
              cpu: 500m
              memory: 256Mi

---
# Its service
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;

const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
data:
  # feature flags
  flags: "a,b"
  timeout: '30s'
`;

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
stringData:
  password: hunter2
`;

const WORKER = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: worker
          image: worker:1
`;

const FILES = { 'apps/web.yaml': WEB, 'apps/config.yaml': CONFIG, 'apps/secret.yaml': SECRET, 'apps/worker.yaml': WORKER, 'README.md': '# manifests\n' };

function parseAll(text: string): KObject[] {
  return Array.from(parseAllDocuments(text, { version: '1.1' }))
    .map((d) => d.toJS() as KObject)
    .filter(Boolean);
}

/** The cluster: someone hot-fixed web (image, env) and edited the ConfigMap and the Secret; worker is gone. */
function liveObjects(): KObject[] {
  const [deployment, service] = parseAll(WEB) as any[];
  const [config] = parseAll(CONFIG) as any[];
  const server = { uid: 'u-1', resourceVersion: '42', creationTimestamp: '2026-11-21T06:00:00Z', managedFields: [{ manager: 'kubectl-edit' }] };
  const c = deployment.spec.template.spec.containers[0];
  c.image = 'registry.example.com/web:1.4.3-hotfix';
  c.env = [
    { name: 'DEBUG_PORT', value: '5005' },
    { name: 'LOG_LEVEL', value: 'debug' },
  ];
  c.imagePullPolicy = 'IfNotPresent';
  c.resources.limits.cpu = '0.5';
  deployment.metadata = { ...deployment.metadata, ...server, generation: 3, annotations: { 'deployment.kubernetes.io/revision': '3' } };
  deployment.status = { replicas: 2, readyReplicas: 2 };
  service.metadata = { ...service.metadata, ...server };
  service.spec.clusterIP = '10.96.0.12';
  service.spec.ports[0].protocol = 'TCP';
  config.metadata = { ...config.metadata, ...server };
  config.data.flags = 'a,b,c';
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-secret', namespace: 'shop', ...server }, data: { password: 'aHVudGVyMw==' } };
  return [deployment, service, config, secret];
}

function desiredObjects(): KObject[] {
  return [...parseAll(WEB), ...parseAll(CONFIG), ...parseAll(SECRET), ...parseAll(WORKER)];
}

const remotes: TestRemote[] = [];
const temps: string[] = [];
afterEach(() => {
  for (const r of remotes.splice(0)) r.cleanup();
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
});

function request(remote: TestRemote, items: DriftItem[], overrides: Partial<AdoptRequest> = {}): AdoptRequest {
  const live = new Map(liveObjects().map((o) => [refKey({ group: o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0]! : '', kind: o.kind!, namespace: o.metadata!.namespace!, name: o.metadata!.name! }), o]));
  return {
    reportId: 7,
    targets: items.map((i) => ({ group: i.group, kind: i.kind, namespace: i.namespace, name: i.name, path: i.path, change: i.change })),
    source: new GitSource({ name: 'apps', url: remote.bare }, { cacheDir: remote.cacheDir }),
    folders: ['apps'],
    detection: { defaultNamespace: 'shop', ownershipLabel: null },
    readLive: async (objects) => {
      const out = new Map<string, KObject>();
      for (const o of objects) {
        const key = refKey({ group: o.apiVersion!.includes('/') ? o.apiVersion!.split('/')[0]! : '', kind: o.kind!, namespace: o.metadata!.namespace!, name: o.metadata!.name! });
        const found = live.get(key);
        if (found) out.set(key, structuredClone(found));
      }
      return out;
    },
    push: { mode: 'new-branch', branchPrefix: 'watchkeeper/drift-' },
    author: { name: 'Watchkeeper', email: 'watchkeeper@example.com' },
    actor: 'Alice (@alice)',
    ...overrides,
  };
}

/** Changed lines of a diff (`-U0`), without headers. */
function changedLines(diff: string): string[] {
  return diff.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
}

describe('adopt on a real Git repository', () => {
  it('commits only the drifted fields to a new branch, keeping comments and layout', async () => {
    const remote = createRemote(FILES);
    remotes.push(remote);
    const items = detectDrift(desiredObjects(), liveObjects(), { defaultNamespace: 'shop', ownershipLabel: null });
    expect(items.map((i) => `${i.kind}/${i.name} ${i.change} ${i.path}`)).toEqual([
      'ConfigMap/web-config modified data.flags',
      'Deployment/web modified spec.template.spec.containers[web].env[DEBUG_PORT]',
      'Deployment/web modified spec.template.spec.containers[web].env[FEATURE_X]',
      'Deployment/web modified spec.template.spec.containers[web].env[LOG_LEVEL].value',
      'Deployment/web modified spec.template.spec.containers[web].image',
      'Deployment/worker missing ',
      'Secret/web-secret modified data.password',
    ]);

    const result = await adoptLiveState(request(remote, items));
    if (result.kind !== 'committed') throw new Error(`expected a commit, got ${JSON.stringify(result)}`);
    expect(result.branch).toBe('watchkeeper/drift-7');
    expect(result.baseBranch).toBe('main');
    expect(result.files.sort()).toEqual(['apps/config.yaml', 'apps/web.yaml']);
    expect(result.adopted).toHaveLength(5);
    expect(result.skipped.map((s) => `${s.kind}/${s.name}: ${s.reason}`)).toEqual([
      expect.stringMatching(/^Deployment\/worker: missing from the cluster: adopt does not delete manifests/),
      'Secret/web-secret: Secret values are never written into Git',
    ]);

    // The remote has the branch; main is untouched.
    expect(remote.git('rev-parse', 'watchkeeper/drift-7').trim()).toBe(result.sha);
    expect(remote.show('main', 'apps/web.yaml')).toBe(WEB);
    expect(remote.git('log', '-1', '--format=%s%n%an <%ae>', 'watchkeeper/drift-7')).toBe(
      'watchkeeper: adopt live state from drift report #7\nWatchkeeper <watchkeeper@example.com>\n',
    );
    expect(remote.git('log', '-1', '--format=%b', 'watchkeeper/drift-7')).toMatch(/Alice \(@alice\) adopted the cluster's live values of 5 drifted field\(s\)/);

    // The diff touches exactly the drifted fields.
    expect(changedLines(remote.git('diff', '-U0', 'main', 'watchkeeper/drift-7', '--', 'apps/web.yaml'))).toEqual([
      '-          image: "registry.example.com/web:1.4.2" # pinned by CI',
      '+          image: "registry.example.com/web:1.4.3-hotfix" # pinned by CI',
      '-              value: info',
      '-            - name: FEATURE_X',
      '-              value: "off"',
      '+              value: debug',
      '+            - name: DEBUG_PORT',
      '+              value: "5005"',
    ]);
    expect(changedLines(remote.git('diff', '-U0', 'main', 'watchkeeper/drift-7', '--', 'apps/config.yaml'))).toEqual([
      '-  flags: "a,b"',
      '+  flags: "a,b,c"',
    ]);
    expect(remote.git('diff', '--name-only', 'main', 'watchkeeper/drift-7').trim().split('\n').sort()).toEqual(['apps/config.yaml', 'apps/web.yaml']);

    // Comments and layout survive; the adopted manifests now match the cluster.
    const adopted = remote.show('watchkeeper/drift-7', 'apps/web.yaml');
    for (const comment of ['# Web frontend, owned by team shop.', '# used by the Service', '# baseline; the HPA may change it', '# the main container', '# Its service']) {
      expect(adopted).toContain(comment);
    }
    const after = detectDrift([...parseAll(adopted), ...parseAll(remote.show('watchkeeper/drift-7', 'apps/config.yaml'))], liveObjects(), {
      defaultNamespace: 'shop',
      ownershipLabel: null,
    });
    expect(after.filter((i) => i.kind !== 'Secret')).toEqual([]);
  });

  it('pushes to the configured branch itself in configured-branch mode', async () => {
    const remote = createRemote(FILES);
    remotes.push(remote);
    const items = detectDrift(desiredObjects(), liveObjects(), { defaultNamespace: 'shop', ownershipLabel: null }).filter((i) => i.kind === 'ConfigMap');
    const result = await adoptLiveState(request(remote, items, { push: { mode: 'configured-branch', branchPrefix: 'unused/' } }));
    expect(result.kind).toBe('committed');
    expect(remote.git('rev-parse', 'main').trim()).toBe(result.kind === 'committed' ? result.sha : '');
    expect(remote.show('main', 'apps/config.yaml')).toBe(CONFIG.replace('flags: "a,b"', 'flags: "a,b,c"'));
    expect(remote.git('branch', '--list').trim()).toBe('* main');
  });

  it('writes what is live now: items that stopped drifting are skipped, and nothing is committed when none is left', async () => {
    const remote = createRemote(FILES);
    remotes.push(remote);
    const items = detectDrift(desiredObjects(), liveObjects(), { defaultNamespace: 'shop', ownershipLabel: null }).filter((i) => i.kind === 'ConfigMap');
    // Meanwhile someone fixed Git to match the cluster.
    remote.commit({ 'apps/config.yaml': CONFIG.replace('"a,b"', '"a,b,c"') }, 'fix flags');
    const result = await adoptLiveState(request(remote, items));
    expect(result).toEqual({
      kind: 'nothing_to_adopt',
      skipped: [expect.objectContaining({ kind: 'ConfigMap', path: 'data.flags', reason: 'no longer drifting (Git and the cluster agree now)' })],
    });
    expect(remote.git('branch', '--list').trim()).toBe('* main');
  });

  it('refuses a plain folder (no history to commit to)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'wk-drift-plain-'));
    temps.push(folder);
    writeFileSync(join(folder, 'config.yaml'), CONFIG);
    const remote = createRemote(FILES);
    remotes.push(remote);
    const result = await adoptLiveState({
      ...request(remote, []),
      source: new GitSource({ name: 'plain', url: folder }, { cacheDir: remote.cacheDir }),
      folders: ['.'],
    });
    expect(result).toEqual({ kind: 'impossible', reason: expect.stringMatching(/plain folder, not a Git repository/) });
  });
});
