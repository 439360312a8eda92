/**
 * Interpretation of a drift report: what the drift probably is (emergency hotfix, human error,
 * automated change, unknown), why, how risky it is and how sure we are. The local model answers
 * through the router's `drift-interpret` intent (sensitive: local models only, secrets redacted);
 * it only labels — an answer that proposes commands is discarded. When no model is configured or
 * none answers validly, {@link interpretByRules} gives a rules-based label, marked `rules`.
 */
import { z } from 'zod';
import { formatRef, type DriftLevel } from '../../domain/drift/index.ts';
import type { KObject } from '../../domain/k8s-objects.ts';
import type { DriftModel } from './ports.ts';
import type { DriftInterpretation, StoredDriftItem } from './types.ts';

/** The answer a model must give (strict: unknown keys make it invalid). */
export const driftInterpretationSchema = z.strictObject({
  intent: z.enum(['emergency_hotfix', 'human_error', 'automated_change', 'unknown']),
  /** One to three sentences for the on-call engineer. */
  explanation: z.string().trim().min(1).max(1_000),
  risk: z.enum(['low', 'medium', 'high']),
  confidence: z.number().min(0).max(1),
});

/** Most items put in a prompt (the rest are counted). */
export const PROMPT_MAX_ITEMS = 60;
const VALUE_CHARS = 120;

const SYSTEM = `You classify configuration drift between Git (the desired state) and a live Kubernetes cluster.
Given the drifted fields, label the most likely intent:
- emergency_hotfix: someone changed the cluster on purpose to fix an incident (new image tag such as a -hotfix build, raised limits, a changed flag);
- human_error: an accidental or unreviewed manual change (a deleted object, a typo, a debug setting left on);
- automated_change: a controller or tool changed it (an autoscaler changing replicas, an injected sidecar, a mutating webhook);
- unknown: the evidence does not say.
Answer only JSON: {"intent": one of the four, "explanation": one to three sentences, "risk": "low"|"medium"|"high", "confidence": 0 to 1}.
Never propose commands, patches or steps to run; only describe.`;

/**
 * Interprets a report: the model first (when given), else the rules.
 * @param objects live and Git objects involved (HPAs among them tell autoscaled workloads).
 */
export async function interpretDrift(items: readonly StoredDriftItem[], model: DriftModel | undefined, context: { autoscaled: ReadonlySet<string> } = { autoscaled: new Set() }): Promise<DriftInterpretation> {
  if (!model) return { ...interpretByRules(items, context), fallbackReasons: ['no local model configured'] };
  const outcome = await model.complete('drift-interpret', {
    system: SYSTEM,
    user: driftPrompt(items, context),
    schema: driftInterpretationSchema,
    check: (answer) => (proposesCommands(answer.explanation) ? 'the explanation proposes commands; only a label and a description are allowed' : undefined),
  });
  if (outcome.kind === 'answer') {
    return { ...outcome.value, source: 'model', model: `${outcome.provider}/${outcome.model}` };
  }
  return { ...interpretByRules(items, context), fallbackReasons: outcome.fallbackReasons };
}

/** The user part of the prompt: one line per item, levels first, values cut short. */
export function driftPrompt(items: readonly StoredDriftItem[], context: { autoscaled: ReadonlySet<string> }): string {
  const order: Record<DriftLevel, number> = { high: 0, medium: 1, info: 2 };
  const sorted = [...items].sort((a, b) => order[a.level] - order[b.level]);
  const lines = sorted.slice(0, PROMPT_MAX_ITEMS).map((i) => {
    const where = `${formatRef(i)}${i.path ? ` ${i.path}` : ''}`;
    switch (i.change) {
      case 'missing':
        return `${i.level.toUpperCase()} ${where}: declared in Git, missing from the cluster`;
      case 'not_in_git':
        return `${i.level.toUpperCase()} ${where}: in the cluster (managed label), not in Git`;
      case 'modified':
        return `${i.level.toUpperCase()} ${where}: git=${short(i.gitValue)} live=${short(i.liveValue)}`;
    }
  });
  if (items.length > PROMPT_MAX_ITEMS) lines.push(`… and ${items.length - PROMPT_MAX_ITEMS} more item(s)`);
  const autoscaled = [...context.autoscaled];
  if (autoscaled.length) lines.push(`Workloads driven by an autoscaler: ${autoscaled.slice(0, 20).join(', ')}`);
  return `Drifted fields (${items.length}):\n${lines.join('\n')}`;
}

