import { Agent, request } from 'node:http';
import { CpuShares, cpuShares, CpuSnapshot } from './cpu-usage';

/** What one request came to: `ok` false counts as an error; `outcome` is tallied. */
export interface Attempt {
  ok: boolean;
  outcome?: string;
}

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** Outcomes (or error kinds) of the measured requests, by count. */
  outcomes: Record<string, number>;
  /** Cores used during the measured window, by process group (see cpu-usage.ts). */
  cpu?: CpuShares;
}

/**
 * `connections` closed loops calling `once(loop)` back to back (the next request leaves when the
 * previous answer arrives): `warmUpSeconds` unmeasured, then `seconds` measured. A request counts
 * when it completes inside the measured window, so the throughput is exact whatever was in
 * flight at either edge. Loops stop on the clock, so a run always ends.
 */
export async function closedLoop(
  connections: number,
  warmUpSeconds: number,
  seconds: number,
  once: (loop: number) => Promise<Attempt>,
  cpu?: () => CpuSnapshot,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmUpSeconds * 1000;
  const measureTo = measureFrom + seconds * 1000;
  const run = async (loop: number) => {
    while (performance.now() < measureTo) {
      const began = performance.now();
      const attempt = await once(loop).catch((error: Error): Attempt => ({
        ok: false,
        outcome: `network: ${error.message}`,
      }));
      const ended = performance.now();
      if (ended < measureFrom || ended > measureTo) continue;
      latencies.push(ended - began);
      if (!attempt.ok) errors += 1;
      const key = attempt.outcome ?? (attempt.ok ? 'ok' : 'error');
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
  };
  let cpuBefore: CpuSnapshot | undefined;
  let cpuAfter: CpuSnapshot | undefined;
  const timers = cpu
    ? [
        setTimeout(() => (cpuBefore = cpu()), measureFrom - start),
        setTimeout(() => (cpuAfter = cpu()), measureTo - start),
      ]
    : [];
  await Promise.all(Array.from({ length: connections }, (_, loop) => run(loop)));
  timers.forEach(clearTimeout);
  return {
    connections,
    seconds,
    errors,
    outcomes,
    ...summarise(latencies, seconds),
    cpu: cpuBefore && cpuAfter ? cpuShares(cpuBefore, cpuAfter) : undefined,
  };
}

export function summarise(latenciesMs: number[], seconds: number) {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (q: number) =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    requests: sorted.length,
    perSecond: sorted.length / seconds,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}

export interface HttpReply {
  status: number;
  body: string;
}

/**
 * A minimal keep-alive HTTP client on node:http: one socket per connection of the load, no
 * per-request URL parsing. Cheap enough that the load generator takes little of the CPU the
 * service and the database share with it.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    connections: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
