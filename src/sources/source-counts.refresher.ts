import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { BACKGROUND_JOBS } from '../common/background-jobs';
import { Clock } from '../common/clock';
import { businessConfig, sourceCountsConfig } from '../config';
import { LeadSyncRepository, SourceCountsRefresh } from '../database/lead-sync.repository';
import { isRecountDue } from './recount-schedule';
import { DatabaseLease } from '../database/database-lease';
import { RecountTrigger, SourceCountsRecounter } from './source-counts.recounter';
import { RecountInProgressError } from './sources.errors';

const JOB_NAME = 'source-counts-refresh';
/** The lease stream of the refresh: one instance folds and writes `sources` at a time. */
export const REFRESH_STREAM = 'source_counts';
/** Folds per tick when deltas keep coming faster than one fold takes (a bulk import). */
const MAX_FOLDS_PER_TICK = 20;

/**
 * The counts' leased job, every SOURCE_COUNTS_REFRESH_SECONDS on the instance holding the lease:
 * folds the pending count deltas the triggers appended into the per-day counts and copies the
 * figures into sources.total_leads_count / todays_leads_count where they changed (so the CRM's
 * own screens follow within a tick, and today's figure rolls over at midnight on the first tick
 * after it). It also starts the first build of the counts and the daily recount when due.
 */
@Injectable()
export class SourceCountsRefresher
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(SourceCountsRefresher.name);
  private running = false;
  private failing = false;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly recounter: SourceCountsRecounter,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(BACKGROUND_JOBS) private readonly backgroundJobs: boolean,
    @Inject(sourceCountsConfig.KEY) private readonly config: ConfigType<typeof sourceCountsConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.refreshSeconds;
    if (seconds === 0 || !this.backgroundJobs) return;
    this.scheduler.addInterval(
      JOB_NAME,
      setInterval(() => void this.tick(), seconds * 1000),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopTimer();
    await this.recounter.stop();
    await this.lease.release(REFRESH_STREAM).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    this.stopTimer();
  }

  /**
   * One tick: takes (or renews) the lease, folds until nothing is pending, and starts the build
   * or the daily recount in the background when due. Returns the last refresh, or null when
   * another instance holds the lease or a tick is still running.
   */
  async tick(): Promise<SourceCountsRefresh | null> {
    if (this.running) return null;
    this.running = true;
    try {
      const ttl = Math.max(10, this.config.refreshSeconds * 5);
      if (!(await this.lease.tryAcquire(REFRESH_STREAM, ttl)).acquired) return null;
      const refresh = await this.refresh();
      this.startRecountWhenDue(refresh);
      this.failing = false;
      return refresh;
    } catch (error) {
      // Logged once per outage, not every second.
      if (!this.failing)
        this.logger.warn(`Could not refresh source counts: ${(error as Error).message}`);
      this.failing = true;
      return null;
    } finally {
      this.running = false;
    }
  }

  private async refresh(): Promise<SourceCountsRefresh> {
    let refresh: SourceCountsRefresh;
    let folds = 0;
    do {
      refresh = await this.repository.refreshSourceCounts(this.business.timezone, this.clock.now());
      folds += 1;
    } while (refresh.more && folds < MAX_FOLDS_PER_TICK);
    return refresh;
  }

  private startRecountWhenDue(refresh: SourceCountsRefresh): void {
    if (this.recounter.isRunning) return;
    const finishedAt = refresh.recountFinishedAt ? new Date(refresh.recountFinishedAt) : null;
    let trigger: RecountTrigger | null = null;
    // A first build, a rebuild, or a recount an instance left unfinished: carry it on.
    if (!refresh.ready || refresh.recountMode !== null) trigger = 'resume';
    else if (
      isRecountDue(
        this.clock.now(),
        finishedAt,
        this.config.recountAtMinute,
        this.business.timezone,
      )
    ) {
      trigger = 'schedule';
    }
    if (!trigger) return;
    this.recounter.recount(trigger).catch((error: unknown) => {
      if (!(error instanceof RecountInProgressError)) {
        this.logger.warn(`Source counts recount stopped: ${(error as Error).message}`);
      }
    });
  }

  private stopTimer(): void {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
  }
}