function short(value: unknown): string {
  const text = value === null || value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

/** Command-like text (`kubectl …`, a shell prompt, a code block). */
export function proposesCommands(text: string): boolean {
  return /```|\bkubectl\s+\w|\bhelm\s+(upgrade|install|rollback)\b|\bgit\s+(push|revert|commit|checkout)\b|^\s*\$\s/im.test(text);
}

/**
 * The rules-based interpretation (source `rules`):
 * - only `info` items (replicas an autoscaler drives), or replicas of autoscaled workloads →
 *   automated_change;
 * - an image whose live tag looks like a fix (`hotfix`, `fix`, `patch`, `hf`) or is a newer version
 *   than Git's → emergency_hotfix;
 * - objects missing from the cluster → human_error (deleted by hand, or never applied);
 * - otherwise unknown.
 * Risk: high when any item is HIGH, medium when any is MEDIUM, else low.
 */
export function interpretByRules(items: readonly StoredDriftItem[], context: { autoscaled: ReadonlySet<string> } = { autoscaled: new Set() }): DriftInterpretation {
  const risk: DriftInterpretation['risk'] = items.some((i) => i.level === 'high') ? 'high' : items.some((i) => i.level === 'medium') ? 'medium' : 'low';
  const base = { risk, source: 'rules' as const };
  if (items.length === 0) return { ...base, intent: 'unknown', explanation: 'No drift.', confidence: 1 };
  const replicasOnly = items.every((i) => i.change === 'modified' && /^spec\.replicas$/.test(i.path));
  const autoscaledReplicas = replicasOnly && items.every((i) => i.level === 'info' || context.autoscaled.has(`${i.kind}/${i.namespace}/${i.name}`));
  if (items.every((i) => i.level === 'info') || autoscaledReplicas) {
    return { ...base, intent: 'automated_change', explanation: 'Only replica counts differ, on workloads an autoscaler drives: expected, not a manual change.', confidence: 0.8 };
  }
  const images = items.filter((i) => i.change === 'modified' && /(^|\.)image$/.test(i.path) && typeof i.gitValue === 'string' && typeof i.liveValue === 'string');
  const hotfix = images.find((i) => looksLikeFix(tagOf(i.liveValue as string)) || newerVersion(tagOf(i.gitValue as string), tagOf(i.liveValue as string)));
  if (hotfix) {
    const where = formatRef(hotfix);
    return {
      ...base,
      intent: 'emergency_hotfix',
      explanation: `The live image of ${where} (${tagOf(hotfix.liveValue as string)}) is a fix or a newer build than Git's (${tagOf(hotfix.gitValue as string)}): most likely a hotfix applied directly to the cluster.`,
      confidence: 0.6,
    };
  }
  const missing = items.filter((i) => i.change === 'missing');
  if (missing.length > 0 && missing.length === items.length) {
    return { ...base, intent: 'human_error', explanation: `${missing.length} object(s) declared in Git are missing from the cluster: deleted by hand, or never applied.`, confidence: 0.5 };
  }
  return { ...base, intent: 'unknown', explanation: `${items.length} field(s) differ from Git; the rules cannot tell why (no model interpretation).`, confidence: 0.3 };
}

/** The tag of an image reference (`repo/app:1.2.3@sha256:…` → `1.2.3`), or `""`. */
export function tagOf(image: string): string {
  const noDigest = image.split('@')[0] ?? '';
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  return colon < 0 ? '' : noDigest.slice(colon + 1);
}

function looksLikeFix(tag: string): boolean {
  return /(^|[-_.])(hotfix|fix|patch|hf)([-_.\d]|$)/i.test(tag);
}

/** True when both tags are versions (`v1.2.3`, `1.2`) and `live` is greater. */
export function newerVersion(git: string, live: string): boolean {
  const parse = (t: string) => /^v?(\d+(?:\.\d+)*)/.exec(t)?.[1]?.split('.').map(Number);
  const a = parse(git);
  const b = parse(live);
  if (!a || !b) return false;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return y > x;
  }
  return false;
}

/** `Kind/namespace/name` of workloads an autoscaler targets, among `objects` (for the prompt and the rules). */
export function autoscaledWorkloads(objects: readonly KObject[], defaultNamespace: string): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler' && o.kind !== 'ScaledObject') continue;
    const target = (o.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
    if (target?.name) out.add(`${target.kind ?? 'Deployment'}/${o.metadata?.namespace ?? defaultNamespace}/${target.name}`);
  }
  return out;
}
