import { Module } from '@nestjs/common';
import { CallIngestService } from './call-ingest.service';

/**
 * The one door into the ingest function. Every transport (webhooks, call-log polling, replays)
 * imports this module to hand over its normalised calls; nothing else calls the ingest SQL.
 */
@Module({
  providers: [CallIngestService],
  exports: [CallIngestService],
})
export class IngestModule {}
