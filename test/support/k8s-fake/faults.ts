/**
 * Fault injection: requests matching a {@link FaultSpec} are answered with the fault instead of
 * being served, `times` times (see {@link K8sFake.injectFault}).
 */
import { REASON_BY_CODE, statusObject, type Reply } from './errors.ts';
import type { FaultSpec, K8sFake } from './index.ts';
import { matchesName } from './objects.ts';

/** A fault not yet spent. */
export interface ActiveFault extends FaultSpec {
  remaining: number;
}

/** The faults injected and not yet spent, oldest first. */
export class FaultInjector {
  private faults: ActiveFault[] = [];

  /** Arms `fault` for its `times` matching requests (default 1). */
  inject(fault: FaultSpec): void {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Disarms every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The first armed fault matching `method` (upper case) and `path`, spending one of its uses. */
  take(method: string, path: string): ActiveFault | undefined {
    const fault = this.faults.find((f) => (!f.method || f.method.toUpperCase() === method) && matchesName(f.path, path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }
}

/** The answer to a request hit by `fault`: its body, or a `Status` with the reason of its code. */
export function faultReply(fault: ActiveFault): Reply {
  if (typeof fault.body === 'string') return { status: fault.status, text: fault.body };
  if (fault.body !== undefined) return { status: fault.status, json: fault.body };
  const reason = REASON_BY_CODE[fault.status] ?? 'Unknown';
  const message = fault.status >= 500 ? 'Internal error occurred: injected fault' : `injected fault (${fault.status})`;
  return { status: fault.status, json: statusObject('Failure', fault.status, reason, message, {}) };
}
