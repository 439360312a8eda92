/**
 * What the API server does to an object before storing it, as far as the fake imitates it:
 * defaulting of the fields Watchkeeper reads, and the validation that answers 422 Invalid.
 */
import type { LabelSelector } from '../../../domain/k8s-objects.ts';
import { selectorMatches } from '../../../domain/selectors.ts';
import type { StatusCause } from './errors.ts';
import { dig, isRecord, type Json, type StoredObject } from './objects.ts';
import type { ResourceType } from './resources.ts';

/** RFC 1123 subdomain: what `metadata.name` must be. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Fills the defaults the API server would, for the fields Watchkeeper reads. */
export function applyDefaults(t: ResourceType, obj: StoredObject, serviceIp: () => string): void {
  const spec = isRecord(obj.spec) ? obj.spec : undefined;
  switch (t.kind) {
    case 'Deployment': {
      if (!spec) return;
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
      const strategy = spec.strategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') {
        strategy.rollingUpdate ??= { maxSurge: '25%', maxUnavailable: '25%' };
      }
      return;
    }
    case 'ReplicaSet':
      if (spec) spec.replicas ??= 1;
      return;
    case 'StatefulSet': {
      if (!spec) return;
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate' };
      const strategy = spec.updateStrategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') strategy.rollingUpdate ??= { partition: 0 };
      return;
    }
    case 'DaemonSet': {
      if (!spec) return;
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate' };
      const strategy = spec.updateStrategy;
      if (isRecord(strategy) && strategy.type === 'RollingUpdate') strategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
      return;
    }
    case 'Secret': {
      obj.type ??= 'Opaque';
      if (isRecord(obj.stringData)) {
        const data: Json = isRecord(obj.data) ? obj.data : {};
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
      return;
    }
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      obj.status = { phase: 'Active', ...(isRecord(obj.status) ? obj.status : {}) };
      return;
    case 'Service':
      if (!spec) return;
      spec.type ??= 'ClusterIP';
      if (spec.type !== 'ExternalName' && spec.clusterIP === undefined) spec.clusterIP = serviceIp();
      return;
  }
}

/** Where a kind keeps its pod template spec, for validation. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Kinds whose `spec.selector` is required and must match the template labels. */
const SELECTOR_REQUIRED = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);

/** The validation the fake performs; returns the causes of a 422 Invalid (empty when valid). */
export function validate(t: ResourceType, obj: StoredObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const required = (field: string): void => {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  };
  const invalidValue = (field: string, value: unknown, detail: string): void => {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field });
  };

  const name = obj.metadata.name;
  if (!name) required('metadata.name');
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    invalidValue(
      'metadata.name',
      name,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
        'and must start and end with an alphanumeric character',
    );
  }

  const podSpecPath = POD_SPEC_PATHS[t.kind];
  if (podSpecPath) {
    const field = [...podSpecPath, 'containers'].join('.');
    const containers = dig(obj, [...podSpecPath, 'containers']);
    if (!Array.isArray(containers) || containers.length === 0) required(field);
    else {
      containers.forEach((c: unknown, i) => {
        if (!isRecord(c) || typeof c.name !== 'string' || c.name === '') required(`${field}[${i}].name`);
        if (!isRecord(c) || typeof c.image !== 'string' || c.image === '') required(`${field}[${i}].image`);
      });
    }
  }

  if (SELECTOR_REQUIRED.has(t.kind)) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    const selector = isRecord(spec.selector) ? (spec.selector as LabelSelector) : undefined;
    const labels = dig(obj, ['spec', 'template', 'metadata', 'labels']) as Record<string, string> | undefined;
    if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) {
      required('spec.selector');
    } else if (!selectorMatches(selector, labels)) {
      invalidValue('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`');
    }
    if (typeof spec.replicas === 'number' && spec.replicas < 0) {
      invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0');
    }
  }
  return causes;
}
