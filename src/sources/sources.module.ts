import { Module } from '@nestjs/common';
import { SourceCountsLease } from './source-counts.lease';
import { SourceCountsRecounter } from './source-counts.recounter';
import { SourceCountsRefresher } from './source-counts.refresher';
import { SourcesController } from './sources.controller';
import { SourcesService } from './sources.service';

@Module({
  controllers: [SourcesController],
  providers: [SourceCountsLease, SourceCountsRecounter, SourceCountsRefresher, SourcesService],
  exports: [SourceCountsRefresher, SourceCountsRecounter],
})
export class SourcesModule {}
