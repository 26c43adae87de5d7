import { Module } from '@nestjs/common';
import { IngestModule } from '../ingest/ingest.module';
import { KnowlarityModule } from '../knowlarity/knowlarity.module';
import { StreamModule } from '../stream/stream.module';
import { CallLogBackfill } from './call-log-backfill';
import { CallLogPollScheduler } from './call-log-poll.scheduler';
import { CallLogReconciler } from './call-log-reconciler';
import { CallLogSyncService } from './call-log-sync.service';
import { CallLogWindowSync } from './call-log-window-sync';
import { DailyReconcileScheduler } from './daily-reconcile.scheduler';
import { SyncController } from './sync.controller';

@Module({
  imports: [IngestModule, KnowlarityModule, StreamModule],
  controllers: [SyncController],
  providers: [
    CallLogWindowSync,
    CallLogBackfill,
    CallLogSyncService,
    CallLogReconciler,
    CallLogPollScheduler,
    DailyReconcileScheduler,
  ],
  exports: [
    CallLogSyncService,
    CallLogReconciler,
    CallLogPollScheduler,
    DailyReconcileScheduler,
    StreamModule,
  ],
})
export class SyncModule {}
