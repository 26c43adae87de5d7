import { randomUUID } from 'node:crypto';
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';
import { normalizePhone } from '../../src/knowlarity/phone';
import { parseKnowlarityTime } from '../../src/knowlarity/times';
import { SimulatedCallStream } from './stream-server';

export interface KnowlaritySimulatorOptions {
  /** The `x-api-key` accepted; a random test value by default. */
  apiKey?: string;
  /** The SR API key accepted in `Authorization` (raw, no `Bearer`); a random UUID by default. */
  srApiKey?: string;
  /** The `{channel}` path segment served; `Basic` by default. */
  channel?: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Larger limits are cut to this, and it is the limit when none is sent; 100 by default. */
  maxPageSize?: number;
  /** Calls to serve from the start. */
  calls?: Record<string, unknown>[];
  /** See {@link KnowlaritySimulator.duplicateAcrossPages}. */
  duplicateAcrossPages?: boolean;
  /** How often the live stream sends a heartbeat comment; 1000 ms by default. */
  streamHeartbeatMs?: number;
}

/** One request the simulator received, for assertions. */
export interface SimulatorRequest {
  method: string;
  path: string;
  /** The query string exactly as sent (still percent-encoded). */
  rawQuery: string;
  /** The query as decoded by URLSearchParams (first value of each key). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The status the simulator answered with; null when the client went away first. */
  status: number | null;
  /** The fault that shaped the answer, if any. */
  fault: 'status' | 'delay' | null;
  receivedAt: Date;
}

type Fault =
  | { kind: 'status'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'delay'; ms: number };

interface StoredCall {
  record: Record<string, unknown>;
  startMs: number;
  uuid: string;
}

/** Query parameters that filter by exact value, as docs/knowlarity.md §1 lists them. */
const PHONE_FILTERS = ['customer_number', 'knowlarity_number', 'agent_number'] as const;
/** `YYYY-MM-DD HH:MM:SS+05:30`; the offset is required, as the service must always send it. */
const API_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?[+-]\d{2}:?\d{2}$/;

/**
 * A stand-in for Knowlarity's call-log API (docs/knowlarity.md §1) on a real local HTTP port, for tests,
 * benchmarks and `npm run simulate`.
 *
 * Serves `GET /{channel}/v1/account/calllog`: requires `x-api-key` and the raw SR key in
 * `Authorization` (401 with a JSON error otherwise), `start_time` and `end_time` with an explicit
 * offset (400 otherwise, which also catches a `+` sent unencoded), filters calls that started
 * within [start_time, end_time], sorts them by start time then uuid, and pages them with
 * `limit` (capped at `maxPageSize`) and `offset`, in the `{meta, objects}` envelope.
 *
 * Faults are queued and each consumed by one call-log request, in the order they were added.
 */
export class KnowlaritySimulator {
  readonly apiKey: string;
  readonly srApiKey: string;
  readonly channel: string;
  readonly maxPageSize: number;
  /**
   * When on, every page after the first starts with the last call of the page before, as when
   * calls arrive while a client is paging; `total_count` counts the repeats, so a client paging
   * to `total_count` still sees every call, some twice. Needs a limit of at least 2.
   */
  duplicateAcrossPages: boolean;
  /** Every request received, oldest first. */
  readonly requests: SimulatorRequest[] = [];
  /** The live event stream, served on `/update-stream/{srApiKey}/konnect`. */
  readonly stream: SimulatedCallStream;

  private readonly host: string;
  private readonly port: number;
  private calls: StoredCall[] = [];
  private sorted = true;
  private readonly faults: Fault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | null = null;
  private url: string | null = null;

  constructor(options: KnowlaritySimulatorOptions = {}) {
    this.apiKey = options.apiKey ?? `sim-${randomUUID()}`;
    this.srApiKey = options.srApiKey ?? randomUUID();
    this.channel = options.channel ?? 'Basic';
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.maxPageSize = options.maxPageSize ?? 100;
    if (!Number.isSafeInteger(this.maxPageSize) || this.maxPageSize < 1) {
      throw new RangeError('maxPageSize must be a positive integer');
    }
    this.duplicateAcrossPages = options.duplicateAcrossPages ?? false;
    this.stream = new SimulatedCallStream({
      srApiKey: this.srApiKey,
      heartbeatMs: options.streamHeartbeatMs,
    });
    if (options.calls) {
      this.setCalls(options.calls);
    }
  }

  /** Starts listening; resolves to the base URL to configure as KNOWLARITY_BASE_URL. */
  async start(): Promise<string> {
    if (this.url) {
      return this.url;
    }
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.url = `http://${host}:${port}`;
    return this.url;
  }

