/**
 * Public entry of drift detection in the agent: the service, its ports and views, and a factory
 * that wires it from the configuration. `bot/drift.ts` and `jobs/drift.ts` use only this module.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Clock, ClusterPort } from '../ports.ts';
import type { DriftAudit, DriftChatPort, DriftModel, DriftProposer, RoleLookup } from './ports.ts';
import { DriftRepository } from './repository.ts';
import { DriftService, type DriftServiceSettings } from './service.ts';

export { DriftService, type DriftActor, type DriftReply, type DriftScanResult, type DriftServiceDeps, type DriftServiceSettings } from './service.ts';
export { DriftRepository } from './repository.ts';
export type { CardButton, CardRef, DriftAudit, DriftAuditEntry, DriftChatPort, DriftModel, DriftProposer, RoleLookup } from './ports.ts';
export * from './types.ts';
export { buildDriftCard, formatValue, groupItems, isOpen } from './views.ts';
export { interpretByRules, interpretDrift, driftInterpretationSchema } from './interpret.ts';
export { scanDesiredState, type ScanOutcome, type ScanSpec } from './scan.ts';

/**
 * Builds the drift service from the configuration, or returns undefined when no source is
 * configured (DRIFT_REPO / DRIFT_SOURCES unset).
 * @example
 * const drift = createDriftService(config, { orm, cluster, chat: createDriftNotifier(bot.api), proposer: agent,
 *   model, audit: (e) => store.audit(e, new Date()), roleOf: (id) => agent.roleOf(id), clock, log });
 */
export function createDriftService(
  config: Readonly<Config>,
  deps: {
    orm: MikroORM;
    cluster: ClusterPort;
    chat?: DriftChatPort;
    proposer: DriftProposer;
    model?: DriftModel;
    audit: DriftAudit;
    roleOf: RoleLookup;
    clock: Clock;
    log: Logger;
  },
  options: Pick<DriftServiceSettings, 'rollbackPollMs' | 'kubectl'> = {},
): DriftService | undefined {
  const drift = config.drift;
  if (drift.sources.length === 0) return undefined;
  const chatId = drift.chatId ?? config.telegram.chatIds[0];
  if (chatId === undefined) throw new Error('drift reports need a chat: set DRIFT_CHAT_ID or TELEGRAM_CHAT_IDS');
  return new DriftService(
    {
      repository: new DriftRepository(deps.orm),
      cluster: deps.cluster,
      chat: deps.chat,
      proposer: deps.proposer,
      model: deps.model,
      audit: deps.audit,
      roleOf: deps.roleOf,
      clock: deps.clock,
      log: deps.log,
    },
    {
      sources: drift.sources,
      pushMode: drift.pushMode,
      branchPrefix: drift.branchPrefix,
      ownershipLabel: drift.ownershipLabel,
      ignoreFields: drift.ignoreFields,
      cacheDir: drift.cacheDir,
      author: drift.author,
      chatId,
      ...options,
    },
  );
}
