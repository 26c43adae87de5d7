import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { businessConfig, ingestConfig } from '../config';
import { BACKGROUND_JOBS } from '../common/background-jobs';
import { Clock } from '../common/clock';
import { DatabaseLease } from '../database/database-lease';
import { LeadSyncRepository } from '../database/lead-sync.repository';

const JOB_NAME = 'source-counts-refresh';
/** The lease that keeps two instances from refreshing at the same moment. */
export const SOURCE_COUNTS_LEASE = 'source_counts_refresh';
/** One statement; a lease left by a crashed instance frees itself after this. */
const LEASE_SECONDS = 60;

/**
 * Keeps sources.total_leads_count / todays_leads_count truthful for the CRM's existing screens.
 * The ingest function never writes them (one row every ingest updates would serialise all
 * ingests); instead this copies the derived counts in on a short interval, touching only rows
 * whose figures changed, one instance at a time. The API itself always reads the derived, exact
 * counts.
 */
@Injectable()
export class SourceCountsRefresher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SourceCountsRefresher.name);

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(BACKGROUND_JOBS) private readonly backgroundJobs: boolean,
    @Inject(ingestConfig.KEY) private readonly ingest: ConfigType<typeof ingestConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.ingest.sourceCountsRefreshSeconds;
    if (seconds === 0 || !this.backgroundJobs) return;
    this.scheduler.addInterval(
      JOB_NAME,
      setInterval(() => void this.refresh(), seconds * 1000),
    );
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
  }

  /**
   * Copies the derived counts into sources; returns how many rows changed (0 when a refresh is
   * already going on, here or on another instance).
   */
  async refresh(): Promise<number> {
    try {
      const run = await this.lease.runExclusive(
        SOURCE_COUNTS_LEASE,
        { ttlSeconds: LEASE_SECONDS },
        () => this.repository.refreshSourceCounts(this.business.timezone, this.clock.now()),
      );
      return run.ran ? run.value.updated : 0;
    } catch (error) {
      this.logger.warn(`Could not refresh source counts: ${(error as Error).message}`);
      return 0;
    }
  }
}
