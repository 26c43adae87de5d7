import { Module } from '@nestjs/common';
import { PaginationModule } from '../common/pagination/pagination.module';
import { CallsController } from './calls.controller';
import { CallsService } from './calls.service';

/** Read-only look-ups over the stored Knowlarity calls. */
@Module({
  imports: [PaginationModule],
  controllers: [CallsController],
  providers: [CallsService],
})
export class CallsModule {}
