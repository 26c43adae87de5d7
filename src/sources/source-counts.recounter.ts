import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { OneRunAtATime } from '../common/one-run-at-a-time';
import { businessConfig, sourceCountsConfig } from '../config';
import { DatabaseLease, HeldLease } from '../database/database-lease';
import { LeadSyncRepository, RecountMode, RecountStep } from '../database/lead-sync.repository';
import { MetricsService } from '../metrics/metrics.service';
import { RecountInProgressError } from './sources.errors';

/** The lease stream of the recount (and of the first build). */
export const RECOUNT_STREAM = 'source_counts_recount';
const LEASE_SECONDS = 120;
/** Renew the lease every this many batches (a batch is well under a second). */
const RENEW_EVERY_BATCHES = 20;

/** 'resume' carries on the build or recount the database has in progress, starting none. */
export type RecountTrigger = 'resume' | 'schedule' | 'manual';

export interface SourceDifference {
  sourceId: number;
  /** Recounted minus what the counts held: leads the counts missed (+) or had extra (-). */
  difference: number;
}

export interface RecountSummary {
  /** 'build' when the run finished the first build (nothing to compare with), else 'recount'. */
  mode: RecountMode | null;
  /** False when the run stopped early (shutdown); the next run resumes from its cursor. */
  done: boolean;
  batches: number;
  differences: SourceDifference[];
  /** The sum of the differences' sizes. */
  drift: number;
}

/**
 * Rebuilds the per-source counts from the lead tables in bounded batches (one transaction
 * each, resumable from a cursor in SQL), one instance at a time. It builds the counts the first
 * time (over a CRM that already had leads), and corrects drift from writers the count triggers
 * never saw, reporting it in the log and in `knowlarity_source_count_drift`.
 */
@Injectable()
export class SourceCountsRecounter {
  private readonly logger = new Logger(SourceCountsRecounter.name);
  private readonly runs = new OneRunAtATime<RecountSummary>();
  private stopping = false;

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly lease: DatabaseLease,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    @Inject(sourceCountsConfig.KEY) private readonly config: ConfigType<typeof sourceCountsConfig>,
    @Inject(businessConfig.KEY) private readonly business: ConfigType<typeof businessConfig>,
  ) {}

  get isRunning(): boolean {
    return this.runs.busy;
  }

  /**
   * Runs a recount to the end (or, for 'resume', the one in progress, if any). Throws
   * RecountInProgressError when one is running in this process or holds the lease elsewhere.
   */
  async recount(trigger: RecountTrigger): Promise<RecountSummary> {
    const run = this.runs.start(() => this.exclusively(trigger));
    if (!run) throw new RecountInProgressError();
    return run;
  }

  /** Stops after the batch in progress; the cursor stays for the next run. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.runs.settled();
  }

  private async exclusively(trigger: RecountTrigger): Promise<RecountSummary> {
    const run = await this.lease.runExclusive(
      RECOUNT_STREAM,
      { ttlSeconds: LEASE_SECONDS },
      async (lease) => {
        const summary = await this.runBatches(trigger !== 'resume', lease);
        this.report(trigger, summary);
        return summary;
      },
    );
    if (!run.ran) throw new RecountInProgressError();
    return run.value;
  }

  private async runBatches(begin: boolean, lease: HeldLease): Promise<RecountSummary> {
    let step: RecountStep;
    let batches = 0;
    do {
      step = await this.repository.recountSourceCounts(
        this.business.timezone,
        this.clock.now(),
        this.config.batchRows,
        begin && batches === 0,
      );
      batches += 1;
      if (batches % RENEW_EVERY_BATCHES === 0) await lease.renew();
    } while (!step.done && !this.stopping);
    const differences = Object.entries(step.differences)
      .map(([sourceId, difference]) => ({ sourceId: Number(sourceId), difference }))
      .filter((entry) => entry.difference !== 0)
      .sort((a, b) => a.sourceId - b.sourceId);
    return {
      mode: step.mode,
      done: step.done,
      batches,
      differences: step.mode === 'recount' ? differences : [],
      drift:
        step.mode === 'recount'
          ? differences.reduce((sum, entry) => sum + Math.abs(entry.difference), 0)
          : 0,
    };
  }

  private report(trigger: RecountTrigger, summary: RecountSummary): void {
    if (!summary.done || summary.mode === null) return;
    if (summary.mode === 'build') {
      this.logger.log(`Built the source counts in ${summary.batches} batches.`);
      return;
    }
    this.metrics.sourceCountDrift(summary.differences);
    if (summary.drift === 0) {
      this.logger.log(`Source counts recount (${trigger}) found no drift.`);
      return;
    }
    const list = summary.differences
      .map(
        (entry) =>
          `source ${entry.sourceId}: ${entry.difference > 0 ? '+' : ''}${entry.difference}`,
      )
      .join(', ');
    this.logger.warn(
      `Source counts recount (${trigger}) corrected drift of ${summary.drift} leads (${list}).`,
    );
  }
}
