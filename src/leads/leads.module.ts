import { Module } from '@nestjs/common';
import { PaginationModule } from '../common/pagination/pagination.module';
import { CallIngestService } from './call-ingest.service';
import { LeadLookupService } from './lead-lookup.service';
import { LeadsController } from './leads.controller';

@Module({
  imports: [PaginationModule],
  controllers: [LeadsController],
  providers: [CallIngestService, LeadLookupService],
  exports: [CallIngestService],
})
export class LeadsModule {}
