/**
 * The `diagnose` job: evidence → diagnosis → plan → a remediation (auto-approved when its tier
 * and the guardrails allow) → the card. Reads the incident and its newest remediation once.
 */
import { formatTarget } from '../../domain/diagnosis.ts';
import { isIn, LIVE } from '../../domain/remediation/index.ts';
import { diagnose, type DiagnosisRecord } from '../diagnose.ts';
import { gatherEvidence } from '../evidence.ts';
import { planRemediation } from '../plan.ts';
import type { Incident, Remediation } from '../ports.ts';
import type { CardPublisher } from './card-publisher.ts';
import type { Core } from './context.ts';
import { storePlanned, symptomsHashOf } from './support.ts';

/** The diagnosis of an incident whose alert names no Kubernetes object. */
const NO_TARGET: DiagnosisRecord = {
  source: 'none',
  category: 'unknown',
  cause: 'The alert names no Kubernetes object (no namespace with deployment/pod/statefulset/daemonset/job labels, or node)',
  evidence: [],
  confidence: 0,
  action: 'escalate',
  params: {},
  findings: [],
  gaps: [],
  target: null,
  fallbackReasons: [],
};

/**
 * Runs the `diagnose` job of an incident. A retried job whose incident already has a diagnosis
 * and a live remediation only re-publishes the card; a reopened incident with a finished
 * remediation is diagnosed afresh.
 */
export async function runDiagnosis(core: Core, cards: CardPublisher, incidentId: number): Promise<void> {
  const { repos } = core;
  const incident = await repos.incidents.get(incidentId);
  if (!incident) return;
  let latest = await repos.remediations.latestOf(incidentId);
  let shown: Incident = incident;
  if (!latest || !isIn(LIVE, latest.state) || !incident.diagnosis) {
    const outcome = await diagnoseAndPlan(core, incident);
    shown = outcome.incident;
    latest = outcome.remediation ?? latest;
  }
  await cards.publish(incidentId, { incident: shown, remediation: latest ?? null });
}

async function diagnoseAndPlan(core: Core, incident: Incident): Promise<{ incident: Incident; remediation?: Remediation }> {
  const { repos, clock, cluster, settings } = core;
  if (!incident.target) {
    await repos.incidents.setDiagnosis(incident.id, NO_TARGET, null);
    return { incident: { ...incident, diagnosis: NO_TARGET } };
  }
  const t0 = Date.now();
  const evidence = await gatherEvidence(cluster, incident.target, { logTailLines: settings.logTailLines, now: clock.now() });
  const diagnosis = await diagnose(evidence, core.model);
  const target = evidence.target;
  await repos.incidents.setDiagnosis(incident.id, diagnosis, target);
  await core.audit('worker', 'incident.diagnose', `incident:${incident.id}`, {
    input: { target: formatTarget(incident.target) },
    output: { source: diagnosis.source, category: diagnosis.category, action: diagnosis.action, gaps: diagnosis.gaps },
    durationMs: Date.now() - t0,
  });
  const hash = symptomsHashOf(diagnosis, target);
  const [history, antiPatternSince] = await Promise.all([
    repos.remediations.guardrailHistory(target, clock.now()),
    repos.knowledge.antiPatternSince(hash, diagnosis.action, clock.now()),
  ]);
  const plan = await planRemediation(diagnosis, evidence, cluster, settings.policy, clock.now(), { history, antiPatternSince });
  const now = clock.now();
  let rem = await storePlanned(core, incident.id, plan, now, { origin: 'alert', symptomsHash: hash, confidence: diagnosis.confidence });
  await core.audit('worker', 'remediation.propose', `incident:${incident.id}`, {
    output: { action: plan.action, tier: plan.tier, score: plan.blastRadius.score, guardrails: plan.guardrails, dryRun: plan.dryRun },
  });
  if (plan.autoExecute) {
    // A silenced group is muted: nothing runs on its own while nobody is shown a card.
    const muted = await repos.silences.silencedUntil(incident.groupKey, now);
    if (plan.dryRun?.ok && !muted) {
      // Tier auto with the guardrails passing: executed without a human, reported on the card.
      if (await repos.remediations.autoApprove(rem.id, now)) rem = { ...rem, state: 'approved' };
      await core.audit('auto', 'remediation.auto_approve', `remediation:${rem.id}`, { output: { score: plan.blastRadius.score } });
      core.nudge();
    } else {
      rem = (await repos.remediations.transition(rem.id, ['proposed'], 'pending', now)) ?? rem;
    }
  }
  return { incident: { ...incident, diagnosis, target }, remediation: rem };
}
