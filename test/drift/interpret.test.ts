/** Interpretation of drift: the local model through the router contract, rules when it cannot answer. */
import { describe, expect, it } from 'vitest';
import { interpretByRules, interpretDrift, newerVersion, tagOf } from '../../agent/drift/interpret.ts';
import type { DriftModel } from '../../agent/drift/ports.ts';
import type { StoredDriftItem } from '../../agent/drift/types.ts';
import { ModelRouter } from '../../agent/llm/router.ts';
import type { ModelBackend } from '../../agent/llm/backend.ts';

const base = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' } as const;
const image = (git: string, live: string): StoredDriftItem => ({ ...base, change: 'modified', path: 'spec.template.spec.containers[web].image', gitValue: git, liveValue: live, level: 'high' });
const replicas = (git: number, live: number, level: 'info' | 'medium'): StoredDriftItem => ({ ...base, change: 'modified', path: 'spec.replicas', gitValue: git, liveValue: live, level });
const missing: StoredDriftItem = { ...base, name: 'worker', change: 'missing', path: '', gitValue: null, liveValue: null, level: 'high' };
const env: StoredDriftItem = { ...base, change: 'modified', path: 'spec.template.spec.containers[web].env[DEBUG].value', gitValue: 'false', liveValue: 'true', level: 'high' };

describe('interpretByRules', () => {
  it.each<[string, StoredDriftItem[], string, string]>([
    ['a -hotfix tag', [image('web:1.4.2', 'web:1.4.2-hotfix')], 'emergency_hotfix', 'high'],
    ['a newer version', [image('registry:5000/web:v1.4.2', 'registry:5000/web:v1.5.0')], 'emergency_hotfix', 'high'],
    ['replicas under an HPA (info)', [replicas(2, 5, 'info')], 'automated_change', 'low'],
    ['objects deleted from the cluster', [missing], 'human_error', 'high'],
    ['an env flag', [env], 'unknown', 'high'],
    ['an older image', [image('web:2.0', 'web:1.9')], 'unknown', 'high'],
  ])('%s → %s', (_name, items, intent, risk) => {
    const i = interpretByRules(items);
    expect(i).toMatchObject({ intent, risk, source: 'rules' });
    expect(i.explanation.length).toBeGreaterThan(10);
  });

  it('reads replicas of an autoscaled workload as an automated change even when not marked info', () => {
    expect(interpretByRules([replicas(2, 4, 'medium')], { autoscaled: new Set(['Deployment/shop/web']) }).intent).toBe('automated_change');
  });

  it('parses image tags and versions', () => {
    expect(tagOf('registry:5000/app:1.2.3@sha256:abc')).toBe('1.2.3');
    expect(tagOf('app')).toBe('');
    expect(newerVersion('1.9', '1.10')).toBe(true);
    expect(newerVersion('v2', 'v1.9')).toBe(false);
  });
});

/** A local backend answering with canned text (and recording prompts). */
function backend(answers: string[]): ModelBackend & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    provider: 'ollama',
    model: 'stub:7b',
    prompts,
    async chatJson(req: { system: string; user: string }) {
      prompts.push(req.user);
      return { content: answers.shift() ?? '' };
    },
  } as unknown as ModelBackend & { prompts: string[] };
}

describe('interpretDrift', () => {
  it('uses the local model answer when it passes the schema', async () => {
    const primary = backend([JSON.stringify({ intent: 'emergency_hotfix', explanation: 'A hotfix image was rolled out by hand.', risk: 'high', confidence: 0.9 })]);
    const router = new ModelRouter({ primary, cloudEnabled: false, audit: () => {} });
    const i = await interpretDrift([image('web:1.0', 'web:1.1')], router as DriftModel);
    expect(i).toEqual({ intent: 'emergency_hotfix', explanation: 'A hotfix image was rolled out by hand.', risk: 'high', confidence: 0.9, source: 'model', model: 'ollama/stub:7b' });
    expect(primary.prompts[0]).toMatch(/HIGH shop\/Deployment.apps\/web spec.template.spec.containers\[web\].image: git=web:1.0 live=web:1.1/);
  });

  it('falls back to the rules, marked as such, when answers are invalid or propose commands', async () => {
    const primary = backend(['not json']);
    const secondary = backend([JSON.stringify({ intent: 'human_error', explanation: 'Run `kubectl rollout undo deploy/web` to fix it.', risk: 'high', confidence: 0.7 })]);
    const router = new ModelRouter({ primary, secondary, cloudEnabled: false, audit: () => {} });
    const i = await interpretDrift([image('web:1.0', 'web:1.0-hotfix')], router as DriftModel);
    expect(i.source).toBe('rules');
    expect(i.intent).toBe('emergency_hotfix');
    expect(i.fallbackReasons).toEqual([expect.stringMatching(/primary .*not valid JSON/), expect.stringMatching(/secondary .*proposes commands/)]);
  });

  it('never sends drift to a cloud model (sensitive intent)', async () => {
    const cloud = { ...backend([JSON.stringify({ intent: 'unknown', explanation: 'x', risk: 'low', confidence: 0.1 })]), provider: 'anthropic' } as unknown as ModelBackend & { prompts: string[] };
    const router = new ModelRouter({ cloud, cloudEnabled: true, audit: () => {} });
    const i = await interpretDrift([env], router as DriftModel);
    expect(i.source).toBe('rules');
    expect((cloud as unknown as { prompts: string[] }).prompts).toHaveLength(0);
  });

  it('is rules-only without a model', async () => {
    expect(await interpretDrift([env], undefined)).toMatchObject({ source: 'rules', intent: 'unknown', fallbackReasons: ['no local model configured'] });
  });
});
