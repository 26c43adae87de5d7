import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { Clock } from '../common/clock';

interface MetricDefinition {
  kind: 'counter' | 'gauge' | 'histogram';
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets?: readonly number[];
}

/** The metrics that producers feed through the methods below, by the name the code uses. */
const METRICS = {
  deliveries: {
    kind: 'counter',
    name: 'knowlarity_webhook_deliveries_total',
    help: 'Webhook deliveries by HTTP status and outcome (or error code).',
    labelNames: ['status', 'outcome'],
  },
  ingestSeconds: {
    kind: 'histogram',
    name: 'knowlarity_ingest_duration_seconds',
    help: 'Time to ingest one call (webhook, replay) or one call-log page (poll), database included.',
    labelNames: ['arrival_path'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  },
  batchSize: {
    kind: 'histogram',
    name: 'knowlarity_ingest_batch_size',
    help: 'Calls per group-commit transaction (webhooks and replays ingested together).',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  },
  calls: {
    kind: 'counter',
    name: 'knowlarity_calls_total',
    help: 'Calls ingested, by arrival path (webhook, poll, replay, stream) and outcome.',
    labelNames: ['arrival_path', 'outcome'],
  },
  leadsCreated: {
    kind: 'counter',
    name: 'knowlarity_leads_created_total',
    help: 'New leads created, by source id.',
    labelNames: ['source_id'],
  },
  pollRuns: {
    kind: 'counter',
    name: 'knowlarity_poll_runs_total',
    help: 'Call-log runs by trigger (schedule, manual, backfill) and result (succeeded, failed).',
    labelNames: ['trigger', 'result'],
  },
  lastPollSuccess: {
    kind: 'gauge',
    name: 'knowlarity_poll_last_success_timestamp_seconds',
    help: 'When the last call-log poll succeeded (Unix seconds).',
  },
  streamEvents: {
    kind: 'counter',
    name: 'knowlarity_stream_events_total',
    help: 'Live stream events by type (CDR, ORIGINATE, ..., other, invalid, invalid_line).',
    labelNames: ['type'],
  },
  streamConnected: {
    kind: 'gauge',
    name: 'knowlarity_stream_connected',
    help: '1 while this instance holds an open live stream.',
  },
  streamReconnects: {
    kind: 'counter',
    name: 'knowlarity_stream_reconnects_total',
    help: 'Live stream connections opened after the first one.',
  },
  streamLastEvent: {
    kind: 'gauge',
    name: 'knowlarity_stream_last_event_timestamp_seconds',
    help: 'When the live stream last delivered an event (Unix seconds).',
  },
  reconcileMissing: {
    kind: 'gauge',
    name: 'knowlarity_reconcile_missing_calls',
    help: "Calls in Knowlarity's call log for the last reconciled business day that are not stored.",
  },
  reconcileLastRun: {
    kind: 'gauge',
    name: 'knowlarity_reconcile_last_run_timestamp_seconds',
    help: 'When the daily reconcile last finished (Unix seconds).',
  },
  refusals: {
    kind: 'counter',
    name: 'knowlarity_webhook_refusals_unauthenticated_total',
    help: 'Refusals before authentication, by what was kept: whole (with body), metadata, counted (no row).',
    labelNames: ['kept'],
  },
  refusalBytes: {
    kind: 'gauge',
    name: 'knowlarity_webhook_refusal_budget_used_bytes',
    help: 'Bytes of unauthenticated refusals stored in the current hour.',
  },
  refusalBudgetBytes: {
    kind: 'gauge',
    name: 'knowlarity_webhook_refusal_budget_bytes',
    help: 'Bytes of unauthenticated refusals that may be stored per hour (WEBHOOK_REFUSED_BYTES_PER_HOUR).',
  },
  abortedRequests: {
    kind: 'counter',
    name: 'knowlarity_http_aborted_requests_total',
    help: 'Requests that never arrived whole: timeout (408, past HTTP_REQUEST/HEADERS_TIMEOUT) or aborted by the client (499).',
    labelNames: ['reason'],
  },
  databaseErrors: {
    kind: 'counter',
    name: 'knowlarity_database_errors_total',
    help: 'Database calls that failed, by kind (unavailable, error).',
    labelNames: ['kind'],
  },
  sourceCountDrift: {
    kind: 'gauge',
    name: 'knowlarity_source_count_drift',
    help:
      'Leads the last source-count recount found the counts missing (+) or holding extra (-), ' +
      'by source id; sources without drift have no series.',
    labelNames: ['source_id'],
  },
} as const satisfies Record<string, MetricDefinition>;

type LabelsOf<D> = D extends { labelNames: readonly (infer L extends string)[] } ? L : string;
type MetricOf<D extends MetricDefinition> = D['kind'] extends 'counter'
  ? Counter<LabelsOf<D>>
  : D['kind'] extends 'gauge'
    ? Gauge<LabelsOf<D>>
    : Histogram<LabelsOf<D>>;
type Metrics = { readonly [K in keyof typeof METRICS]: MetricOf<(typeof METRICS)[K]> };

/** Creates every metric of `METRICS` in `registry`. */
function createMetrics(registry: Registry): Metrics {
  const entries = Object.entries(METRICS).map(
    ([key, definition]: [string, MetricDefinition]): [string, Counter | Gauge | Histogram] => {
      const { kind, buckets, ...common } = definition;
      const configuration = { ...common, registers: [registry] };
      if (kind === 'counter') return [key, new Counter(configuration)];
      if (kind === 'gauge') return [key, new Gauge(configuration)];
      return [key, new Histogram({ ...configuration, buckets: buckets && [...buckets] })];
    },
  );
  return Object.fromEntries(entries) as Metrics;
}

/**
 * The service's Prometheus metrics, in a registry of its own (several apps in one process, as
 * in tests, never collide). Producers call the small methods below; nothing here does I/O.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly metric = createMetrics(this.registry);
  private watermark: Date | null = null;
  private countUnreturned: (() => Promise<number>) | null = null;

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
    this.metric.deliveries.inc({ status: String(status), outcome });
  }

  /** Starts an ingest timer; call the returned function when the ingest finished. */
  startIngestTimer(arrivalPath: string): () => void {
    return this.metric.ingestSeconds.startTimer({ arrival_path: arrivalPath });
  }

  /** One group-commit transaction of `size` calls. */
  ingestBatch(size: number): void {
    this.metric.batchSize.observe(size);
  }

  ingested(arrivalPath: string, outcome: string, sourceId: number | null): void {
    this.metric.calls.inc({ arrival_path: arrivalPath, outcome });
    if (outcome === 'lead_created')
      this.metric.leadsCreated.inc({ source_id: String(sourceId ?? 'none') });
  }

  pollRun(trigger: string, succeeded: boolean, watermark?: Date): void {
    this.metric.pollRuns.inc({ trigger, result: succeeded ? 'succeeded' : 'failed' });
    if (succeeded && watermark) {
      this.watermark = watermark;
      this.metric.lastPollSuccess.set(this.clock.now().getTime() / 1000);
    }
  }

  refusal(kept: 'whole' | 'metadata' | 'counted'): void {
    this.metric.refusals.inc({ kept });
  }

  refusalBudget(usedBytes: number, budgetBytes: number): void {
    this.metric.refusalBytes.set(usedBytes);
    this.metric.refusalBudgetBytes.set(budgetBytes);
  }

  abortedRequest(reason: 'timeout' | 'aborted'): void {
    this.metric.abortedRequests.inc({ reason });
  }

  streamEvent(type: string): void {
    this.metric.streamEvents.inc({ type });
    if (type !== 'invalid_line') this.metric.streamLastEvent.set(this.clock.now().getTime() / 1000);
  }

  /** A live stream opened (`reconnect`: not the first connection) or closed. */
  streamConnected(connected: boolean, reconnect: boolean): void {
    this.metric.streamConnected.set(connected ? 1 : 0);
    if (reconnect) this.metric.streamReconnects.inc();
  }

  reconciled(missingCalls: number): void {
    this.metric.reconcileMissing.set(missingCalls);
    this.metric.reconcileLastRun.set(this.clock.now().getTime() / 1000);
  }

  databaseError(kind: 'unavailable' | 'error'): void {
    this.metric.databaseErrors.inc({ kind });
  }

  /** Replaces the drift series with what the last recount found. */
  sourceCountDrift(differences: { sourceId: number; difference: number }[]): void {
    this.metric.sourceCountDrift.reset();
    for (const { sourceId, difference } of differences) {
      this.metric.sourceCountDrift.set({ source_id: String(sourceId) }, difference);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
