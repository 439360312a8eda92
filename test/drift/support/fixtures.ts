/** Loading the drift fixtures and small helpers to edit Kubernetes objects in tests. */
import { fileURLToPath } from 'node:url';
import { readManifests } from '../../../agent/git/manifests.ts';
import type { Container, KObject } from '../../../domain/k8s-objects.ts';

/** Absolute path of `test/fixtures/drift/<relative>`. */
export function fixturePath(relative = ''): string {
  return fileURLToPath(new URL(`../../fixtures/drift/${relative}`, import.meta.url));
}

/** The objects of a fixture file or folder (kustomize never rendered). */
export async function loadFixture(relative: string): Promise<KObject[]> {
  const set = await readManifests(fixturePath(relative), { kubectl: null });
  if (set.errors.length > 0) throw new Error(`fixture ${relative} has errors: ${JSON.stringify(set.errors)}`);
  return set.objects.map((m) => structuredClone(m.object));
}

/** The object of `kind`/`name` in `objects`; throws when absent (a broken test). */
export function find(objects: readonly KObject[], kind: string, name: string): KObject & { spec: any; metadata: any; data?: any } {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind}/${name} in fixture`);
  return found as KObject & { spec: any; metadata: any; data?: any };
}

/** The pod spec of a workload (Deployment/StatefulSet or CronJob). */
export function podSpec(object: KObject): { containers: Container[]; initContainers?: Container[]; volumes?: any[]; [k: string]: any } {
  const spec = object.spec as any;
  return (spec.jobTemplate?.spec.template ?? spec.template).spec;
}

/** The container `name` of a workload. */
export function container(object: KObject, name: string): Container & Record<string, any> {
  const found = podSpec(object).containers.find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
}
