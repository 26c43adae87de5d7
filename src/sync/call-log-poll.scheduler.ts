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
export class CallLogPollScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(CallLogPollScheduler.name);

  constructor(
    private readonly sync: CallLogSyncService,
    private readonly scheduler: SchedulerRegistry,
    @Inject(pollingConfig.KEY) private readonly config: ConfigType<typeof pollingConfig>,
    @Inject(BACKGROUND_JOBS) private readonly backgroundJobs: boolean,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.backgroundJobs) return;
    if (!this.sync.configured) {
      this.logger.warn(
        'Call-log polling is off: KNOWLARITY_API_KEY and KNOWLARITY_SR_API_KEY are not set.',
      );
      return;
    }
    if (!this.config.enabled) {
      this.logger.warn('Call-log polling is off: KNOWLARITY_POLL_ENABLED=false.');
      return;
    }
    this.logger.log(`Polling the Knowlarity call log every ${this.config.intervalSeconds} s.`);
    this.scheduler.addInterval(
      JOB_NAME,
      setInterval(() => void this.tick(), this.config.intervalSeconds * 1000),
    );
    void this.tick();
  }

  /** On SIGTERM: no new ticks, and the run in progress finishes its page. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
    await this.sync.stop();
  }

  onApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', JOB_NAME)) this.scheduler.deleteInterval(JOB_NAME);
  }

  /** One scheduled poll; returns false when it was skipped because a run is in progress. */
  async tick(): Promise<boolean> {
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
