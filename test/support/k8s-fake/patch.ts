/**
 * The four PATCH content types the API server accepts — RFC 6902 JSON patch, RFC 7386 JSON merge
 * patch, Kubernetes strategic merge patch, server-side apply (merged here like a strategic merge,
 * without field-ownership conflicts) — and the managed-fields record an apply leaves.
 * Source: https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
 */
import { badRequest, StatusError, unsupportedMediaType } from './errors.ts';
import { clone, deepEqual, isRecord, type Json, type StoredObject } from './objects.ts';
import type { ResourceType } from './resources.ts';

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: Json = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Splits an RFC 6901 JSON pointer into unescaped tokens. */
function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function patchFailure(message: string): StatusError {
  return new StatusError(422, 'Invalid', message);
}

function arrayIndex(token: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw patchFailure(`invalid array index "${token}" in path ${path}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) throw patchFailure(`array index ${index} out of bounds in path ${path}`);
  return index;
}

function pointerGet(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(token, cur.length, false, path)];
    else if (isRecord(cur) && Object.hasOwn(cur, token)) cur = cur[token];
    else throw patchFailure(`doc is missing path: ${path}`);
  }
  return cur;
}

/** Returns the container of the last token of `path` and that token. */
function pointerParent(doc: unknown, path: string): { parent: unknown; token: string } {
  const tokens = parsePointer(path);
  const token = tokens.pop();
  if (token === undefined) throw patchFailure('the root of the document cannot be a patch target here');
  const parentPath = tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
  return { parent: pointerGet(doc, parentPath), token };
}

function pointerAdd(doc: unknown, path: string, value: unknown): unknown {
  if (path === '') return value;
  const { parent, token } = pointerParent(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, true, path), 0, value);
  else if (isRecord(parent)) parent[token] = value;
  else throw patchFailure(`doc is missing path: ${path}`);
  return doc;
}

function pointerRemove(doc: unknown, path: string): unknown {
  const { parent, token } = pointerParent(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(token, parent.length, false, path), 1);
  else if (isRecord(parent) && Object.hasOwn(parent, token)) delete parent[token];
  else throw patchFailure(`unable to remove nonexistent key: ${token}: missing value`);
  return doc;
}

/** RFC 6902 JSON patch: add, remove, replace, move, copy, test. */
function applyJsonPatch(doc: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be a JSON array of operations');
  let result = clone(doc);
  for (const op of operations) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw badRequest(`invalid json patch operation: ${JSON.stringify(op)}`);
    }
    const path = op.path;
    const from = typeof op.from === 'string' ? op.from : undefined;
    switch (op.op) {
      case 'add':
        result = pointerAdd(result, path, clone(op.value));
        break;
      case 'remove':
        result = pointerRemove(result, path);
        break;
      case 'replace':
        pointerGet(result, path);
        if (path === '') result = clone(op.value);
        else result = pointerAdd(pointerRemove(result, path), path, clone(op.value));
        break;
      case 'test':
        if (!deepEqual(pointerGet(result, path), op.value)) throw patchFailure(`testing value ${path} failed: test failed`);
        break;
      case 'move':
      case 'copy': {
        if (from === undefined) throw badRequest(`json patch ${op.op} operation needs "from"`);
        const value = clone(pointerGet(result, from));
        if (op.op === 'move') result = pointerRemove(result, from);
        result = pointerAdd(result, path, value);
        break;
      }
      default:
        throw badRequest(`unexpected json patch operation "${op.op}"`);
    }
  }
  return result;
}

/**
 * Merge keys of the built-in list fields that strategic merge patch merges item by item
 * (`patchMergeKey` in the Kubernetes API types). Other lists are replaced.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Primitive lists that strategic merge patch unions rather than replaces. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, ...lists: unknown[]): string | undefined {
  if (field === 'ports') {
    const items = lists.flatMap((l) => (Array.isArray(l) ? l : []));
    return items.some((i) => isRecord(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isRecord(v) && v.$patch !== undefined && Object.keys(v).length === 1)).map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/**
 * Kubernetes strategic merge patch for built-in types: maps merge (null deletes), lists with a
 * merge key merge by that key, `$patch: delete|replace`, `$deleteFromPrimitiveList/<field>`;
 * `$setElementOrder/` and `$retainKeys` are accepted and ignored.
 */
export function strategicMerge(original: unknown, patch: Json): Json {
  if (patch.$patch === 'replace') return stripDirectives(patch) as Json;
  const result: Json = isRecord(original) ? clone(original) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete result[key];
    else if (isRecord(value)) {
      if (value.$patch === 'delete') delete result[key];
      else result[key] = strategicMerge(result[key], value);
    } else if (Array.isArray(value)) result[key] = strategicMergeList(key, result[key], value);
    else result[key] = value;
  }
  return result;
}

function strategicMergeList(field: string, original: unknown, patch: unknown[]): unknown[] {
  if (patch.some((item) => isRecord(item) && item.$patch === 'replace')) return stripDirectives(patch) as unknown[];
  const current = Array.isArray(original) ? clone(original) : [];
  const mergeKey = mergeKeyFor(field, original, patch);
  if (mergeKey) {
    for (const item of patch) {
      if (!isRecord(item) || item[mergeKey] === undefined) {
        current.push(stripDirectives(item));
        continue;
      }
      const index = current.findIndex((c) => isRecord(c) && deepEqual(c[mergeKey], item[mergeKey]));
      if (item.$patch === 'delete') {
        if (index >= 0) current.splice(index, 1);
      } else if (index >= 0) current[index] = strategicMerge(current[index], item);
      else current.push(strategicMerge({}, item));
    }
    return current;
  }
  if (MERGED_PRIMITIVE_LISTS.has(field)) {
    for (const item of patch) if (!current.some((c) => deepEqual(c, item))) current.push(item);
    return current;
  }
  return stripDirectives(patch) as unknown[];
}

/** A minimal `fieldsV1` description of the fields an apply configuration sets. */
export function fieldsV1Of(value: unknown, field?: string): Json {
  if (isRecord(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[`f:${k}`] = fieldsV1Of(v, k);
    return out;
  }
  if (Array.isArray(value) && field) {
    const mergeKey = mergeKeyFor(field, value);
    if (!mergeKey) return {};
    const out: Json = {};
    for (const item of value) {
      if (isRecord(item) && item[mergeKey] !== undefined) {
        out[`k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`] = { '.': {}, ...fieldsV1Of(item) };
      }
    }
    return out;
  }
  return {};
}

/** `Content-Type` of each patch type. */
export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** The media type of a `Content-Type` header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An apply configuration without apiVersion, kind, name and namespace (what its fieldsV1 records). */
export function withoutIdentity(applied: Json): Json {
  const copy = clone(applied);
  delete copy.apiVersion;
  delete copy.kind;
  if (isRecord(copy.metadata)) {
    delete copy.metadata.name;
    delete copy.metadata.namespace;
  }
  return copy;
}

/** Applies a PATCH body of the given media type to a copy of `existing`. */
export function patchDocument(t: ResourceType, existing: StoredObject, raw: string, type: string): StoredObject {
  const parse = (): unknown => {
    try {
      return JSON.parse(raw) as unknown;
    } catch (error) {
      throw badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  let result: unknown;
  switch (type) {
    case PATCH_TYPES.json:
      result = applyJsonPatch(existing, parse());
      break;
    case PATCH_TYPES.merge:
      result = mergePatch(existing, parse());
      break;
    case PATCH_TYPES.strategic: {
      if (t.custom) {
        // The API server has no patch strategy metadata for custom resources.
        throw unsupportedMediaType([PATCH_TYPES.json, PATCH_TYPES.merge, PATCH_TYPES.apply]);
      }
      const patch = parse();
      if (!isRecord(patch)) throw badRequest('strategic merge patch must be a JSON object');
      result = strategicMerge(existing, patch);
      break;
    }
    default:
      throw unsupportedMediaType(Object.values(PATCH_TYPES));
  }
  if (!isRecord(result)) throw patchFailure('the patched document is not an object');
  return result as StoredObject;
}
