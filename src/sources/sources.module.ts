import { Module } from '@nestjs/common';
import { SourceCountsRefresher } from './source-counts.refresher';
import { SourcesController } from './sources.controller';
import { SourcesService } from './sources.service';

@Module({
  controllers: [SourcesController],
  providers: [SourceCountsRefresher, SourcesService],
  exports: [SourceCountsRefresher],
})
export class SourcesModule {}
