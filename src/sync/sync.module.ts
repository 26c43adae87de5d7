import { Module } from '@nestjs/common';
import { KnowlarityClient } from '../knowlarity/knowlarity-client';
import { LeadsModule } from '../leads/leads.module';
import { CallLogPollScheduler } from './call-log-poll.scheduler';
import { CallLogReconciler } from './call-log-reconciler';
import { CallLogSyncService } from './call-log-sync.service';
import { SyncController } from './sync.controller';

@Module({
  imports: [LeadsModule],
  controllers: [SyncController],
  providers: [KnowlarityClient, CallLogSyncService, CallLogReconciler, CallLogPollScheduler],
  exports: [CallLogSyncService, CallLogReconciler, CallLogPollScheduler],
})
export class SyncModule {}
