import { Module } from '@nestjs/common';
import { RetentionScheduler } from './retention.scheduler';

/** Deletes stored deliveries and sync runs past their retention period. */
@Module({
  providers: [RetentionScheduler],
  exports: [RetentionScheduler],
})
export class RetentionModule {}
