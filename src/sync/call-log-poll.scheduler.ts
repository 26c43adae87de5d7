import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JobTimers, JobTiming, ScheduledJob } from '../common/scheduled-job';
import { pollingConfig } from '../config';
import { CallLogSyncService } from './call-log-sync.service';
import { SyncInProgressError } from './sync.errors';

const JOB_NAME = 'knowlarity-call-log-poll';

/**
 * Polls the call log every KNOWLARITY_POLL_INTERVAL_SECONDS when credentials are configured and
 * polling is not switched off (said once at boot). A tick that finds a run going on, here or on
 * another instance, is skipped: the lease decides who polls.
 */
@Injectable()
export class CallLogPollScheduler extends ScheduledJob {
  private readonly logger = new Logger(CallLogPollScheduler.name);

  constructor(
    private readonly sync: CallLogSyncService,
    timers: JobTimers,
    @Inject(pollingConfig.KEY) private readonly config: ConfigType<typeof pollingConfig>,
  ) {
    super(timers);
  }

  protected override schedule(): JobTiming | null {
    if (!this.sync.configured) {
      this.logger.warn(
        'Call-log polling is off: KNOWLARITY_API_KEY and KNOWLARITY_SR_API_KEY are not set.',
      );
      return null;
    }
    if (!this.config.enabled) {
      this.logger.warn('Call-log polling is off: KNOWLARITY_POLL_ENABLED=false.');
      return null;
    }
    this.logger.log(`Polling the Knowlarity call log every ${this.config.intervalSeconds} s.`);
    return { name: JOB_NAME, everyMs: this.config.intervalSeconds * 1000, first: 'at-boot' };
  }

  /** The run in progress finishes its page. */
  protected override finish(): Promise<void> {
    return this.sync.stop();
  }

  /** One scheduled poll; returns false when it was skipped because a run is in progress. */
  override async tick(): Promise<boolean> {
    try {
      await this.sync.poll('schedule');
      return true;
    } catch (error) {
      if (error instanceof SyncInProgressError) return false;
      this.logger.error(`Scheduled poll could not start: ${(error as Error).message}`);
      return false;
    }
  }
}
