import { Module } from '@nestjs/common';
import { SourceCountsRecounter } from './source-counts.recounter';
import { SourceCountsRefresher } from './source-counts.refresher';
import { SourcesController } from './sources.controller';
import { SourcesService } from './sources.service';

@Module({
  controllers: [SourcesController],
  providers: [SourceCountsRecounter, SourceCountsRefresher, SourcesService],
  exports: [SourceCountsRefresher, SourceCountsRecounter],
})
export class SourcesModule {}