  /** Stops listening, dropping open connections and pending delayed answers. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.url = null;
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    this.stream.close();
    if (!server) {
      return;
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The base URL; throws before {@link start}. */
  get baseUrl(): string {
    if (!this.url) {
      throw new Error('The simulator is not started');
    }
    return this.url;
  }

  /** The path the call log is served on, e.g. `/Basic/v1/account/calllog`. */
  get callLogPath(): string {
    return `/${this.channel}/v1/account/calllog`;
  }

  /** Replaces the calls served. Calls whose `start_time` does not parse are never returned. */
  setCalls(records: Record<string, unknown>[]): void {
    this.calls = [];
    this.addCalls(records);
  }

  /** Adds calls, as if they had just happened. */
  addCalls(records: Record<string, unknown>[]): void {
    for (const record of records) {
      const start = parseKnowlarityTime(record.start_time);
      this.calls.push({
        record,
        startMs: start ? start.getTime() : Number.NaN,
        uuid: typeof record.uuid === 'string' ? record.uuid : '',
      });
    }
    this.sorted = false;
  }

  /** A call that just ended: stored in the call log and sent on the live stream. */
  liveCall(record: Record<string, unknown>): void {
    this.addCalls([record]);
    this.stream.publishCall(record);
  }

  /** The live stream's URL for this simulator's SR API key (KNOWLARITY_STREAM_URL). */
  get streamUrl(): string {
    return `${this.baseUrl}/update-stream/${this.srApiKey}/konnect`;
  }

  /** How many calls are stored (whatever their start time). */
  get callCount(): number {
    return this.calls.length;
  }

  /** The next `n` call-log requests get `status` (500 by default) with a small JSON body. */
  failNext(n: number, status = 500): this {
    return this.respondNext(n, status, JSON.stringify({ message: 'Simulated failure' }));
  }

  /** The next `n` requests get 429 with `Retry-After` (seconds, or an HTTP-date string). */
  failWith429(n: number, retryAfter?: number | string): this {
    const headers: Record<string, string> =
      retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    return this.respondNext(n, 429, JSON.stringify({ message: 'Rate limit exceeded' }), headers);
  }

  /** The next `n` requests are answered normally, but only after `ms` (to trip client timeouts). */
  delayNext(n: number, ms: number): this {
    for (let i = 0; i < n; i++) {
      this.faults.push({ kind: 'delay', ms });
    }
    return this;
  }

  /** The next `n` requests get exactly this status and body (e.g. malformed JSON with 200). */
  respondNext(n: number, status: number, body: string, headers: Record<string, string> = {}): this {
    for (let i = 0; i < n; i++) {
      this.faults.push({ kind: 'status', status, headers, body });
    }
    return this;
  }

