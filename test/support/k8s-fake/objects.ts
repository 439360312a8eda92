/**
 * Object shapes as the fake stores them, the labels and annotations its controllers write, and
 * small helpers shared by every part of the fake (cloning, canonical comparison, storage keys,
 * generated names, owner references).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { KObject, ObjectMeta, Pod } from '../../../domain/k8s-objects.ts';

/** A JSON object. */
export type Json = Record<string, unknown>;

/** One `metadata.managedFields` entry (what server-side apply records). */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Json;
  subresource?: string;
}

/** `metadata` with the server-managed fields that {@link ObjectMeta} leaves out. */
export interface Meta extends ObjectMeta {
  generateName?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

/** An object as stored: apiVersion, kind and metadata always present. */
export interface StoredObject extends KObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
}

/** Revision of a Deployment and of its ReplicaSets. */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** Earlier revisions of a ReplicaSet reused by a rollback. */
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** Replicas the owning Deployment wanted when it last scaled the ReplicaSet. */
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
/** Desired replicas plus maxSurge, as the deployment controller writes it. */
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
/** Label the deployment controller adds to ReplicaSets and pods of one template. */
export const TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** Label of StatefulSet and DaemonSet pods naming their template revision. */
export const CONTROLLER_REVISION_LABEL = 'controller-revision-hash';
/** Label of StatefulSet pods carrying their own name. */
export const STS_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';

/** Whether `value` is a JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy (structuredClone). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** JSON with object keys sorted and undefined members dropped, for content comparison. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'undefined';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    if (value[key] !== undefined) out[key] = sortKeys(value[key]);
  }
  return out;
}

/** Equal as canonical JSON (key order and undefined members ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

/** RFC 3339 time with second precision, as the API server writes it. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Characters Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix of `length` characters, as `generateName` gets. */
export function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += SUFFIX_ALPHABET[byte % SUFFIX_ALPHABET.length];
  return out;
}

/** A suffix of `length` characters derived from `text` (template hashes). */
export function hashSuffix(text: string, length: number): string {
  const bytes = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[bytes[i]! % SUFFIX_ALPHABET.length];
  return out;
}

/** Exact string match, or a RegExp test (safe for RegExps with the `g` flag). */
export function matchesName(pattern: string | RegExp, value: string): boolean {
  if (typeof pattern === 'string') return pattern === value;
  pattern.lastIndex = 0;
  return pattern.test(value);
}

/** Storage key: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** Byte-wise order of storage keys, as etcd lists them (and as `continue` tokens assume). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Storage key of a stored object. */
export function keyOf(obj: StoredObject): string {
  return objectKey(obj.metadata.namespace, obj.metadata.name ?? '');
}

/** Resolves an int-or-percent value (`maxSurge: '25%'`) against `total`. */
export function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const percent = /^(\d+)%$/.exec(value);
    if (percent) {
      const raw = (Number(percent[1]) * total) / 100;
      return roundUp ? Math.ceil(raw) : Math.floor(raw);
    }
    if (/^\d+$/.test(value)) return Number(value);
  }
  return 0;
}

/** The `deployment.kubernetes.io/revision` of an object, 0 when missing. */
export function revisionOf(obj: KObject): number {
  const raw = obj.metadata?.annotations?.[REVISION_ANNOTATION];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : 0;
}

/** Whether the pod has condition Ready=True. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Whether `obj` has an ownerReference to `ownerKind`/`ownerName`. */
export function isOwnedBy(obj: KObject, ownerKind: string, ownerName: string | undefined): boolean {
  return obj.metadata?.ownerReferences?.some((r) => r.kind === ownerKind && r.name === ownerName) ?? false;
}

type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number] & { blockOwnerDeletion?: boolean };

/** The ownerReference a controller puts on what it creates. */
export function controllerRef(owner: StoredObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The value at `path` in nested objects, or undefined. */
export function dig(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined;
  return cur;
}

/** Same stored content, ignoring resourceVersion. */
export function sameContent(a: StoredObject, b: StoredObject): boolean {
  const strip = (o: StoredObject): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return deepEqual(strip(a), strip(b));
}
