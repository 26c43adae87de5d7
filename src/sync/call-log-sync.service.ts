import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { businessConfig, knowlarityApiConfig, pollingConfig } from '../config';
import {
  IngestItem,
  LeadSyncRepository,
  SyncStatus,
  SyncTrigger,
} from '../database/lead-sync.repository';
import { NormalizeOptions } from '../knowlarity';
import { formatInZone, parseKnowlarityTime } from '../knowlarity/times';
import { KnowlarityClient } from '../knowlarity/knowlarity-client';
import { CallIngestService } from '../ingest/call-ingest.service';
import { MetricsService } from '../metrics/metrics.service';
import { SyncInProgressError, SyncNotConfiguredError } from './sync.errors';
import { assertSyncWindow, normalizeRecord } from './sync-window';

/** The lease stream of the regular poller, and of back-fills (which never move the watermark). */
export const POLL_STREAM = 'call_log';
export const BACKFILL_STREAM = 'call_log_backfill';

export interface RunSummary {
  runId: number;
  trigger: SyncTrigger;
  status: 'succeeded' | 'failed';
  windowFrom: string;
  windowTo: string;
  pages: number;
  records: number;
  outcomes: Record<string, number>;
  error: string | null;
  watermarkAdvanced: boolean;
}

export interface BackfillProgress {
  backfillId: number;
  chunksDone: number;
  chunksTotal: number;
  records: number;
  outcomes: Record<string, number>;
}

export interface BackfillSummary extends BackfillProgress {
  status: 'succeeded' | 'failed';
  dryRun: boolean;
  resumedFrom: string | null;
  error: string | null;
}

/** Calls without a usable customer phone cannot become leads; they are counted, not ingested. */
const SKIPPED = 'skipped_no_customer_phone';

/**
 * The safety net: reads Knowlarity's call log and hands every record to the same ingest function
 * the webhook uses (arrival path `poll`). A run fetches [watermark − overlap, now]; the watermark
 * moves only when the whole window was fetched and ingested. One run at a time per process, and
 * one per cluster through a lease row taken in SQL (works on every driver).
 */
