/**
 * core/v1 Events as the controllers, the scheduler and the kubelet emit them, with the API
 * server's deduplication: a repeated event bumps `count` and `lastTimestamp` of the earlier one.
 */
import { randomBytes } from 'node:crypto';
import { clone, isoNow, type Json, keyOf, type StoredObject } from './objects.ts';
import { kubeletNodeName } from './pods.ts';
import { T_EVENT } from './resources.ts';
import type { ObjectStore } from './store.ts';

/** Writes Events into the store. */
export class EventRecorder {
  /** Dedup: `uid|type|reason|message` → event key. */
  private readonly index = new Map<string, string>();

  constructor(private readonly store: ObjectStore) {}

  /** Emits a core/v1 Event, or bumps `count`/`lastTimestamp` of the same earlier event. */
  record(involved: StoredObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string, fieldPath?: string): void {
    const namespace = involved.metadata.namespace ?? 'default';
    const dedupKey = `${involved.metadata.uid}|${type}|${reason}|${message}`;
    const now = isoNow();
    const existingKey = this.index.get(dedupKey);
    const existing = existingKey ? this.store.table(T_EVENT).get(existingKey) : undefined;
    if (existing) {
      const next = clone(existing);
      next.count = (typeof next.count === 'number' ? next.count : 1) + 1;
      next.lastTimestamp = now;
      this.store.commit(T_EVENT, next, { churn: true });
      return;
    }
    const involvedObject: Json = {
      kind: involved.kind,
      namespace,
      name: involved.metadata.name,
      uid: involved.metadata.uid,
      apiVersion: involved.apiVersion,
      resourceVersion: involved.metadata.resourceVersion,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    const event: StoredObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject,
      reason,
      message,
      source: component === 'kubelet' ? { component, host: kubeletNodeName(this.store) } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? kubeletNodeName(this.store) : '',
    };
    this.store.createInternal(T_EVENT, event);
    this.index.set(dedupKey, keyOf(event));
  }
}
