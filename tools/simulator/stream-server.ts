import { IncomingMessage, ServerResponse } from 'node:http';
import { formatIst, parseKnowlarityTime } from '../../src/knowlarity/times';

export interface SimulatedStreamOptions {
  /** The SR API key the stream path must carry (`/update-stream/{key}/konnect`). */
  srApiKey: string;
  /** A `: ping` comment this often while nothing else is sent; 1000 ms by default. */
  heartbeatMs?: number;
  /** Seed for where frames are split when {@link SimulatedCallStream.splitFrames} is on. */
  seed?: number;
}

/** One connection attempt the stream received. */
export interface StreamConnection {
  status: number;
  lastEventId: string | null;
  openedAt: Date;
}

interface Client {
  res: ServerResponse;
  /** Pieces waiting to be written, one per event-loop turn when frames are split. */
  queue: string[];
  pumping: boolean;
}

/**
 * Knowlarity's live stream (docs/knowlarity.md §3) for the simulator's calls: each published call
 * is sent as ORIGINATE, ANSWER (when answered), HANGUP and an end-of-call `CDR` record to every
 * open connection; events published while no client is connected (or while stalled) are lost,
 * as on the real stream. Faults: {@link cut}, {@link stall}, {@link garbageLine},
 * {@link refuseNext} and {@link splitFrames}.
 */
export class SimulatedCallStream {
  /** Every connection attempt, oldest first. */
  readonly connections: StreamConnection[] = [];
  /** Events sent to at least one client, and events lost because none was connected. */
  delivered = 0;
  lost = 0;
  /** When on, every frame is written in pieces split inside its lines, one piece per turn. */
  splitFrames = false;

  private readonly path: string;
  private readonly heartbeatMs: number;
  private readonly clients = new Set<Client>();
  private readonly refusals: number[] = [];
  private stalledUntil = 0;
  private nextId = 1;
  private random: () => number;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(options: SimulatedStreamOptions) {
    this.path = `/update-stream/${options.srApiKey}/konnect`;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    let state = (options.seed ?? 7) >>> 0;
    this.random = () => {
      // mulberry32, as in the call generator: repeatable splits.
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** True for any `/update-stream/...` path (a wrong key there is a 401, not a 404). */
  handles(path: string): boolean {
    return path.startsWith('/update-stream/');
  }

  get connectedClients(): number {
    return this.clients.size;
  }

  /** True when every piece of every frame has been handed to the open connections' sockets. */
  get flushed(): boolean {
    return [...this.clients].every((client) => client.queue.length === 0 && !client.pumping);
  }

  /** The next `n` connection attempts are answered with `status` (401 by default). */
  refuseNext(n: number, status = 401): this {
    for (let i = 0; i < n; i++) this.refusals.push(status);
    return this;
  }

  /** Drops every open connection now. */
  cut(): void {
    for (const client of this.clients) client.res.destroy();
    this.clients.clear();
  }

  /** Sends nothing at all (no events, no heartbeats) for `ms`; events meanwhile are lost. */
  stall(ms: number): void {
    this.stalledUntil = Date.now() + ms;
  }

  /** Writes a line that is neither a field nor JSON, as a broken proxy might. */
  garbageLine(): void {
    this.broadcast('this is not an SSE field\ndata: {not json\n\n');
  }

  /** Sends the live events and the CDR record of one call-log record. */
  publishCall(record: Record<string, unknown>): void {
    for (const event of streamEventsFor(record)) this.publish(event);
  }

  /** Sends one event (as `data:` JSON with an id) to every open connection. */
  publish(event: Record<string, unknown>): void {
    const frame = `id: ${this.nextId++}\ndata: ${JSON.stringify(event)}\n\n`;
    if (this.broadcast(frame)) this.delivered += 1;
    else this.lost += 1;
  }

  handle(path: string, req: IncomingMessage, res: ServerResponse): void {
    const lastEventId =
      typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : null;
    const refusal = this.refusals.shift();
    const status = path !== this.path ? 401 : (refusal ?? 200);
    this.connections.push({ status, lastEventId, openedAt: new Date() });
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: status === 401 ? 'Invalid SR API key' : 'Refused' }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(`retry: 500\n: connected\n\n`);
    const client: Client = { res, queue: [], pumping: false };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    this.startHeartbeat();
  }

  /** Stops heartbeats and drops connections (the simulator's stop calls it). */
  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.cut();
  }

  private startHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Queues `text` on every open connection; false when there was none (or it is stalled). */
  private broadcast(text: string): boolean {
    if (this.clients.size === 0 || Date.now() < this.stalledUntil) return false;
    for (const client of this.clients) {
      client.queue.push(...(this.splitFrames ? this.pieces(text) : [text]));
      this.pump(client);
    }
    return true;
  }

  private pieces(text: string): string[] {
    const cuts = [0, ...[1, 2].map(() => 1 + Math.floor(this.random() * (text.length - 1)))];
    cuts.sort((a, b) => a - b);
    return cuts.map((start, i) => text.slice(start, cuts[i + 1] ?? text.length)).filter(Boolean);
  }

  private pump(client: Client): void {
    if (!this.splitFrames) {
      client.res.write(client.queue.splice(0).join(''));
      return;
    }
    if (client.pumping) return;
    client.pumping = true;
    const step = () => {
      const piece = client.queue.shift();
      if (piece === undefined || client.res.destroyed) {
        client.pumping = false;
        return;
      }
      client.res.write(piece);
      setImmediate(step);
    };
    step();
  }
}

/** ORIGINATE, ANSWER (answered calls), HANGUP and CDR for one call-log record, in that order. */
export function streamEventsFor(record: Record<string, unknown>): Record<string, unknown>[] {
  const inbound = Number(record.Call_Type ?? 0) === 0;
  const common = {
    call_direction: inbound ? 'Inbound' : 'Outbound',
    uuid: record.uuid,
    customer_number: record.customer_number,
    knowlarity_number: record.knowlarity_number,
  };
  const duration = Number(record.call_duration ?? 0);
  const start = parseKnowlarityTime(record.start_time);
  const end = start ? formatIst(new Date(start.getTime() + duration * 1000)) : '';
  const events: Record<string, unknown>[] = [{ event_type: 'ORIGINATE', ...common }];
  if (duration > 0)
    events.push({ event_type: 'ANSWER', ...common, agent_number: record.agent_number });
  events.push({ event_type: 'HANGUP', ...common, agent_number: record.agent_number });
  events.push({
    type: 'CDR',
    Call_Type: inbound ? 'Incoming' : 'Outgoing',
    dispnumber: record.knowlarity_number,
    caller_id: record.customer_number,
    agent_number: record.agent_number,
    business_call_type: record.business_call_type,
    call_duration: String(duration),
    uuid: record.uuid,
    start_time: record.start_time,
    end_time: end,
    call_recording: record.call_recording ?? '',
  });
  return events;
}
