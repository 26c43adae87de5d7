import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, Socket } from 'node:net';
import { join } from 'node:path';
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
  /** The slowest measured requests, slowest first (where a long maximum comes from). */
  slowest?: SlowRequest[];
}

/** One measured request, placed in its round: times in ms from the start of the round. */
export interface SlowRequest {
  loop: number;
  /** 1 for the loop's first request (which includes opening its connection). */
  sequence: number;
  beganMs: number;
  endedMs: number;
  latencyMs: number;
  outcome: string;
}

const SLOWEST_KEPT = 5;

/**
 * BENCH_LATENCY_DUMP: a directory where every closed loop writes each measured request's start
 * (ms into the round) and latency, one per line, to see whether the slow ones come together.
 */
const LATENCY_DUMP_DIR = process.env.BENCH_LATENCY_DUMP;
let dumpsWritten = 0;

function dumpTimeline(connections: number, timeline: string[]): void {
  dumpsWritten += 1;
  const file = join(LATENCY_DUMP_DIR!, `round-${dumpsWritten}-c${connections}.txt`);
  mkdirSync(LATENCY_DUMP_DIR!, { recursive: true });
  writeFileSync(file, timeline.join('\n') + '\n');
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
  const timeline: string[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmUpSeconds * 1000;
  const measureTo = measureFrom + seconds * 1000;
  const slowest: SlowRequest[] = [];
  const run = async (loop: number) => {
    let sequence = 0;
    while (performance.now() < measureTo) {
      sequence += 1;
      const began = performance.now();
      const attempt = await once(loop).catch((error: Error): Attempt => ({
        ok: false,
        outcome: `network: ${error.message}`,
      }));
      const ended = performance.now();
      if (ended < measureFrom || ended > measureTo) continue;
      latencies.push(ended - began);
      if (LATENCY_DUMP_DIR)
        timeline.push(`${(began - start).toFixed(1)} ${(ended - began).toFixed(1)}`);
      if (!attempt.ok) errors += 1;
      const key = attempt.outcome ?? (attempt.ok ? 'ok' : 'error');
      keepSlowest(slowest, {
        loop,
        sequence,
        beganMs: began - start,
        endedMs: ended - start,
        latencyMs: ended - began,
        outcome: key,
      });
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
  if (LATENCY_DUMP_DIR) dumpTimeline(connections, timeline);
  return {
    connections,
    seconds,
    errors,
    outcomes,
    ...summarise(latencies, seconds),
    cpu: cpuBefore && cpuAfter ? cpuShares(cpuBefore, cpuAfter) : undefined,
    slowest,
  };
}

function keepSlowest(slowest: SlowRequest[], request: SlowRequest): void {
  if (slowest.length === SLOWEST_KEPT && request.latencyMs <= slowest[SLOWEST_KEPT - 1].latencyMs)
    return;
  slowest.push(request);
  slowest.sort((a, b) => b.latencyMs - a.latencyMs);
  if (slowest.length > SLOWEST_KEPT) slowest.pop();
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
 * The load generator's HTTP/1.1 client: one keep-alive socket per connection of the load, each
 * with one request in flight, requests written as one string and answers read by their
 * Content-Length. node:http's client (Agent, ClientRequest, IncomingMessage streams) cost about
 * 0.1 ms of CPU a request, a tenth of what the service and PostgreSQL need, on the same two
 * cores; this costs a third of that. It speaks only what the service answers (Content-Length
 * bodies), and fails a request loudly on anything else.
 */
export class HttpConnections {
  private readonly connections: Connection[];

  constructor(port: number, count: number) {
    this.connections = Array.from({ length: count }, () => new Connection(port));
  }

  /** Sends on connection `index` (one closed loop per connection). */
  send(
    index: number,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpReply> {
    return this.connections[index].send(method, path, headers, body);
  }

  close(): void {
    for (const connection of this.connections) connection.close();
  }
}

const HEAD_END = Buffer.from('\r\n\r\n');

class Connection {
  private socket: Socket | null = null;
  private buffered: Buffer | null = null;
  private pending: {
    resolve: (reply: HttpReply) => void;
    reject: (error: Error) => void;
  } | null = null;

  constructor(private readonly port: number) {}

  send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<HttpReply> {
    if (this.pending) return Promise.reject(new Error('A request is already in flight'));
    let head = `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    if (body !== undefined && headers['content-length'] === undefined) {
      head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.connect().write(`${head}\r\n${body ?? ''}`);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): Socket {
    if (this.socket) return this.socket;
    const socket = createConnection({ host: '127.0.0.1', port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = (error: Error) => {
      if (this.socket === socket) this.socket = null;
      this.buffered = null;
      const pending = this.pending;
      this.pending = null;
      pending?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('The connection closed')));
    this.socket = socket;
    return socket;
  }

  private read(chunk: Buffer): void {
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd === -1) {
      this.buffered = data;
      return;
    }
    const head = data.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      this.socket?.destroy(new Error(`An answer without Content-Length: ${head.split('\r\n')[0]}`));
      return;
    }
    const bodyEnd = headEnd + HEAD_END.length + Number(length[1]);
    if (data.length < bodyEnd) {
      this.buffered = data;
      return;
    }
    this.buffered = null;
    const pending = this.pending;
    this.pending = null;
    if (/\r\nconnection: *close/i.test(head)) this.close();
    pending?.resolve({
      status: Number(head.slice(9, 12)),
      body: data.toString('utf8', headEnd + HEAD_END.length, bodyEnd),
    });
  }
}
