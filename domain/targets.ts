/**
 * Parsing `namespace/Kind/name` target references typed by people (`/diagnose`, CLI). Pure.
 */
import { TARGET_KINDS, type TargetKind, type TargetRef } from './diagnosis.ts';

const KIND_ALIASES: Record<string, TargetKind> = {
  deployment: 'Deployment',
  deploy: 'Deployment',
  deployments: 'Deployment',
  statefulset: 'StatefulSet',
  sts: 'StatefulSet',
  statefulsets: 'StatefulSet',
  daemonset: 'DaemonSet',
  ds: 'DaemonSet',
  daemonsets: 'DaemonSet',
  job: 'Job',
  jobs: 'Job',
  cronjob: 'CronJob',
  cj: 'CronJob',
  cronjobs: 'CronJob',
  pod: 'Pod',
  po: 'Pod',
  pods: 'Pod',
  node: 'Node',
  no: 'Node',
  nodes: 'Node',
};

/** Outcome of {@link parseTargetRef}. */
export type TargetParse = { kind: 'ok'; target: TargetRef } | { kind: 'invalid'; message: string };

/**
 * Parses `namespace/kind/name` (kind as kubectl spells it: `deploy`, `deployment`, `Deployment`,
 * `sts`, `po`, …) or `node/<name>` for nodes.
 */
export function parseTargetRef(text: string): TargetParse {
  const parts = text.trim().split('/').filter(Boolean);
  const usage = `expected <namespace>/<kind>/<name> (kinds: ${TARGET_KINDS.join(', ')}) or node/<name>, got "${text.trim()}"`;
  if (parts.length === 2) {
    const kind = KIND_ALIASES[parts[0].toLowerCase()];
    if (kind === 'Node') return { kind: 'ok', target: { kind: 'Node', namespace: '', name: parts[1] } };
    return { kind: 'invalid', message: usage };
  }
  if (parts.length !== 3) return { kind: 'invalid', message: usage };
  const kind = KIND_ALIASES[parts[1].toLowerCase()];
  if (!kind || kind === 'Node') return { kind: 'invalid', message: `unknown kind "${parts[1]}": ${usage}` };
  const dns = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
  if (!dns.test(parts[0]) || !dns.test(parts[2])) return { kind: 'invalid', message: `names must be lower-case DNS names: ${usage}` };
  return { kind: 'ok', target: { kind, namespace: parts[0], name: parts[2] } };
}
