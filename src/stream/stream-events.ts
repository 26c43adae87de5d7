import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { CallIngestService } from '../ingest/call-ingest.service';
import type { CallEvent } from '../knowlarity/call-event';
import { CallNormalizer } from '../knowlarity/call-normalizer';
import type { StreamMessage } from '../knowlarity/knowlarity-stream.client';
import { MetricsService } from '../metrics/metrics.service';

/** What the stream has delivered since this process started, for GET /sync/knowlarity. */
export interface StreamEventCounts {
  /** Events by type: `CDR`, each known live `event_type`, `other`, and `invalid` (not JSON). */
  byType: Record<string, number>;
  /** Calls handed to the ingest door (CDR records, and HANGUPs that carry the call). */
  ingested: number;
  /** Call events the normaliser refused (no customer phone, ...) or the ingest failed on. */
  rejected: number;
  lastEventAt: string | null;
}

/**
 * Turns stream events into calls: an end-of-call `CDR` record, or a `HANGUP` that carries the
 * whole call (customer, SR number, start), goes through the same normaliser and ingest door as a
 * webhook, with arrival path `stream`; every other event is only counted. Different calls are
 * ingested concurrently (the ingest function is race-free per phone, and one call at a time would
 * queue every call behind the slowest round trip); events of one call are ingested one after the
 * other, in arrival order, so a HANGUP and its CDR never race each other.
 */
@Injectable()
export class StreamEvents {
  private readonly logger = new Logger(StreamEvents.name);
  private readonly counts: StreamEventCounts = {
    byType: {},
    ingested: 0,
    rejected: 0,
    lastEventAt: null,
  };
  /** The last ingest queued for each call id still in flight. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly normalizer: CallNormalizer,
    private readonly ingest: CallIngestService,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
  ) {}

  get status(): StreamEventCounts {
    return { ...this.counts, byType: { ...this.counts.byType } };
  }

  /** Counts the event and starts its ingest when it carries a call. */
  accept(message: StreamMessage): void {
    const payload = parseObject(message.data);
    const type = payload ? eventType(payload) : 'invalid';
    this.counts.byType[type] = (this.counts.byType[type] ?? 0) + 1;
    this.counts.lastEventAt = this.clock.now().toISOString();
    this.metrics.streamEvent(type);
    if (payload && carriesCall(type, payload)) this.queue(payload);
  }

  /** Resolves when every event accepted so far has been ingested (or refused). */
  async drained(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  private queue(payload: Record<string, unknown>): void {
    const call = this.normalizer.normalizeRecord(payload);
    if (!call) {
      this.counts.rejected += 1;
      return;
    }
    const previous = this.inFlight.get(call.callId) ?? Promise.resolve();
    const next = previous.then(() => this.store(call, payload));
    this.inFlight.set(call.callId, next);
    void next.then(() => {
      if (this.inFlight.get(call.callId) === next) this.inFlight.delete(call.callId);
    });
  }

  private async store(call: CallEvent, payload: Record<string, unknown>): Promise<void> {
    try {
      await this.ingest.ingest(call, 'stream', payload);
      this.counts.ingested += 1;
    } catch (error) {
      // The poller's overlap re-reads this call from the call log: log it, never stop the stream.
      this.counts.rejected += 1;
      this.logger.warn(`A streamed call could not be stored: ${(error as Error).message}`);
    }
  }
}

function parseObject(data: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The live events docs/knowlarity.md §3 lists; anything else is `other` (a bounded label set). */
const LIVE_EVENTS = new Set([
  'ORIGINATE',
  'CUSTOMER_CALL',
  'AGENT_CALL',
  'BRIDGE',
  'ANSWER',
  'AGENT_ANSWER',
  'HANGUP',
]);

function eventType(payload: Record<string, unknown>): string {
  if (typeof payload.type === 'string' && payload.type.toUpperCase() === 'CDR') return 'CDR';
  const type = payload.event_type;
  return typeof type === 'string' && LIVE_EVENTS.has(type.toUpperCase())
    ? type.toUpperCase()
    : 'other';
}

/**
 * A HANGUP is read as the call only when it names the customer, the SR number and the start: a
 * call row started without its real start time would sit on the wrong day for reconciling.
 */
function carriesCall(type: string, payload: Record<string, unknown>): boolean {
  if (type === 'CDR') return true;
  return (
    type === 'HANGUP' &&
    isText(payload.customer_number) &&
    isText(payload.knowlarity_number) &&
    isText(payload.start_time)
  );
}

function isText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
