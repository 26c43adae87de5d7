import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ingestConfig } from '../config';
import { DeliveryRecord, IngestResult, LeadSyncRepository } from '../database/lead-sync.repository';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';

/**
 * The single door into the ingest function: webhooks, the call-log poller and replays all hand
 * their normalised call here, with the CRM rules from configuration.
 */
@Injectable()
export class CallIngestService {
  constructor(
    private readonly repository: LeadSyncRepository,
    @Inject(ingestConfig.KEY) private readonly config: ConfigType<typeof ingestConfig>,
  ) {}

  ingest(
    call: CallEvent,
    arrivalPath: ArrivalPath,
    raw: unknown,
    delivery?: DeliveryRecord,
  ): Promise<IngestResult> {
    return this.repository.ingestCall(call, arrivalPath, this.config.rules, raw, delivery);
  }
}
