import { Module } from '@nestjs/common';
import { CallIngestService } from './call-ingest.service';

@Module({
  providers: [CallIngestService],
  exports: [CallIngestService],
})
export class LeadsModule {}
