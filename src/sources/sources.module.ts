import { Module } from '@nestjs/common';
import { SourceCountsRefresher } from './source-counts.refresher';

@Module({
  providers: [SourceCountsRefresher],
  exports: [SourceCountsRefresher],
})
export class SourcesModule {}
