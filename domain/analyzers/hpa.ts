/**
 * `hpa.maxed`: a HorizontalPodAutoscaler that runs at `maxReplicas` and wants more.
 *
 * Kubernetes semantics: the HPA caps its desired replicas at `spec.maxReplicas` and then reports
 * `ScalingLimited=True, reason TooManyReplicas` ("the desired replica count is more than the
 * maximum replica count"). Source: https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
 */
import type { Analyzer, Finding } from '../diagnosis.ts';
import type { HorizontalPodAutoscaler } from '../k8s-objects.ts';
import { clip, lines, nameOf } from './support.ts';

/**
 * `hpa.maxed`. Confidence 0.8 when `ScalingLimited` says demand exceeds the maximum
 * (`TooManyReplicas`), 0.5 when the HPA merely sits at its maximum. Actions: `escalate` first
 * (raising `maxReplicas` or capacity is a decision for a person; scaling the target by hand is
 * undone by the HPA at its next sync), then `scale`. Params: `hpa`, `maxReplicas`,
 * `currentReplicas`, `desiredReplicas`.
 */
export const hpaMaxedAnalyzer: Analyzer = {
  name: 'hpa.maxed',
  analyze(evidence) {
    const finding = evidence.hpa ? hpaFinding(evidence.hpa) : undefined;
    return finding ? [finding] : [];
  },
};

function hpaFinding(hpa: HorizontalPodAutoscaler): Finding | undefined {
  const max = hpa.spec?.maxReplicas;
  const current = hpa.status?.currentReplicas ?? 0;
  const desired = hpa.status?.desiredReplicas ?? current;
  const limited = hpa.status?.conditions?.find((c) => c.type === 'ScalingLimited' && c.status === 'True' && c.reason === 'TooManyReplicas');
  if (max === undefined || (current < max && !limited)) return undefined;
  const name = nameOf(hpa);
  const target = hpa.spec?.scaleTargetRef ? `${hpa.spec.scaleTargetRef.kind}/${hpa.spec.scaleTargetRef.name}` : 'its target';
  return {
    analyzer: 'hpa.maxed',
    category: 'hpa_maxed',
    cause: limited
      ? `HPA ${name} is capped at its maximum of ${max} replicas while the load asks for more, so ${target} cannot scale out further`
      : `HPA ${name} runs ${target} at its maximum of ${max} replicas`,
    evidence: lines(
      `HPA ${name}: ${current} current, ${desired} desired, min ${hpa.spec?.minReplicas ?? 1}, max ${max} replicas`,
      limited && clip(`HPA ${name}: condition ScalingLimited=True (TooManyReplicas)${limited.message ? `: ${limited.message}` : ''}`),
    ),
    actions: ['escalate', 'scale'],
    confidence: limited ? 0.8 : 0.5,
    subject: `HorizontalPodAutoscaler/${name}`,
    params: { hpa: name, maxReplicas: max, currentReplicas: current, desiredReplicas: desired },
  };
}
