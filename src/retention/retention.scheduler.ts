import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { OneRunAtATime } from '../common/one-run-at-a-time';
import { JobTimers, JobTiming, ScheduledJob } from '../common/scheduled-job';
import { retentionConfig } from '../config';
import { DatabaseLease, HeldLease } from '../database/database-lease';
import { LeadSyncRepository } from '../database/lead-sync.repository';

/** The lease stream: one instance of a cluster purges at a time. */
export const RETENTION_STREAM = 'retention';
const JOB_NAME = 'retention-purge';
const INTERVAL_MS = 60 * 60 * 1000;
/** The first pass waits a little, so a restart does not add work to the boot itself. */
const FIRST_RUN_DELAY_MS = 60 * 1000;
/** Rows per call: one short transaction each, so webhook inserts are never held up for long. */
export const RETENTION_BATCH = 500;
const LEASE_SECONDS = 300;
const DAY_MS = 86_400_000;

export interface RetentionResult {
  deliveries: number;
  syncRuns: number;
}

/**
 * Deletes webhook deliveries older than DELIVERY_RETENTION_DAYS (their raw bodies hold callers'
 * phone numbers) and sync runs older than SYNC_RUN_RETENTION_DAYS, hourly, in batches. A pass
 * runs under a lease (the sync lease functions of 0004), so one instance of a cluster does it,
 * and never overlaps itself. Deleting is idempotent: a pass cut short is finished by the next.
 */
@Injectable()
export class RetentionScheduler extends ScheduledJob {
  private readonly logger = new Logger(RetentionScheduler.name);
  private readonly passes = new OneRunAtATime<RetentionResult | null>();
  private stopping = false;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly clock: Clock,
    timers: JobTimers,
    @Inject(retentionConfig.KEY) private readonly config: ConfigType<typeof retentionConfig>,
  ) {
    super(timers);
  }

  get enabled(): boolean {
    return this.config.deliveryDays > 0 || this.config.syncRunDays > 0;
  }

  protected override schedule(): JobTiming | null {
    return this.enabled
      ? { name: JOB_NAME, everyMs: INTERVAL_MS, first: FIRST_RUN_DELAY_MS }
      : null;
  }

  /** No new passes; the batch in progress finishes. */
  protected override async finish(): Promise<void> {
    this.stopping = true;
    await this.passes.settled();
  }

  /**
   * One pass: deletes what is past each limit, as of the injected clock. Returns the rows
   * deleted, or null when another instance holds the lease. A pass already running here is
   * joined, not repeated.
   */
  override tick(): Promise<RetentionResult | null> {
    return this.passes.join(() => this.pass());
  }

  private async pass(): Promise<RetentionResult | null> {
    try {
      const run = await this.lease.runExclusive(
        RETENTION_STREAM,
        { ttlSeconds: LEASE_SECONDS },
        (lease) => this.purgeAll(lease),
      );
      return run.ran ? run.value : null;
    } catch (error) {
      this.logger.warn(`Retention pass failed: ${(error as Error).message}`);
      return null;
    }
  }

  private async purgeAll(lease: HeldLease): Promise<RetentionResult> {
    const now = this.clock.now().getTime();
    const result = {
      deliveries: await this.purge(this.config.deliveryDays, now, lease, (before) =>
        this.repository.purgeDeliveries(before, RETENTION_BATCH),
      ),
      syncRuns: await this.purge(this.config.syncRunDays, now, lease, (before) =>
        this.repository.purgeSyncRuns(before, RETENTION_BATCH),
      ),
    };
    if (result.deliveries + result.syncRuns > 0) {
      this.logger.log(
        `Retention: deleted ${result.deliveries} deliveries and ${result.syncRuns} sync runs.`,
      );
    }
    return result;
  }

  /** Deletes batch after batch of rows older than `days` before `now` (0 days: keep all). */
  private async purge(
    days: number,
    now: number,
    lease: HeldLease,
    deleteBatch: (before: Date) => Promise<{ deleted: number }>,
  ): Promise<number> {
    if (days === 0) return 0;
    const before = new Date(now - days * DAY_MS);
    let total = 0;
    for (;;) {
      const { deleted } = await deleteBatch(before);
      total += deleted;
      if (deleted < RETENTION_BATCH || this.stopping) return total;
      await lease.renew();
    }
  }
}
