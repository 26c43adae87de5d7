import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ingestConfig } from '../config';
import {
  BatchIngestEntry,
  BatchIngestItem,
  DeliveryRecord,
  IngestItem,
  IngestResult,
  LeadSyncRepository,
} from '../database/lead-sync.repository';
import { ConnectionArrivals } from '../common/http/connection-arrivals';
import { IngestBatcher } from './ingest-batcher';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The single door into the ingest function: webhooks, the call-log poller and replays all hand
 * their normalised calls here, with the CRM rules from configuration; every ingest is timed and
 * counted on the way. Single calls are group-committed: those that arrive while others are being
 * ingested go together in one transaction (INGEST_BATCH_MAX; see IngestBatcher).
 */
@Injectable()
export class CallIngestService {
  private readonly batcher: IngestBatcher<BatchIngestItem, IngestResult>;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly metrics: MetricsService,
    @Inject(ingestConfig.KEY) private readonly config: ConfigType<typeof ingestConfig>,
    connections: ConnectionArrivals = new ConnectionArrivals(),
  ) {
    this.batcher = new IngestBatcher((items) => this.ingestTogether(items), {
      maxBatch: config.batchMax,
      maxInFlight: Math.min(config.batchesInFlight, repository.maxConcurrentCalls),
      // The embedded database holds the thread for a whole batch; the event loop accepts one
      // connection per turn, so a burst of new connections would wait a batch each.
      beforeSending: repository.holdsThread
        ? () => connections.letWaitingConnectionsIn()
        : undefined,
    });
  }

  async ingest(
    call: CallEvent,
    arrivalPath: ArrivalPath,
    raw: unknown,
    delivery?: DeliveryRecord,
  ): Promise<IngestResult> {
    const done = this.metrics.startIngestTimer(arrivalPath);
    const result = await this.batcher.submit({ call, arrivalPath, raw, delivery });
    done();
    this.metrics.ingested(arrivalPath, result.outcome, result.sourceId);
    return result;
  }

  /** A call-log page in one transaction; with `dryRun` the outcomes are reported, nothing kept. */
  async ingestPage(items: IngestItem[], dryRun = false): Promise<IngestResult[]> {
    const done = this.metrics.startIngestTimer('poll');
    const results = await this.repository.ingestCalls(items, 'poll', this.config.rules, dryRun);
    done();
    if (!dryRun)
      for (const result of results) this.metrics.ingested('poll', result.outcome, result.sourceId);
    return results;
  }

  /** A batch of one is the single-call function: no batch machinery when the service is idle. */
  private async ingestTogether(items: BatchIngestItem[]): Promise<BatchIngestEntry[]> {
    this.metrics.ingestBatch(items.length);
    if (items.length > 1) return this.repository.ingestBatch(items, this.config.rules);
    const [{ call, arrivalPath, raw, delivery }] = items;
    return [await this.repository.ingestCall(call, arrivalPath, this.config.rules, raw, delivery)];
  }
}
