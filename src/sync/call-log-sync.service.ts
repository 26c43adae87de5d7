import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { startOfDay } from '../common/dates';
import { businessConfig, knowlarityApiConfig, pollingConfig } from '../config';
import { DatabaseLease, HeldLease } from '../database/database-lease';
import { LeadSyncRepository, SyncStatus } from '../database/lead-sync.repository';
import { BackfillOptions, BackfillSummary, CallLogBackfill } from './call-log-backfill';
import { CallLogWindowSync, RunSummary } from './call-log-window-sync';
import { SyncInProgressError, SyncNotConfiguredError } from './sync.errors';
import { assertSyncWindow } from './sync-window';

/** The lease stream of the regular poller, and of back-fills (which never move the watermark). */
export const POLL_STREAM = 'call_log';
export const BACKFILL_STREAM = 'call_log_backfill';

export type SyncServiceStatus = SyncStatus & {
  enabled: boolean;
  configured: boolean;
  intervalSeconds: number;
  lagSeconds: number | null;
  running: boolean;
};

/**
 * The safety net: polls Knowlarity's call log through the same ingest door the webhook uses. A
 * poll reads [watermark − overlap, now]; the watermark moves only when the whole window was read
 * and ingested. Polls and back-fills run one at a time in this process, and one per stream in
 * the cluster through a database lease.
 */
@Injectable()
export class CallLogSyncService {
  private running = false;
  /** The run in progress, so shutdown can wait for it to finish its page. */
  private current: Promise<unknown> | null = null;
  private lastSuccess: Date | null = null;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly windows: CallLogWindowSync,
    private readonly backfills: CallLogBackfill,
    private readonly clock: Clock,
    @Inject(pollingConfig.KEY) private readonly polling: ConfigType<typeof pollingConfig>,
    @Inject(knowlarityApiConfig.KEY) private readonly api: ConfigType<typeof knowlarityApiConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  get configured(): boolean {
    return this.api.credentialsConfigured;
  }

  get enabled(): boolean {
    return this.configured && this.polling.enabled;
  }

  get intervalSeconds(): number {
    return this.polling.intervalSeconds;
  }

  /** When this process last completed a poll (readiness: a stuck poller is not ready). */
  get lastSuccessAt(): Date | null {
    return this.lastSuccess;
  }

  /**
   * Stops after the page in progress (its run is recorded as failed, so the watermark stays and
   * the next instance re-reads the window) and resolves when the run has ended.
   */
  async stop(): Promise<void> {
    this.windows.stop();
    await this.current?.catch(() => undefined);
  }

  /**
   * One poll of [watermark − overlap, now]. Throws SyncInProgressError when a run is going on
   * here or the lease is held elsewhere; a failed fetch or ingest is recorded and returned as a
   * failed run (the watermark stays, the next tick retries).
   */
  async poll(trigger: 'schedule' | 'manual'): Promise<RunSummary> {
    if (!this.configured) throw new SyncNotConfiguredError();
    const run = await this.exclusively(POLL_STREAM, (lease) =>
      this.windows.run({ trigger, ...this.pollWindow(lease), advancesWatermark: true }, lease),
    );
    if (run.status === 'succeeded') this.lastSuccess = this.clock.now();
    return run;
  }

  /**
   * Back-fills [from, to] in chunks, resuming an unfinished back-fill of the same window.
   * `waitForLease`: wait for a lease held elsewhere to expire instead of failing (the CLI after
   * a crash).
   */
  async backfill(
    from: Date,
    to: Date,
    options: BackfillOptions & { waitForLease?: (expiresAt: Date) => void } = {},
  ): Promise<BackfillSummary> {
    if (!this.configured) throw new SyncNotConfiguredError();
    assertSyncWindow(from, to, this.clock.now());
    return this.exclusively(
      BACKFILL_STREAM,
      (lease) => this.backfills.run(from, to, lease, options),
      options.waitForLease,
    );
  }

  async status(): Promise<SyncServiceStatus> {
    const status = await this.repository.syncStatus(POLL_STREAM);
    const lagSeconds = status.watermark
      ? Math.max(
          0,
          Math.round((this.clock.now().getTime() - new Date(status.watermark).getTime()) / 1000),
        )
      : null;
    return {
      enabled: this.enabled,
      configured: this.configured,
      intervalSeconds: this.polling.intervalSeconds,
      lagSeconds,
      running: this.running || status.leaseOwner !== null,
      ...status,
    };
  }

  /** The first poll starts at KNOWLARITY_POLL_START, or else at the start of today. */
  private pollWindow(lease: HeldLease): { from: Date; to: Date } {
    const to = this.clock.now();
    const from = lease.watermark
      ? new Date(new Date(lease.watermark).getTime() - this.polling.overlapSeconds * 1000)
      : (this.polling.pollStart ?? startOfDay(to, this.business.timezone));
    return { from, to };
  }

  /** Runs `work` holding the process flag and the stream's lease. */
  private async exclusively<T>(
    stream: string,
    work: (lease: HeldLease) => Promise<T>,
    waitForExpiry?: (expiresAt: Date) => void,
  ): Promise<T> {
    if (this.running) throw new SyncInProgressError();
    this.running = true;
    try {
      const outcome = await this.lease.runExclusive(
        stream,
        { ttlSeconds: callLogLeaseSeconds(this.polling, this.api), waitForExpiry },
        (lease) => {
          const run = work(lease);
          this.current = run;
          return run;
        },
      );
      if (!outcome.ran) throw new SyncInProgressError(outcome.heldBy);
      return outcome.value;
    } finally {
      this.current = null;
      this.running = false;
    }
  }
}

/**
 * KNOWLARITY_LEASE_SECONDS, or else long enough to outlive a slow page with all its retries
 * (the lease is renewed after every page).
 */
export function callLogLeaseSeconds(
  polling: Pick<ConfigType<typeof pollingConfig>, 'leaseSeconds' | 'intervalSeconds'>,
  api: Pick<ConfigType<typeof knowlarityApiConfig>, 'timeoutMs' | 'maxRetries'>,
): number {
  if (polling.leaseSeconds > 0) return polling.leaseSeconds;
  const request = api.timeoutMs / 1000;
  return Math.ceil(Math.max(60, polling.intervalSeconds * 2, request * (api.maxRetries + 2)));
}
