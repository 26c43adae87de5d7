import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { OneRunAtATime } from '../common/one-run-at-a-time';
import { startOfDay } from '../common/dates';
import { JobTimers, JobTiming, ScheduledJob } from '../common/scheduled-job';
import { businessConfig, streamConfig } from '../config';
import { DatabaseLease } from '../database/database-lease';
import { formatInZone } from '../knowlarity/times';
import { MetricsService } from '../metrics/metrics.service';
import { CallLogReconciler } from './call-log-reconciler';

/** Held for (almost) a day by the instance that reconciled, so the others skip that day. */
export const DAILY_RECONCILE_LEASE = 'knowlarity-daily-reconcile';
const CHECK_EVERY_MS = 60_000;

/** The last daily reconcile this instance ran, as GET /sync/knowlarity shows it. */
export interface DailyReconcileRun {
  /** The business day reconciled (YYYY-MM-DD in BUSINESS_TIMEZONE). */
  day: string;
  finishedAt: string;
  status: 'succeeded' | 'failed';
  inCallLog: number | null;
  stored: number | null;
  /** Call ids in Knowlarity's call log that are not stored (at most 100 listed). */
  missingCalls: number | null;
  missingCallIds: string[];
  error: string | null;
}

/**
 * Once a day, after KNOWLARITY_RECONCILE_HOUR in BUSINESS_TIMEZONE, compares the previous business
 * day's call log with the stored calls and exports the gap (`knowlarity_reconcile_missing_calls`),
 * so a lost call is an alert rather than a discovery. The lease is taken for the rest of the day
 * and not released: only one instance reconciles each day, even across restarts.
 */
@Injectable()
export class DailyReconcileScheduler extends ScheduledJob {
  private readonly logger = new Logger(DailyReconcileScheduler.name);
  private lastDayChecked: string | null = null;
  private readonly runs = new OneRunAtATime<boolean>();
  private last: DailyReconcileRun | null = null;

  constructor(
    private readonly reconciler: CallLogReconciler,
    private readonly lease: DatabaseLease,
    private readonly metrics: MetricsService,
    private readonly clock: Clock,
    timers: JobTimers,
    @Inject(streamConfig.KEY) private readonly config: ConfigType<typeof streamConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {
    super(timers);
  }

  get enabled(): boolean {
    return this.config.reconcileHour >= 0 && this.reconciler.configured;
  }

  protected override schedule(): JobTiming | null {
    return this.enabled
      ? { name: DAILY_RECONCILE_LEASE, everyMs: CHECK_EVERY_MS, first: 'at-boot' }
      : null;
  }

  protected override finish(): Promise<void> {
    return this.runs.settled();
  }

  status() {
    return { enabled: this.enabled, hour: this.config.reconcileHour, lastRun: this.last };
  }

  /** Reconciles yesterday when it is past the hour and not done yet; true when it ran here. */
  override async tick(): Promise<boolean> {
    return this.runs.start(() => this.reconcileWhenDue()) ?? false;
  }

  private async reconcileWhenDue(): Promise<boolean> {
    const now = this.clock.now();
    const local = formatInZone(now, this.business.timezone);
    const today = local.slice(0, 10);
    if (Number(local.slice(11, 13)) < this.config.reconcileHour || this.lastDayChecked === today)
      return false;
    const to = startOfDay(now, this.business.timezone);
    const from = startOfDay(new Date(to.getTime() - 12 * 3600_000), this.business.timezone);
    // Held until shortly before the same hour tomorrow, by whoever reconciles today.
    const nextRun = to.getTime() + (24 + this.config.reconcileHour) * 3600_000;
    const ttlSeconds = Math.max(Math.floor((nextRun - now.getTime()) / 1000) - 60, 60);
    const state = await this.lease.tryAcquire(DAILY_RECONCILE_LEASE, ttlSeconds);
    this.lastDayChecked = today;
    if (!state.acquired) return false;
    await this.reconcile(from, to);
    return true;
  }

  private async reconcile(from: Date, to: Date): Promise<void> {
    const day = formatInZone(from, this.business.timezone).slice(0, 10);
    try {
      const report = await this.reconciler.reconcile(from, to);
      const missing = report.missingLocally.length;
      this.last = {
        day,
        finishedAt: this.clock.now().toISOString(),
        status: 'succeeded',
        inCallLog: report.inCallLog,
        stored: report.stored,
        missingCalls: missing,
        missingCallIds: report.missingLocally.slice(0, 100),
        error: null,
      };
      this.metrics.reconciled(missing);
      const line = `Daily reconcile of ${day}: ${report.inCallLog} calls in the call log, ${missing} missing here.`;
      if (missing > 0) this.logger.warn(line);
      else this.logger.log(line);
    } catch (error) {
      // Give the day back so the next check (a minute later, here or elsewhere) tries again.
      this.lastDayChecked = null;
      await this.lease.release(DAILY_RECONCILE_LEASE).catch(() => undefined);
      const message = (error as Error).message;
      this.last = {
        day,
        finishedAt: this.clock.now().toISOString(),
        status: 'failed',
        inCallLog: null,
        stored: null,
        missingCalls: null,
        missingCallIds: [],
        error: message,
      };
      this.logger.error(`Daily reconcile of ${day} failed: ${message}`);
    }
  }
}
