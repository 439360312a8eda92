/**
 * Errors as Kubernetes `Status` objects, and the reply the HTTP layer sends.
 * Source: https://kubernetes.io/docs/reference/using-api/api-concepts/#response-status-kind
 */
import type { Json } from './objects.ts';
import { qualifiedKind, qualifiedResource, type ResourceType } from './resources.ts';

/** Statuses a reply may have, with the body to send. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
}

/** One cause of a 422 Invalid (`details.causes[]` of a Status). */
export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** `details` of a Status: what the error is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

/** An error answered as a `Status` object with HTTP status `code`. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details: StatusDetails = {},
  ) {
    super(message);
  }

  toStatus(): Json {
    return statusObject('Failure', this.code, this.reason, this.message, this.details);
  }
}

/** A `Status` object (kind Status, apiVersion v1) as the API server answers it. */
export function statusObject(status: 'Success' | 'Failure', code: number, reason: string | undefined, message: string | undefined, details: StatusDetails): Json {
  const out: Json = { kind: 'Status', apiVersion: 'v1', metadata: {}, status };
  if (message !== undefined) out.message = message;
  if (reason !== undefined) out.reason = reason;
  out.details = details;
  out.code = code;
  return out;
}

/** Status details naming `name` of resource type `t`. */
export function resourceDetails(t: ResourceType, name: string): StatusDetails {
  return t.group ? { name, group: t.group, kind: t.resource } : { name, kind: t.resource };
}

/** 404 NotFound for `name` of type `t`. */
export function notFound(t: ResourceType, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, resourceDetails(t, name));
}

/** 409 AlreadyExists: a create of a name that is taken. */
export function alreadyExists(t: ResourceType, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, resourceDetails(t, name));
}

/** 409 Conflict: a write with a stale resourceVersion or failed precondition. */
export function conflict(t: ResourceType, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    resourceDetails(t, name),
  );
}

/** 422 Invalid with its causes, summarised in the message as the API server does. */
export function invalid(t: ResourceType, name: string, causes: StatusCause[]): StatusError {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const details: StatusDetails = { name, kind: t.kind, causes };
  if (t.group) details.group = t.group;
  return new StatusError(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${summary}`, details);
}

/** 400 BadRequest with `message`. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 404 for a path the server does not serve. */
export function unknownPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

/** 415 UnsupportedMediaType listing the accepted media types. */
export function unsupportedMediaType(accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

/** 405 MethodNotAllowed for a verb the path does not take. */
export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** The Status `reason` that belongs to an HTTP status code. */
export const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};
