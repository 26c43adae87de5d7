import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { OneRunAtATime } from '../common/one-run-at-a-time';
import { JobTimers, JobTiming, ScheduledJob } from '../common/scheduled-job';
import { businessConfig, sourceCountsConfig } from '../config';
import { DatabaseLease } from '../database/database-lease';
import { LeadSyncRepository, SourceCountsRefresh } from '../database/lead-sync.repository';
import { isRecountDue } from './recount-schedule';
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
export class SourceCountsRefresher extends ScheduledJob {
  private readonly logger = new Logger(SourceCountsRefresher.name);
  private readonly refreshes = new OneRunAtATime<SourceCountsRefresh | null>();
  private failing = false;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly recounter: SourceCountsRecounter,
    private readonly clock: Clock,
    timers: JobTimers,
    @Inject(sourceCountsConfig.KEY) private readonly config: ConfigType<typeof sourceCountsConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {
    super(timers);
  }

  protected override schedule(): JobTiming | null {
    const seconds = this.config.refreshSeconds;
    return seconds === 0 ? null : { name: JOB_NAME, everyMs: seconds * 1000 };
  }

  protected override async finish(): Promise<void> {
    await this.recounter.stop();
    await this.lease.release(REFRESH_STREAM).catch(() => undefined);
  }

  /**
   * One tick: takes (or renews) the lease, folds until nothing is pending, and starts the build
   * or the daily recount in the background when due. Returns the last refresh, or null when
   * another instance holds the lease or a tick is still running.
   */
  override async tick(): Promise<SourceCountsRefresh | null> {
    return this.refreshes.start(() => this.refreshUnderLease()) ?? null;
  }

  private async refreshUnderLease(): Promise<SourceCountsRefresh | null> {
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
}
