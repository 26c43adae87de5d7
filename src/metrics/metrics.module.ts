import { Global, Module, OnModuleInit } from '@nestjs/common';
import { LeadSyncRepository } from '../database/lead-sync.repository';
import { StorageUnavailableError } from '../database/storage.errors';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly repository: LeadSyncRepository,
  ) {}

  onModuleInit(): void {
    this.repository.observeErrors((error) =>
      this.metrics.databaseError(
        error instanceof StorageUnavailableError ? 'unavailable' : 'error',
      ),
    );
    this.metrics.trackUnreturnedMissedCalls(() => this.repository.countUnreturnedMissedCalls());
  }
}
