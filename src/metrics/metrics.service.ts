import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Clock } from '../common/clock';

/**
 * The service's Prometheus metrics, in a registry of its own (several apps in one process, as
 * in tests, never collide). Producers call the small methods below; nothing here does I/O.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly deliveries = new Counter({
    name: 'knowlarity_webhook_deliveries_total',
    help: 'Webhook deliveries by HTTP status and outcome (or error code).',
    labelNames: ['status', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly ingestSeconds = new Histogram({
    name: 'knowlarity_ingest_duration_seconds',
    help: 'Time to ingest one call (webhook, replay) or one call-log page (poll), database included.',
    labelNames: ['arrival_path'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  private readonly batchSize = new Histogram({
    name: 'knowlarity_ingest_batch_size',
    help: 'Calls per group-commit transaction (webhooks and replays ingested together).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });

  private readonly calls = new Counter({
    name: 'knowlarity_calls_total',
    help: 'Calls ingested, by arrival path (webhook, poll, replay, stream) and outcome.',
    labelNames: ['arrival_path', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly leadsCreated = new Counter({
    name: 'knowlarity_leads_created_total',
    help: 'New leads created, by source id.',
    labelNames: ['source_id'] as const,
    registers: [this.registry],
  });

  private readonly pollRuns = new Counter({
    name: 'knowlarity_poll_runs_total',
    help: 'Call-log runs by trigger (schedule, manual, backfill) and result (succeeded, failed).',
    labelNames: ['trigger', 'result'] as const,
    registers: [this.registry],
  });

  private readonly lastPollSuccess = new Gauge({
    name: 'knowlarity_poll_last_success_timestamp_seconds',
    help: 'When the last call-log poll succeeded (Unix seconds).',
    registers: [this.registry],
  });

  private readonly streamEvents = new Counter({
    name: 'knowlarity_stream_events_total',
    help: 'Live stream events by type (CDR, ORIGINATE, ..., other, invalid, invalid_line).',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  private readonly streamConnectedGauge = new Gauge({
    name: 'knowlarity_stream_connected',
    help: '1 while this instance holds an open live stream.',
    registers: [this.registry],
  });

  private readonly streamReconnects = new Counter({
    name: 'knowlarity_stream_reconnects_total',
    help: 'Live stream connections opened after the first one.',
    registers: [this.registry],
  });

  private readonly streamLastEvent = new Gauge({
    name: 'knowlarity_stream_last_event_timestamp_seconds',
    help: 'When the live stream last delivered an event (Unix seconds).',
    registers: [this.registry],
  });

  private readonly reconcileMissing = new Gauge({
    name: 'knowlarity_reconcile_missing_calls',
    help: "Calls in Knowlarity's call log for the last reconciled business day that are not stored.",
    registers: [this.registry],
  });

  private readonly reconcileLastRun = new Gauge({
    name: 'knowlarity_reconcile_last_run_timestamp_seconds',
    help: 'When the daily reconcile last finished (Unix seconds).',
    registers: [this.registry],
  });

  private watermark: Date | null = null;

  private readonly refusals = new Counter({
    name: 'knowlarity_webhook_refusals_unauthenticated_total',
    help: 'Refusals before authentication, by what was kept: whole (with body), metadata, counted (no row).',
    labelNames: ['kept'] as const,
    registers: [this.registry],
  });

  private readonly refusalBytes = new Gauge({
    name: 'knowlarity_webhook_refusal_budget_used_bytes',
    help: 'Bytes of unauthenticated refusals stored in the current hour.',
    registers: [this.registry],
  });

  private readonly refusalBudgetBytes = new Gauge({
    name: 'knowlarity_webhook_refusal_budget_bytes',
    help: 'Bytes of unauthenticated refusals that may be stored per hour (WEBHOOK_REFUSED_BYTES_PER_HOUR).',
    registers: [this.registry],
  });

  private readonly abortedRequests = new Counter({
    name: 'knowlarity_http_aborted_requests_total',
    help: 'Requests that never arrived whole: timeout (408, past HTTP_REQUEST/HEADERS_TIMEOUT) or aborted by the client (499).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private countUnreturned: (() => Promise<number>) | null = null;

  private readonly databaseErrors = new Counter({
    name: 'knowlarity_database_errors_total',
    help: 'Database calls that failed, by kind (unavailable, error).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly sourceCountDriftGauge = new Gauge({
    name: 'knowlarity_source_count_drift',
    help:
      'Leads the last source-count recount found the counts missing (+) or holding extra (-), ' +
      'by source id; sources without drift have no series.',
    labelNames: ['source_id'] as const,
    registers: [this.registry],
  });

  constructor(private readonly clock: Clock) {
    collectDefaultMetrics({ register: this.registry, prefix: 'knowlarity_' });
    const lagSeconds = () =>
      this.watermark ? (this.clock.now().getTime() - this.watermark.getTime()) / 1000 : null;
    new Gauge({
      name: 'knowlarity_poll_lag_seconds',
      help: 'Seconds between now and the call-log watermark (what polling has fully read).',
      registers: [this.registry],
      collect() {
        const lag = lagSeconds();
        if (lag !== null) this.set(lag);
      },
    });
    const unreturned = () => this.countUnreturned?.();
    new Gauge({
      name: 'knowlarity_missed_calls_unreturned',
      help: 'Customers whose missed inbound call nobody has answered since (GET /calls/missed).',
      registers: [this.registry],
      async collect() {
        try {
          const count = await unreturned();
          if (count !== undefined) this.set(count);
        } catch {
          // Kept at the last value read; the database error is counted by the repository.
        }
      },
    });
  }

  /**
   * Reads the missed-call gauge from the database on each scrape (one count over a small partial
   * index). A failed read keeps the previous value instead of failing the scrape; the failure
   * itself shows in knowlarity_database_errors_total.
   */
  trackUnreturnedMissedCalls(count: () => Promise<number>): void {
    this.countUnreturned = count;
  }

  delivery(status: number, outcome: string): void {
    this.deliveries.inc({ status: String(status), outcome });
  }

  /** Starts an ingest timer; call the returned function when the ingest finished. */
  startIngestTimer(arrivalPath: string): () => void {
    return this.ingestSeconds.startTimer({ arrival_path: arrivalPath });
  }

  /** One group-commit transaction of `size` calls. */
  ingestBatch(size: number): void {
    this.batchSize.observe(size);
  }

  ingested(arrivalPath: string, outcome: string, sourceId: number | null): void {
    this.calls.inc({ arrival_path: arrivalPath, outcome });
    if (outcome === 'lead_created')
      this.leadsCreated.inc({ source_id: String(sourceId ?? 'none') });
  }

  pollRun(trigger: string, succeeded: boolean, watermark?: Date): void {
    this.pollRuns.inc({ trigger, result: succeeded ? 'succeeded' : 'failed' });
    if (succeeded && watermark) {
      this.watermark = watermark;
      this.lastPollSuccess.set(this.clock.now().getTime() / 1000);
    }
  }

  refusal(kept: 'whole' | 'metadata' | 'counted'): void {
    this.refusals.inc({ kept });
  }

  refusalBudget(usedBytes: number, budgetBytes: number): void {
    this.refusalBytes.set(usedBytes);
    this.refusalBudgetBytes.set(budgetBytes);
  }

  abortedRequest(reason: 'timeout' | 'aborted'): void {
    this.abortedRequests.inc({ reason });
  }

  streamEvent(type: string): void {
    this.streamEvents.inc({ type });
    if (type !== 'invalid_line') this.streamLastEvent.set(this.clock.now().getTime() / 1000);
  }

  /** A live stream opened (`reconnect`: not the first connection) or closed. */
  streamConnected(connected: boolean, reconnect: boolean): void {
    this.streamConnectedGauge.set(connected ? 1 : 0);
    if (reconnect) this.streamReconnects.inc();
  }

  reconciled(missingCalls: number): void {
    this.reconcileMissing.set(missingCalls);
    this.reconcileLastRun.set(this.clock.now().getTime() / 1000);
  }

  databaseError(kind: 'unavailable' | 'error'): void {
    this.databaseErrors.inc({ kind });
  }

  /** Replaces the drift series with what the last recount found. */
  sourceCountDrift(differences: { sourceId: number; difference: number }[]): void {
    this.sourceCountDriftGauge.reset();
    for (const { sourceId, difference } of differences) {
      this.sourceCountDriftGauge.set({ source_id: String(sourceId) }, difference);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
