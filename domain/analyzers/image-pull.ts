/**
 * `pod.image_pull`: containers that cannot pull their image (`ErrImagePull`, `ImagePullBackOff`,
 * `InvalidImageName`, `ErrImageNeverPull`), classified from the waiting message and the kubelet's
 * `Failed` events, whose messages carry the registry's answer (`… not found`,
 * `pull access denied …`, `429 Too Many Requests`, …).
 * Source: https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff
 */
import type { ActionKind, Analyzer, Evidence, Finding } from '../diagnosis.ts';
import { type Revision, rolloutHistory, isRevisionHealthy } from './revisions.ts';
import { type ContainerView, capitalise, containerLabel, containerViews, eventLine, eventsAbout, lines, nameOf, podSubject, waitingLine } from './support.ts';

/** Why a pull fails. */
export type PullFailure = 'not_found' | 'unauthorized' | 'rate_limited' | 'unreachable' | 'invalid' | 'unknown';

const PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/** Message patterns, checked in order: the first match wins. Docker Hub's ambiguous "pull access denied, repository does not exist or may require authorization" is `unauthorized`. */
const PULL_PATTERNS: Array<[PullFailure, RegExp]> = [
  ['rate_limited', /toomanyrequests|429 too many requests|rate limit/i],
  ['unauthorized', /unauthorized|pull access denied|authorization failed|authentication required|\b401\b|\b403\b|forbidden|denied:/i],
  ['not_found', /manifest unknown|not found|\b404\b|no such image|does not exist/i],
  ['unreachable', /no such host|i\/o timeout|connection refused|network is unreachable|x509|tls:|dial tcp/i],
  ['invalid', /invalid reference format|InvalidImageName|couldn't parse image/i],
];

/** Plain-language explanation per failure kind. */
const EXPLANATIONS: Record<PullFailure, string> = {
  not_found: 'the image or tag does not exist in the registry',
  unauthorized: 'the registry refuses access: the repository does not exist or needs credentials (imagePullSecrets)',
  rate_limited: 'the registry rate-limits pulls (429 Too Many Requests)',
  unreachable: 'the registry cannot be reached (DNS, network or TLS)',
  invalid: 'the image reference is invalid',
  unknown: 'the pull fails',
};

/**
 * Classify a pull failure from kubelet messages.
 *
 * @param messages waiting message and event messages, most informative first.
 * @example classifyPullFailure(['… 429 Too Many Requests - Server message: toomanyrequests: …']) // 'rate_limited'
 */
export function classifyPullFailure(messages: string[]): PullFailure {
  for (const [kind, pattern] of PULL_PATTERNS) if (messages.some((m) => pattern.test(m))) return kind;
  return 'unknown';
}

/**
 * `pod.image_pull`. Actions: `rollback` then `escalate` when an older revision ran a different
 * image and was healthy, else `escalate`. Params: `container`, `image`, `pullFailure`
 * (and `toRevision` with a rollback).
 */
export const imagePullAnalyzer: Analyzer = {
  name: 'pod.image_pull',
  analyze(evidence) {
    return evidence.pods.flatMap((pod) =>
      containerViews(pod)
        .filter((view) => PULL_REASONS.has(view.status.state?.waiting?.reason ?? ''))
        .map((view) => imagePullFinding(evidence, view)),
    );
  },
};

function imagePullFinding(evidence: Evidence, view: ContainerView): Finding {
  const image = view.spec?.image ?? view.status.image ?? 'unknown';
  const failed = pullFailureEvents(evidence, view);
  const waiting = view.status.state?.waiting;
  const kind = waiting?.reason === 'InvalidImageName' ? 'invalid' : classifyPullFailure([waiting?.message ?? '', ...failed.map((e) => e.message ?? '')]);
  const working = olderWorkingImage(evidence, view, image);
  const actions: ActionKind[] = working ? ['rollback', 'escalate'] : ['escalate'];
  const workingLine = working && `Revision ${working.revision.number} (ReplicaSet ${working.revision.name}) ran image ${working.image} and was healthy`;
  return {
    analyzer: 'pod.image_pull',
    category: 'image_pull',
    cause: `${capitalise(containerLabel(view))} cannot pull image ${image}: ${EXPLANATIONS[kind]}`,
    evidence: lines(waitingLine(view), ...failed.slice(0, 2).map(eventLine), workingLine),
    actions,
    confidence: kind === 'unknown' ? 0.8 : 0.9,
    subject: podSubject(view.pod),
    params: {
      pod: nameOf(view.pod),
      container: view.status.name,
      image,
      pullFailure: kind,
      ...(working ? { toRevision: working.revision.number } : {}),
    },
  };
}

/** The kubelet's `Failed` events for this container that carry the registry's answer. */
function pullFailureEvents(evidence: Evidence, view: ContainerView) {
  return eventsAbout(evidence, 'Pod', nameOf(view.pod), 'Failed').filter((e) => /pull/i.test(e.message ?? '') && !/^Error: /.test(e.message ?? ''));
}

/**
 * An older, healthy revision of the Deployment that ran a different image in this container, when
 * the failing pod belongs to the latest revision.
 */
function olderWorkingImage(evidence: Evidence, view: ContainerView, image: string): { revision: Revision; image: string } | undefined {
  const [latest, ...older] = rolloutHistory(evidence);
  if (!latest?.pods.includes(view.pod)) return undefined;
  for (const revision of older.filter(isRevisionHealthy)) {
    const template = revision.replicaSet.spec?.template?.spec;
    const containers = view.init ? template?.initContainers : template?.containers;
    const old = containers?.find((c) => c.name === view.status.name)?.image;
    if (old && old !== image) return { revision, image: old };
  }
  return undefined;
}
