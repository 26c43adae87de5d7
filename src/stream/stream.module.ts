import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { KnowlarityModule } from '../knowlarity/knowlarity.module';
import { KnowlarityStreamConsumer } from './knowlarity-stream.consumer';
import { StreamEvents } from './stream-events';

/**
 * The live stream as an arrival path: its own module rather than part of sync, because it is a
 * transport like the webhooks (events → normaliser → ingest door), not call-log polling; sync and
 * health only read its status.
 */
@Module({
  imports: [IngestModule, KnowlarityModule],
  providers: [StreamEvents, KnowlarityStreamConsumer],
  exports: [KnowlarityStreamConsumer],
})
export class StreamModule {}
