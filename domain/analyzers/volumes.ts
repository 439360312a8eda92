/**
 * Volume analyzers: `pod.volume_unbound` (a PersistentVolumeClaim the pod needs is not bound, so
 * the scheduler cannot place it) and `pod.volume_mount_failed` (the kubelet cannot attach or mount
 * a volume that is not a missing ConfigMap/Secret — those are `pod.config_error`).
 *
 * Kubernetes semantics: the scheduler's VolumeBinding plugin reports `pod has unbound immediate
 * PersistentVolumeClaims` (or `persistentvolumeclaim "x" not found`); the PV controller records
 * `ProvisioningFailed` on the claim (`storageclass.storage.k8s.io "fast" not found`). The kubelet
 * records `FailedMount` (`MountVolume.SetUp failed for volume …`, `Unable to attach or mount
 * volumes: … timed out waiting for the condition`) and the attach/detach controller
 * `FailedAttachVolume` (`Multi-Attach error for volume … Volume is already exclusively attached to
 * one node and can't be attached to another`).
 * Source: https://kubernetes.io/docs/concepts/storage/persistent-volumes/
 */
import type { Analyzer, Evidence, Finding } from '../diagnosis.ts';
import type { KEvent, Pod } from '../k8s-objects.ts';
import { parseMissingReference } from './container-config.ts';
import { clip, eventLine, eventsAbout, lines, nameOf, podSubject } from './support.ts';

/** Scheduler messages that mean a claim is not bound (or does not exist). */
const UNBOUND = /unbound immediate PersistentVolumeClaims|persistentvolumeclaim "([^"]+)" not found|unbound PersistentVolumeClaim/i;

/** The claims a pod mounts (`spec.volumes[].persistentVolumeClaim.claimName`). */
export function claimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).flatMap((v) => {
    const claim = (v.persistentVolumeClaim as { claimName?: string } | undefined)?.claimName;
    return claim ? [claim] : [];
  });
}

/**
 * `pod.volume_unbound`: Pending pods whose scheduling fails on an unbound or missing claim.
 * Confidence 0.93 (above `pod.unschedulable`, which reports the same message as a symptom).
 * Action: `escalate` (a StorageClass, a PersistentVolume or the claim must be fixed). Params:
 * `pod`, `claims`.
 */
export const volumeUnboundAnalyzer: Analyzer = {
  name: 'pod.volume_unbound',
  analyze(evidence) {
    return evidence.pods.filter((p) => p.status?.phase === 'Pending').flatMap((pod) => unboundFinding(evidence, pod) ?? []);
  },
};

function unboundFinding(evidence: Evidence, pod: Pod): Finding | undefined {
  const event = eventsAbout(evidence, 'Pod', nameOf(pod), 'FailedScheduling').find((e) => UNBOUND.test(e.message ?? ''));
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && UNBOUND.test(c.message ?? ''));
  const message = event?.message ?? condition?.message;
  if (!message) return undefined;
  const missing = UNBOUND.exec(message)?.[1];
  const claims = missing ? [missing] : claimNames(pod);
  const claimEvents = claims.flatMap((c) => eventsAbout(evidence, 'PersistentVolumeClaim', c)).slice(0, 2);
  const claimObjects = (evidence.claims ?? []).filter((c) => claims.includes(nameOf(c)));
  const missingClass = claimObjects.map((c) => c.spec?.storageClassName).find((n) => n !== undefined && (evidence.missingStorageClasses ?? []).includes(n));
  const why = missingClass ? `: its StorageClass ${missingClass} does not exist` : claimEvents[0]?.message ? `: ${clip(claimEvents[0].message, 160)}` : '';
  return {
    analyzer: 'pod.volume_unbound',
    category: 'volume_unbound',
    cause: missing
      ? `Pod cannot be scheduled: its PersistentVolumeClaim ${missing} does not exist`
      : `Pod cannot be scheduled: its PersistentVolumeClaim${claims.length > 1 ? 's' : ''} ${claims.join(', ') || '(unnamed)'} ${claims.length > 1 ? 'are' : 'is'} not bound to a volume${why}`,
    evidence: lines(
      event ? eventLine(event) : clip(`Pod ${nameOf(pod)}: PodScheduled=False: ${message}`),
      ...claimEvents.map(eventLine),
      ...claimObjects.map((c) => `PersistentVolumeClaim ${nameOf(c)}: phase ${c.status?.phase ?? 'unknown'}, storageClassName ${c.spec?.storageClassName ?? 'default'}`),
    ),
    actions: ['escalate'],
    confidence: 0.93,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), claims: claims.join(','), ...(missingClass ? { missingStorageClass: missingClass } : {}) },
  };
}

/** Mount/attach failures that are about the volume itself. */
const MOUNT_FAILURE = /Multi-Attach error|AttachVolume\.Attach failed|MountVolume\.(?:SetUp|MountDevice|WaitForAttach) failed|Unable to attach or mount volumes|timed out waiting for the condition|mount failed/i;

/**
 * `pod.volume_mount_failed`: pods whose volumes cannot be attached or mounted (not a missing
 * ConfigMap or Secret). Confidence 0.9. Action: `escalate` (storage must be fixed; a Multi-Attach
 * usually clears once the old pod's node releases the volume). Params: `pod`, `volume`, `multiAttach`.
 */
export const volumeMountFailedAnalyzer: Analyzer = {
  name: 'pod.volume_mount_failed',
  analyze(evidence) {
    return evidence.pods.flatMap((pod) => mountFinding(evidence, pod) ?? []);
  },
};

function mountFinding(evidence: Evidence, pod: Pod): Finding | undefined {
  if (pod.status?.phase !== 'Pending') return undefined;
  const events = eventsAbout(evidence, 'Pod', nameOf(pod)).filter((e) => e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume');
  if (events.length === 0 || events.some((e) => parseMissingReference(e.message ?? ''))) return undefined;
  const specific = events.filter((e) => MOUNT_FAILURE.test(e.message ?? '')).sort((a, b) => specificity(b) - specificity(a));
  const event = specific[0];
  if (!event) return undefined;
  const message = event.message ?? '';
  const volume = /volume "([^"]+)"/.exec(message)?.[1] ?? /unmounted volumes=\[([^\]]+)\]/.exec(message)?.[1];
  const multiAttach = /Multi-Attach error/i.test(message);
  const detail = multiAttach
    ? 'it is a ReadWriteOnce volume still attached to another node (Multi-Attach error)'
    : clip(message.replace(/^.*?failed for volume "[^"]+"\s*:\s*/i, ''), 160);
  return {
    analyzer: 'pod.volume_mount_failed',
    category: 'volume_mount_failed',
    cause: `Pod cannot start: volume ${volume ?? '?'} cannot be ${/attach/i.test(message) ? 'attached' : 'mounted'}: ${detail}`,
    evidence: lines(...specific.slice(0, 2).map(eventLine)),
    actions: ['escalate'],
    confidence: 0.9,
    subject: podSubject(pod),
    params: { pod: nameOf(pod), ...(volume ? { volume } : {}), multiAttach: multiAttach ? 1 : 0 },
  };
}

/** Specific messages (Multi-Attach, SetUp failed) before the generic timeout. */
function specificity(e: KEvent): number {
  const m = e.message ?? '';
  return /Multi-Attach/.test(m) ? 3 : /failed for volume/.test(m) ? 2 : 1;
}
