/**
 * Leader election on a Kubernetes Lease (`coordination.k8s.io/v1`), as client-go's
 * `tools/leaderelection` does with its LeaseLock:
 * - no Lease → create it with this replica as holder;
 * - a Lease held by another replica is respected until `leaseDurationSeconds` have passed since
 *   this replica last saw it change (local clock: observed time, never the recorded times, so
 *   clocks may differ between nodes), or at once when its holder released it (empty holder);
 * - taking over or renewing is an update with the read `resourceVersion`: of two candidates only
 *   one update succeeds, the other gets 409 Conflict and stays a candidate;
 * - release (on stop) writes an empty holder and a 1 s duration, as client-go's ReleaseOnCancel.
 * Needs `get`, `create`, `update` on `leases` in the Lease's namespace (deploy/overlays/ha).
 */
import { readFileSync } from 'node:fs';
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaderLock } from '../leader.ts';
import { makeApiClient } from './cluster.ts';

/** Where a pod finds its namespace (the service account mount). */
const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Options for {@link KubernetesLeaseLock}. */
export interface LeaseLockOptions {
  /** The Lease's name. */
  name: string;
  /** The Lease's namespace. */
  namespace: string;
  /** This replica's holderIdentity (unique per process). */
  identity: string;
  /** leaseDurationSeconds written into the Lease (client-go default 15). */
  leaseDurationSeconds: number;
  /** Deadline of one API call, ms (default 5000). */
  requestTimeoutMs?: number;
  /** The clock (ms), for tests. */
  now?: () => number;
}

/** The namespace this pod runs in, or undefined outside a cluster. */
export function podNamespace(): string | undefined {
  try {
    return readFileSync(POD_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** MicroTime as the API server writes it (RFC 3339 with microseconds). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A {@link LeaderLock} on a Lease object. */
export class KubernetesLeaseLock implements LeaderLock {
  private readonly api: CoordinationV1Api;
  private readonly now: () => number;
  /** The Lease spec last read, and when (local clock) it was first seen as it is. */
  private observed: { record: string; at: number } | undefined;
  /** When (local clock) the other holder's claim runs out, as last observed. */
  private holderExpiresAt: number | undefined;
  /** The Lease as last written or read by this replica (its resourceVersion makes updates safe). */
  private current: V1Lease | undefined;

  constructor(
    kc: KubeConfig,
    private readonly options: LeaseLockOptions,
  ) {
    this.api = makeApiClient(kc, CoordinationV1Api, options.requestTimeoutMs ?? 5000);
    this.now = options.now ?? Date.now;
  }

  async tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.options;
    const now = this.now();
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!(err instanceof ApiException) || err.code !== 404) throw err;
      this.current = await this.api.createNamespacedLease({
        namespace,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: this.spec(identity, now, now, 0),
        },
      });
      this.observed = { record: recordOf(this.current), at: now };
      return true;
    }
    const record = recordOf(lease);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder && holder !== identity && this.observed.at + duration > now) {
      this.holderExpiresAt = this.observed.at + duration;
      return false;
    }
    this.holderExpiresAt = undefined;
    const mine = holder === identity;
    const body: V1Lease = {
      ...lease,
      spec: this.spec(
        identity,
        mine && spec.acquireTime ? Date.parse(String(spec.acquireTime)) : now,
        now,
        (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      ),
    };
    try {
      this.current = await this.api.replaceNamespacedLease({ name, namespace, body });
    } catch (err) {
      // 409: another replica wrote first (its update carried the same resourceVersion).
      if (err instanceof ApiException && err.code === 409) return false;
      throw err;
    }
    this.observed = { record: recordOf(this.current), at: now };
    return true;
  }

  expiresInMs(): number | undefined {
    return this.holderExpiresAt === undefined ? undefined : this.holderExpiresAt - this.now();
  }

  async release(): Promise<void> {
    const { name, namespace, identity } = this.options;
    const lease = await this.api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    const now = this.now();
    await this.api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: microTime(now) as unknown as Date,
          renewTime: microTime(now) as unknown as Date,
        },
      },
    });
  }

  private spec(identity: string, acquiredMs: number, renewedMs: number, transitions: number): V1Lease['spec'] {
    // MicroTime goes out as a string with microseconds (client-node would send milliseconds).
    return {
      holderIdentity: identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      acquireTime: microTime(acquiredMs) as unknown as Date,
      renewTime: microTime(renewedMs) as unknown as Date,
      leaseTransitions: transitions,
    };
  }
}

/** The parts of a Lease whose change means its holder is alive (client-go compares the whole record). */
function recordOf(lease: V1Lease): string {
  const s = lease.spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', s.leaseDurationSeconds, String(s.acquireTime ?? ''), String(s.renewTime ?? ''), s.leaseTransitions ?? 0]);
}
