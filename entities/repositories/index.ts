/**
 * The core's repository ports on PostgreSQL, one class per aggregate, each decoding rows into the
 * core's typed values once. `main.ts` builds them with {@link createStore} and hands them to
 * `createAgent`; nothing else in the core sees the ORM.
 *
 * All methods throw the driver's error when PostgreSQL fails; callers decide whether that is a
 * 503 (webhook), a retry (jobs) or a polite error (chat).
 */
import type { AuditEntry, Repositories } from '../../agent/ports.ts';
import type { MikroORM } from '../orm.ts';
import { OrmAuditLog, OrmCardMessageRepository, OrmSilenceRepository } from './chat.ts';
import { OrmIncidentRepository } from './incidents.ts';
import { OrmJobQueue } from './jobs.ts';
import { OrmKnowledgeRepository } from './knowledge.ts';
import { OrmRemediationRepository } from './remediations.ts';

export { OrmAuditLog, OrmCardMessageRepository, OrmSilenceRepository, OrmIncidentRepository, OrmJobQueue, OrmKnowledgeRepository, OrmRemediationRepository };
export { decodeJob } from './jobs.ts';

/** The repositories over one ORM, plus `audit(entry, now)` for adapters that only write audit rows. */
export interface Store extends Repositories {
  incidents: OrmIncidentRepository;
  remediations: OrmRemediationRepository;
  knowledge: OrmKnowledgeRepository;
  silences: OrmSilenceRepository;
  cards: OrmCardMessageRepository;
  auditLog: OrmAuditLog;
  jobs: OrmJobQueue;
  /** Appends an audit row (the model router's and drift's audit callbacks). */
  audit(entry: AuditEntry, now: Date): Promise<void>;
}

/** Builds every repository over `orm` (construct once per process; each call forks the EntityManager). */
export function createStore(orm: MikroORM): Store {
  const auditLog = new OrmAuditLog(orm);
  return {
    incidents: new OrmIncidentRepository(orm),
    remediations: new OrmRemediationRepository(orm),
    knowledge: new OrmKnowledgeRepository(orm),
    silences: new OrmSilenceRepository(orm),
    cards: new OrmCardMessageRepository(orm),
    auditLog,
    jobs: new OrmJobQueue(orm),
    audit: (entry, now) => auditLog.append(entry, now),
  };
}
