import { Injectable, Logger } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { HeldLease } from '../database/database-lease';
import { IngestItem, LeadSyncRepository, SyncTrigger } from '../database/lead-sync.repository';
import { CallIngestService } from '../ingest/call-ingest.service';
import { CallNormalizer } from '../knowlarity/call-normalizer';
import { KnowlarityClient } from '../knowlarity/knowlarity-client';
import { MetricsService } from '../metrics/metrics.service';

/** One window of the call log to read and ingest, recorded as one run. */
export interface SyncWindow {
  trigger: SyncTrigger;
  from: Date;
  to: Date;
  /** Only the poller's runs move the lease stream's watermark; back-fills read the past. */
  advancesWatermark: boolean;
  backfillId?: number;
  /** Report what would happen and keep nothing (no run row, no calls). */
  dryRun?: boolean;
}

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

/** Calls without a usable customer phone cannot become leads; they are counted, not ingested. */
export const SKIPPED_NO_CUSTOMER_PHONE = 'skipped_no_customer_phone';

interface Tally {
  pages: number;
  records: number;
  outcomes: Record<string, number>;
}

/**
 * Reads one window of Knowlarity's call log page by page and hands every record to the ingest
 * door (arrival path `poll`), renewing the caller's lease after each page. A failed fetch or
 * ingest is recorded and returned as a failed run, never thrown: the watermark then stays and
 * the window is read again.
 */
@Injectable()
export class CallLogWindowSync {
  private readonly logger = new Logger(CallLogWindowSync.name);
  private stopping = false;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly ingestion: CallIngestService,
    private readonly client: KnowlarityClient,
    private readonly normalizer: CallNormalizer,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * From now on every run stops after the page in progress and is recorded as failed, so the
   * watermark stays and the next instance re-reads the window (shutdown).
   */
  stop(): void {
    this.stopping = true;
  }

  async run(window: SyncWindow, lease: HeldLease): Promise<RunSummary> {
    const { trigger, from, to, dryRun } = window;
    const { runId } = dryRun
      ? { runId: 0 }
      : await this.repository.startRun(trigger, lease.owner, from, to, window.backfillId);
    const tally: Tally = { pages: 0, records: 0, outcomes: {} };
    let error: string | null = null;
    try {
      await this.readAndIngest(window, lease, tally);
    } catch (caught) {
      error = describeSyncError(caught);
      this.logger.error(
        `Call-log ${trigger} run for ${from.toISOString()}..${to.toISOString()} failed: ${error}`,
      );
    }
    const watermarkAdvanced = await this.record(runId, window, lease, tally, error);
    return {
      runId,
      trigger,
      status: error ? 'failed' : 'succeeded',
      windowFrom: from.toISOString(),
      windowTo: to.toISOString(),
      ...tally,
      error,
      watermarkAdvanced,
    };
  }

  private async readAndIngest(window: SyncWindow, lease: HeldLease, tally: Tally): Promise<void> {
    // Provider list APIs repeat a call across pages: ingest it once per run.
    const seen = new Set<string>();
    for await (const page of this.client.iterateCallLog({ from: window.from, to: window.to })) {
      if (this.stopping) throw new Error('Interrupted by shutdown before the window was read');
      tally.pages += 1;
      tally.records += page.records.length;
      const items = this.newCalls(page.records, seen, tally.outcomes);
      if (items.length > 0) {
        const results = await this.ingestion.ingestPage(items, window.dryRun);
        for (const result of results) countOne(tally.outcomes, result.outcome);
      }
      await lease.renew();
    }
  }

  /** The page's calls not seen earlier in the run; records without a customer phone counted. */
  private newCalls(
    records: Record<string, unknown>[],
    seen: Set<string>,
    outcomes: Record<string, number>,
  ): IngestItem[] {
    const items: IngestItem[] = [];
    for (const record of records) {
      const call = this.normalizer.normalizeRecord(record);
      if (!call) {
        countOne(outcomes, SKIPPED_NO_CUSTOMER_PHONE);
      } else if (!seen.has(call.callId)) {
        seen.add(call.callId);
        items.push({ call, raw: record });
      }
    }
    return items;
  }

  /** Finishes the run row (moving the watermark when it should), metrics and the log line. */
  private async record(
    runId: number,
    window: SyncWindow,
    lease: HeldLease,
    tally: Tally,
    error: string | null,
  ): Promise<boolean> {
    const { trigger, to, advancesWatermark, dryRun } = window;
    if (dryRun) return false;
    const { watermarkAdvanced } = await this.repository.finishRun({
      runId,
      status: error ? 'failed' : 'succeeded',
      ...tally,
      error,
      stream: advancesWatermark ? lease.name : undefined,
      advanceTo: advancesWatermark ? to : undefined,
    });
    this.metrics.pollRun(trigger, !error, advancesWatermark && !error ? to : undefined);
    if (!error && trigger !== 'backfill') {
      this.logger.log(
        `Call-log poll ${runId}: ${tally.records} records in ${tally.pages} pages, ` +
          JSON.stringify(tally.outcomes),
      );
    }
    return watermarkAdvanced;
  }
}

export function countOne(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function describeSyncError(error: unknown): string {
  if (error instanceof DomainError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
