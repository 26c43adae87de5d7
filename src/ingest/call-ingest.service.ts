import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ingestConfig } from '../config';
import {
  DeliveryRecord,
  IngestItem,
  IngestResult,
  LeadSyncRepository,
} from '../database/lead-sync.repository';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';
import { MetricsService } from '../metrics/metrics.service';

/**
 * The single door into the ingest function: webhooks, the call-log poller and replays all hand
 * their normalised calls here, with the CRM rules from configuration; every ingest is timed and
 * counted on the way.
 */
@Injectable()
export class CallIngestService {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly metrics: MetricsService,
    @Inject(ingestConfig.KEY) private readonly config: ConfigType<typeof ingestConfig>,
  ) {}

  async ingest(
    call: CallEvent,
    arrivalPath: ArrivalPath,
    raw: unknown,
    delivery?: DeliveryRecord,
  ): Promise<IngestResult> {
    const done = this.metrics.startIngestTimer(arrivalPath);
    const result = await this.repository.ingestCall(
      call,
      arrivalPath,
      this.config.rules,
      raw,
      delivery,
    );
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
}