@Injectable()
export class CallLogSyncService {
  private readonly logger = new Logger(CallLogSyncService.name);
  /** Identifies this process as a lease owner. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private running = false;
  /** The run in progress, so shutdown can wait for it to finish its page. */
  private current: Promise<unknown> | null = null;
  private stopping = false;
  private lastSuccess: Date | null = null;
  private readonly normalizeOptions: NormalizeOptions;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly ingestion: CallIngestService,
    private readonly metrics: MetricsService,
    private readonly client: KnowlarityClient,
    private readonly clock: Clock,
    @Inject(pollingConfig.KEY) private readonly polling: ConfigType<typeof pollingConfig>,
    @Inject(knowlarityApiConfig.KEY) private readonly api: ConfigType<typeof knowlarityApiConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {
    this.normalizeOptions = {
      defaultCountry: business.defaultCountry,
      timezone: business.timezone,
    };
  }

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
    this.stopping = true;
    await this.current?.catch(() => undefined);
  }

  /**
   * One poll of [watermark − overlap, now]. Throws SyncInProgressError when a run is going on
   * here or the lease is held elsewhere; a failed fetch or ingest is recorded and returned as a
   * failed run (the watermark stays, the next tick retries).
   */
  async poll(trigger: 'schedule' | 'manual'): Promise<RunSummary> {
    if (!this.configured) throw new SyncNotConfiguredError();
    return this.exclusively(POLL_STREAM, async (watermark) => {
      const to = this.clock.now();
      const from = watermark
        ? new Date(new Date(watermark).getTime() - this.polling.overlapSeconds * 1000)
        : (this.polling.pollStart ?? this.startOfToday(to));
      return this.syncWindow({ trigger, from, to, stream: POLL_STREAM, advancesWatermark: true });
    });
  }

  /**
   * Back-fills [from, to] in chunks, resuming an unfinished back-fill of the same window from its
   * last finished chunk. With `dryRun`, reports what would happen and keeps nothing.
   */
  async backfill(
    from: Date,
    to: Date,
    options: {
      dryRun?: boolean;
      onProgress?: (progress: BackfillProgress) => void;
      /** Wait for a lease held elsewhere to expire instead of failing (the CLI after a crash). */
      waitForLease?: (expiresAt: Date) => void;
    } = {},
  ): Promise<BackfillSummary> {
    if (!this.configured) throw new SyncNotConfiguredError();
    assertSyncWindow(from, to, this.clock.now());
    const dryRun = options.dryRun ?? false;
    return this.exclusively(
      BACKFILL_STREAM,
      async () => {
        const chunkMs = this.polling.backfillChunkMinutes * 60_000;
        const state = dryRun
          ? { backfillId: 0, doneUntil: from.toISOString(), chunkSeconds: chunkMs / 1000 }
          : await this.repository.beginBackfill(from, to, chunkMs / 1000);
        const resumeAt = new Date(state.doneUntil);
        const progress: BackfillProgress = {
          backfillId: state.backfillId,
          chunksDone: 0,
          chunksTotal: Math.ceil((to.getTime() - resumeAt.getTime()) / (state.chunkSeconds * 1000)),
          records: 0,
          outcomes: {},
        };
        let error: string | null = null;
        for (let start = resumeAt; start < to;) {
          const end = new Date(Math.min(start.getTime() + state.chunkSeconds * 1000, to.getTime()));
          const run = await this.syncWindow({
            trigger: 'backfill',
            stream: BACKFILL_STREAM,
            advancesWatermark: false,
            from: start,
            to: end,
            backfillId: state.backfillId,
            dryRun,
          });
          progress.records += run.records;
          addCounts(progress.outcomes, run.outcomes);
          if (run.status === 'failed') {
            error = run.error;
            break;
          }
          if (!dryRun) await this.repository.recordBackfillProgress(state.backfillId, end);
          progress.chunksDone += 1;
          options.onProgress?.({ ...progress, outcomes: { ...progress.outcomes } });
          start = end;
        }
        const status = error ? 'failed' : 'succeeded';
        if (!dryRun)
          await this.repository.recordBackfillProgress(state.backfillId, resumeAt, status);
        return {
          ...progress,
          status,
          dryRun,
          resumedFrom: resumeAt.getTime() > from.getTime() ? resumeAt.toISOString() : null,
          error,
        };
      },
      options.waitForLease,
    );
  }

  async status(): Promise<
    SyncStatus & {
      enabled: boolean;
      configured: boolean;
      intervalSeconds: number;
      lagSeconds: number | null;
      running: boolean;
    }
  > {
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

  /** Runs `work` holding the process flag and the stream's lease, renewed as pages go by. */
  private async exclusively<T>(
    stream: string,
    work: (watermark: string | null) => Promise<T>,
    waitForLease?: (expiresAt: Date) => void,
  ): Promise<T> {
    if (this.running) throw new SyncInProgressError();
    this.running = true;
    try {
      const lease = await this.acquire(stream, waitForLease);
      try {
        const run = work(lease.watermark);
        this.current = run;
        return await run;
      } finally {
        this.current = null;
        await this.repository.releaseLease(stream, this.owner).catch(() => undefined);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Takes the stream's lease. Held elsewhere: fails at once, or with `waitForLease` (a shell
   * command after a crash, whose dead process still holds the lease until it expires) says so
   * and waits for the expiry.
   */
  private async acquire(stream: string, waitForLease?: (expiresAt: Date) => void) {
    for (;;) {
      const lease = await this.repository.acquireLease(stream, this.owner, this.leaseSeconds());
      if (lease.acquired) return lease;
      if (!waitForLease || !lease.expiresAt) throw new SyncInProgressError(lease.owner);
      const expiresAt = new Date(lease.expiresAt);
      waitForLease(expiresAt);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(expiresAt.getTime() - Date.now(), 0) + 250),
      );
    }
  }

  /** Fetches and ingests one window, recording it as a run. Never throws for fetch/ingest errors. */
  private async syncWindow(window: {
    trigger: SyncTrigger;
    from: Date;
    to: Date;
    /** The lease renewed after every page. */
    stream: string;
    /** Only the poller's runs move the watermark; back-fills read the past. */
    advancesWatermark: boolean;
    backfillId?: number;
    dryRun?: boolean;
  }): Promise<RunSummary> {
    const { trigger, from, to, stream, advancesWatermark, backfillId, dryRun } = window;
    const { runId } = dryRun
      ? { runId: 0 }
      : await this.repository.startRun(trigger, this.owner, from, to, backfillId);
    const outcomes: Record<string, number> = {};
    const seen = new Set<string>();
    let pages = 0;
    let records = 0;
    let error: string | null = null;
    try {
      for await (const page of this.client.iterateCallLog({ from, to })) {
        if (this.stopping) throw new Error('Interrupted by shutdown before the window was read');
        pages += 1;
        records += page.records.length;
        const items: IngestItem[] = [];
        for (const record of page.records) {
          const call = normalizeRecord(record, this.normalizeOptions);
          if (!call) {
            outcomes[SKIPPED] = (outcomes[SKIPPED] ?? 0) + 1;
          } else if (!seen.has(call.callId)) {
            // Provider list APIs repeat a call across pages: ingest it once per run.
            seen.add(call.callId);
            items.push({ call, raw: record });
          }
        }
        if (items.length > 0) {
          const results = await this.ingestion.ingestPage(items, dryRun);
          for (const result of results)
            outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
        }
        await this.repository.acquireLease(stream, this.owner, this.leaseSeconds());
      }
    } catch (caught) {
      error = describeSyncError(caught);
      this.logger.error(
        `Call-log ${trigger} run for ${from.toISOString()}..${to.toISOString()} failed: ${error}`,
      );
    }
    const status = error ? 'failed' : 'succeeded';
    const finished = dryRun
      ? { watermarkAdvanced: false }
      : await this.repository.finishRun({
          runId,
          status,
          pages,
          records,
          outcomes,
          error,
          stream: advancesWatermark ? stream : undefined,
          advanceTo: advancesWatermark ? to : undefined,
        });
    if (!dryRun)
      this.metrics.pollRun(trigger, !error, advancesWatermark && !error ? to : undefined);
    if (!error && advancesWatermark) this.lastSuccess = this.clock.now();
    if (!error && trigger !== 'backfill') {
      this.logger.log(
        `Call-log poll ${runId}: ${records} records in ${pages} pages, ${JSON.stringify(outcomes)}`,
      );
    }
    return {
      runId,
      trigger,
      status,
      windowFrom: from.toISOString(),
      windowTo: to.toISOString(),
      pages,
      records,
      outcomes,
      error,
      watermarkAdvanced: finished.watermarkAdvanced,
    };
  }

  /** Long enough to outlive a slow page; renewed after every page. */
  private leaseSeconds(): number {
    if (this.polling.leaseSeconds > 0) return this.polling.leaseSeconds;
    const api = this.api.timeoutMs / 1000;
    return Math.ceil(
      Math.max(60, this.polling.intervalSeconds * 2, api * (this.api.maxRetries + 2)),
    );
  }

  private startOfToday(now: Date): Date {
    const day = formatInZone(now, this.business.timezone).slice(0, 10);
    return parseKnowlarityTime(`${day} 00:00:00`, this.business.timezone)!;
  }
}

function addCounts(into: Record<string, number>, add: Record<string, number>): void {
  for (const [key, value] of Object.entries(add)) into[key] = (into[key] ?? 0) + value;
}

function describeSyncError(error: unknown): string {
  if (error instanceof DomainError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