  /** Drops queued faults. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** The call-log requests received (other paths excluded). */
  get callLogRequests(): SimulatorRequest[] {
    return this.requests.filter((r) => r.path === this.callLogPath);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);
    const params = new URLSearchParams(rawQuery);
    const entry: SimulatorRequest = {
      method: req.method ?? '',
      path,
      rawQuery,
      query: firstValues(params),
      headers: req.headers,
      status: null,
      fault: null,
      receivedAt: new Date(),
    };
    this.requests.push(entry);
    req.resume();
    res.on('error', () => undefined);

    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      if (res.destroyed || res.writableEnded) {
        return;
      }
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };

    if (this.stream.handles(path)) {
      entry.status = 200;
      this.stream.handle(path, req, res);
      return;
    }
    if (path !== this.callLogPath) {
      send(404, JSON.stringify({ message: 'Not found' }));
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      entry.fault = 'status';
      send(fault.status, fault.body, fault.headers);
      return;
    }
    const answer = () => {
      const { status, body } = this.callLog(req, params);
      send(status, JSON.stringify(body));
    };
    if (fault?.kind === 'delay') {
      entry.fault = 'delay';
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, fault.ms);
      this.timers.add(timer);
      return;
    }
    answer();
  }

  private callLog(
    req: IncomingMessage,
    params: URLSearchParams,
  ): { status: number; body: unknown } {
    if (req.method !== 'GET') {
      return { status: 405, body: { message: 'Method not allowed' } };
    }
    if (req.headers['x-api-key'] !== this.apiKey || req.headers.authorization !== this.srApiKey) {
      return {
        status: 401,
        body: {
          status: 'error',
          message: 'Authentication failed: invalid x-api-key or Authorization',
        },
      };
    }

    const start = readTime(params, 'start_time');
    const end = readTime(params, 'end_time');
    if (typeof start === 'string' || typeof end === 'string') {
      return {
        status: 400,
        body: { status: 'error', message: typeof start === 'string' ? start : end },
      };
    }
    if (start.getTime() > end.getTime()) {
      return { status: 400, body: { status: 'error', message: 'start_time is after end_time' } };
    }
    const limit = readNumber(params, 'limit', this.maxPageSize, 1);
    const offset = readNumber(params, 'offset', 0, 0);
    if (limit === null || offset === null) {
      return {
        status: 400,
        body: { status: 'error', message: 'limit and offset must be non-negative integers' },
      };
    }
    const pageSize = Math.min(limit, this.maxPageSize);

    const matching = this.sortedCalls()
      .filter((c) => c.startMs >= start.getTime() && c.startMs <= end.getTime())
      .filter((c) => matchesFilters(c.record, params))
      .map((c) => c.record);
    const served =
      this.duplicateAcrossPages && pageSize >= 2
        ? new RepeatingView(matching, pageSize)
        : { length: matching.length, at: (i: number) => matching[i] };

    const objects: unknown[] = [];
    for (let i = offset; i < Math.min(served.length, offset + pageSize); i++) {
      objects.push(served.at(i));
    }
    return {
      status: 200,
      body: {
        meta: {
          limit: pageSize,
          offset,
          total_count: served.length,
          next:
            offset + pageSize < served.length
              ? this.pageLink(params, pageSize, offset + pageSize)
              : '',
          previous:
            offset > 0 ? this.pageLink(params, pageSize, Math.max(0, offset - pageSize)) : '',
        },
        objects,
      },
    };
  }

  private sortedCalls(): StoredCall[] {
    if (!this.sorted) {
      this.calls.sort(
        (a, b) => a.startMs - b.startMs || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0),
      );
      this.sorted = true;
    }
    return this.calls;
  }

  private pageLink(params: URLSearchParams, limit: number, offset: number): string {
    const next = new URLSearchParams(params);
    next.set('limit', String(limit));
    next.set('offset', String(offset));
    return `${this.callLogPath}?${next.toString()}`;
  }
}

/**
 * `records` as paged with one repeat at each page boundary: page 0 is records[0, L), page p ≥ 1
 * starts with the last record of page p−1 and continues with L−1 new ones.
 */
class RepeatingView {
  readonly length: number;

  constructor(
    private readonly records: unknown[],
    private readonly pageSize: number,
  ) {
    const n = records.length;
    const laterPages = n > pageSize ? Math.ceil((n - pageSize) / (pageSize - 1)) : 0;
    this.length = n + laterPages;
  }

  at(index: number): unknown {
    const size = this.pageSize;
    if (index < size) {
      return this.records[index];
    }
    const page = Math.floor(index / size);
    const position = index % size;
    const firstNew = size + (page - 1) * (size - 1);
    return this.records[position === 0 ? firstNew - 1 : firstNew + position - 1];
  }
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of params) {
    if (!(key in values)) {
      values[key] = value;
    }
  }
  return values;
}

/** The parsed time, or the error message to answer with. */
function readTime(params: URLSearchParams, name: string): Date | string {
  const value = params.get(name);
  if (value === null || value.trim() === '') {
    return `${name} is required`;
  }
  const time = API_TIME.test(value) ? parseKnowlarityTime(value) : null;
  return time ?? `${name} must be YYYY-MM-DD HH:MM:SS+05:30 (with the + URL-encoded as %2B)`;
}

function readNumber(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
): number | null {
  const value = params.get(name);
  if (value === null || value === '') {
    return fallback;
  }
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    return null;
  }
  return Number(value);
}

function matchesFilters(record: Record<string, unknown>, params: URLSearchParams): boolean {
  for (const key of PHONE_FILTERS) {
    const wanted = params.get(key);
    if (wanted !== null && wanted !== '' && !samePhone(record[key], wanted)) {
      return false;
    }
  }
  const callType = params.get('call_type');
  if (callType !== null && callType !== '' && String(record.Call_Type) !== callType) {
    return false;
  }
  const businessType = params.get('business_call_type');
  return businessType === null || businessType === '' || record.business_call_type === businessType;
}

function samePhone(value: unknown, wanted: string): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const number = value.includes('#') ? value.slice(value.indexOf('#') + 1) : value;
  const a = normalizePhone(number);
  const b = normalizePhone(wanted);
  return a !== null && b !== null ? a.national === b.national : value === wanted;
}
