import { Module } from '@nestjs/common';
import { PaginationModule } from '../common/pagination/pagination.module';
import { LeadLookupService } from './lead-lookup.service';
import { LeadsController } from './leads.controller';

@Module({
  imports: [PaginationModule],
  controllers: [LeadsController],
  providers: [LeadLookupService],
})
export class LeadsModule {}
