/**
 * Container logs: the texts tests set with {@link K8sFake.setPodLogs}, served by
 * `GET …/pods/{pod}/log` with `container`, `previous`, `tailLines` and `limitBytes`.
 */
import type { Pod } from '../../../domain/k8s-objects.ts';
import { badRequest, type Reply } from './errors.ts';
import type { K8sFake } from './index.ts';
import { matchesName } from './objects.ts';

/** One log text set by a test. */
export interface PodLogEntry {
  namespace: string;
  pod: string | RegExp;
  container: string;
  previous: boolean;
  text: string;
}

/** The log texts set so far; the most recent matching one wins. */
export class PodLogs {
  private readonly logs: PodLogEntry[] = [];

  /** Records a log text; see {@link K8sFake.setPodLogs}. */
  set(entry: PodLogEntry): void {
    this.logs.push(entry);
  }

  /**
   * The answer to `GET /api/v1/namespaces/{namespace}/pods/{name}/log`, as the kubelet gives it:
   * 400 when the container is ambiguous, unknown or still waiting to start (other than in
   * CrashLoopBackOff), or when `previous=true` and no previous log was set.
   */
  serve(namespace: string, pod: Pod, query: URLSearchParams): Reply {
    const name = pod.metadata?.name ?? '';
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c) => c.name);
    const regular = (pod.spec?.containers ?? []).map((c) => c.name);
    let container = query.get('container') ?? undefined;
    if (container === undefined) {
      if (regular.length !== 1) {
        throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
      }
      container = regular[0]!;
    }
    if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const previous = query.get('previous') === 'true';

    const entry = [...this.logs]
      .reverse()
      .find(
        (l) =>
          l.namespace === namespace &&
          l.container === container &&
          l.previous === previous &&
          matchesName(l.pod, name),
      );
    if (previous && !entry) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    if (!previous) {
      const status = pod.status?.containerStatuses?.find((c) => c.name === container);
      const waiting = status?.state?.waiting?.reason;
      if ((status === undefined && pod.status?.phase === 'Pending') || (waiting !== undefined && waiting !== 'CrashLoopBackOff')) {
        throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting ?? 'ContainerCreating'}`);
      }
    }

    let text = entry?.text ?? '';
    const tailLines = query.get('tailLines');
    if (tailLines !== null) {
      const n = Number(tailLines);
      if (!Number.isInteger(n) || n < 0) throw badRequest(`tailLines: Invalid value: ${tailLines}`);
      const lines = text.split('\n');
      const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - n)).join('\n') + (trailing !== undefined && n > 0 ? '\n' : '');
    }
    const limitBytes = query.get('limitBytes');
    if (limitBytes !== null) text = Buffer.from(text).subarray(0, Number(limitBytes)).toString();
    return { status: 200, text };
  }
}
