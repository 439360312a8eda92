/**
 * HTTP load generation for benchmarks: posts prepared bodies over keep-alive connections with a
 * bounded number of requests in flight, and times each one (send → full response received).
 *
 * {@link LoadClient} runs the sender in a worker thread, so the client has its own event loop as a
 * real Alertmanager would and does not queue behind the server under test; {@link postAll} is the
 * same sender in the calling thread.
 */
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** One load run. */
export interface LoadRequest {
  /** Full URL to POST to. */
  url: string;
  /** Extra request headers (e.g. authorization). `content-type: application/json` is always set. */
  headers?: Record<string, string>;
  /** JSON bodies, posted in order (each starts when a slot frees). */
  bodies: readonly string[];
  /** Requests in flight at most (connections). */
  concurrency: number;
  /**
   * Open-loop pacing: request i is due at start + i / ratePerS seconds, whether earlier ones have
   * answered or not; latency is measured from the due time (no coordinated omission). Unset →
   * closed loop (`concurrency` lanes, each sending as soon as its previous request answered).
   */
  ratePerS?: number;
  /** Keep the response bodies (default false: only status and latency). */
  keepResponses?: boolean;
}

/** What a load run measured. */
export interface LoadResult {
  /** Latency of each request in ms, by body index (send → last response byte). NaN when it failed. */
  latenciesMs: number[];
  /** HTTP status per body index (0 when the request failed before an answer). */
  statuses: number[];
  /** Response bodies by index, when `keepResponses`. */
  responses?: string[];
  /** Wall time from the first send to the last answer, ms. */
  elapsedMs: number;
  /** Transport errors, first few. */
  errors: string[];
}

const agents = new Map<string, http.Agent>();

function agentFor(origin: string, concurrency: number): http.Agent {
  const key = `${origin}|${concurrency}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
    agents.set(key, agent);
  }
  return agent;
}

/** Posts every body of `req` from this thread, `req.concurrency` at a time. */
export async function postAll(req: LoadRequest): Promise<LoadResult> {
  const target = new URL(req.url);
  const agent = agentFor(target.origin, req.concurrency);
  const n = req.bodies.length;
  const latenciesMs = new Array<number>(n).fill(Number.NaN);
  const statuses = new Array<number>(n).fill(0);
  const responses = req.keepResponses ? new Array<string>(n).fill('') : undefined;
  const errors: string[] = [];
  let next = 0;

  const one = (i: number, dueAt?: number) =>
    new Promise<void>((resolve) => {
      const body = Buffer.from(req.bodies[i]);
      const t0 = dueAt ?? performance.now();
      const r = http.request(
        {
          agent,
          method: 'POST',
          hostname: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          headers: { ...req.headers, 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (responses) chunks.push(c);
          });
          res.on('end', () => {
            latenciesMs[i] = performance.now() - t0;
            statuses[i] = res.statusCode ?? 0;
            if (responses) responses[i] = Buffer.concat(chunks).toString('utf8');
            resolve();
          });
          res.on('error', (err) => {
            if (errors.length < 5) errors.push(String(err));
            resolve();
          });
        },
      );
      r.on('error', (err) => {
        if (errors.length < 5) errors.push(String(err));
        resolve();
      });
      r.end(body);
    });

  const lane = async () => {
    while (next < n) await one(next++);
  };
  const started = performance.now();
  if (req.ratePerS) {
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < n; i++) {
      const due = started + (i * 1000) / req.ratePerS;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(one(i, due));
    }
    await Promise.all(pending);
  } else {
    await Promise.all(Array.from({ length: Math.min(req.concurrency, n) }, lane));
  }
  const elapsedMs = performance.now() - started;
  return { latenciesMs, statuses, responses, elapsedMs, errors };
}

type ToWorker = { id: number; req: LoadRequest } | { id: number; close: true };
type FromWorker = { id: number; result?: LoadResult; error?: string };

/**
 * A load sender in its own worker thread (one event loop apart from the server under test).
 * Keep-alive connections and the JIT state survive between runs, so a warm-up run warms it.
 */
export class LoadClient {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor() {
    // The worker registers tsx itself, then imports this very module, which starts serving below.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const self = import.meta.url;
    const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(self)}); });`;
    this.worker = new Worker(code, { eval: true, workerData: { watchkeeperLoadWorker: true } });
    this.worker.on('message', (msg: FromWorker) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.result) p.resolve(msg.result);
      else p.reject(new Error(msg.error ?? 'load worker failed'));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`load worker exited with code ${code}`)));
  }

  /** Runs `req` in the worker. */
  run(req: LoadRequest): Promise<LoadResult> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, req } satisfies ToWorker);
    });
  }

  /** Closes the worker's connections and ends it. */
  async close(): Promise<void> {
    const id = ++this.seq;
    const done = new Promise<void>((resolve) => {
      this.pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
    });
    this.worker.postMessage({ id, close: true } satisfies ToWorker);
    await Promise.race([done, new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

// Worker side: serve load requests from the parent.
if (!isMainThread && parentPort && (workerData as { watchkeeperLoadWorker?: boolean } | null)?.watchkeeperLoadWorker) {
  const port = parentPort;
  port.on('message', (msg: ToWorker) => {
    if ('close' in msg) {
      for (const a of agents.values()) a.destroy();
      agents.clear();
      port.postMessage({ id: msg.id, result: { latenciesMs: [], statuses: [], elapsedMs: 0, errors: [] } } satisfies FromWorker);
      return;
    }
    postAll(msg.req).then(
      (result) => port.postMessage({ id: msg.id, result } satisfies FromWorker),
      (err: unknown) => port.postMessage({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies FromWorker),
    );
  });
}
