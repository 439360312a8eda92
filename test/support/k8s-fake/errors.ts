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

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

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

export function statusObject(status: 'Success' | 'Failure', code: number, reason: string | undefined, message: string | undefined, details: StatusDetails): Json {
  const out: Json = { kind: 'Status', apiVersion: 'v1', metadata: {}, status };
  if (message !== undefined) out.message = message;
  if (reason !== undefined) out.reason = reason;
  out.details = details;
  out.code = code;
  return out;
}

export function resourceDetails(t: ResourceType, name: string): StatusDetails {
  return t.group ? { name, group: t.group, kind: t.resource } : { name, kind: t.resource };
}

export function notFound(t: ResourceType, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, resourceDetails(t, name));
}

export function alreadyExists(t: ResourceType, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(t)} "${name}" already exists`, resourceDetails(t, name));
}

export function conflict(t: ResourceType, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    resourceDetails(t, name),
  );
}

export function invalid(t: ResourceType, name: string, causes: StatusCause[]): StatusError {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const details: StatusDetails = { name, kind: t.kind, causes };
  if (t.group) details.group = t.group;
  return new StatusError(422, 'Invalid', `${qualifiedKind(t)} "${name}" is invalid: ${summary}`, details);
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function unknownPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

export function unsupportedMediaType(accepted: string[]): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function methodNotAllowed(): StatusError {
  return new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

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
