/**
 * In-memory stand-ins for what the bot talks to (the core, the drift and coverage services), for
 * bot tests through `bot.handleUpdate`. Every method records its calls; a method a test does not
 * set rejects, so an unexpected call shows up as a failed update in the log.
 */
import type { Agent } from '../../agent/index.ts';
import type { Role } from '../../domain/authz.ts';
import type { DriftChat } from '../../bot/features/drift.ts';
import type { CoverageCommands } from '../../bot/features/coverage.ts';

/** Telegram users of the tests, with their roles on the operator list (`stranger` has none). */
export const PEOPLE = {
  alice: { id: 101, first_name: 'Alice', username: 'alice' },
  bob: { id: 102, first_name: 'Bob' },
  vic: { id: 103, first_name: 'Vic' },
  stranger: { id: 999, first_name: 'Eve' },
} as const;

const ROLES: Record<number, Role> = { [PEOPLE.alice.id]: 'admin', [PEOPLE.bob.id]: 'approver', [PEOPLE.vic.id]: 'viewer' };

/** Calls made to a fake, by method: the argument lists in order. */
export type Recorded = Record<string, unknown[][]>;

/**
 * Wraps `impl` so every call is recorded in `calls`; any other method rejects with
 * `unexpected call <name>`.
 */
function recording<T extends object>(impl: Record<string, (...args: any[]) => unknown>, calls: Recorded): T {
  return new Proxy(impl, {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => {
        (calls[name] ??= []).push(args);
        const fn = target[name];
        return fn ? fn(...args) : Promise.reject(new Error(`unexpected call ${name}`));
      };
    },
  }) as T;
}

/** A fake core: `roleOf` from {@link PEOPLE}, the rest as given. */
export function fakeAgent(impl: Record<string, (...args: any[]) => unknown> = {}): { agent: Agent; calls: Recorded } {
  const calls: Recorded = {};
  const agent = recording<Agent>({ roleOf: (id: number) => ROLES[id], ...impl }, calls);
  return { agent, calls };
}

/** A fake drift service: `isOperator` from {@link PEOPLE}, the rest as given. */
export function fakeDrift(impl: Record<string, (...args: any[]) => unknown> = {}): { drift: DriftChat; calls: Recorded } {
  const calls: Recorded = {};
  const drift = recording<DriftChat>({ isOperator: (id: number) => ROLES[id] !== undefined, ...impl }, calls);
  return { drift, calls };
}

/** A fake coverage service with the given methods. */
export function fakeCoverage(impl: Record<string, (...args: any[]) => unknown> = {}): { coverage: CoverageCommands; calls: Recorded } {
  const calls: Recorded = {};
  return { coverage: recording<CoverageCommands>(impl, calls), calls };
}
