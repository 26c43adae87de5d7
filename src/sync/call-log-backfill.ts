import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { pollingConfig } from '../config';
import { HeldLease } from '../database/database-lease';
import { BackfillState, LeadSyncRepository } from '../database/lead-sync.repository';
import { CallLogWindowSync, RunSummary } from './call-log-window-sync';

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

export interface BackfillOptions {
  dryRun?: boolean;
  onProgress?: (progress: BackfillProgress) => void;
}

/**
 * Reads a past window of the call log in chunks of KNOWLARITY_BACKFILL_CHUNK_MINUTES, one run
 * per chunk, recording each finished chunk so that a back-fill of the same window that died
 * resumes after its last finished chunk. Stops at the first failed chunk. Never moves the
 * poller's watermark. With `dryRun`, reports what would happen and keeps nothing.
 */
@Injectable()
export class CallLogBackfill {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly windows: CallLogWindowSync,
    @Inject(pollingConfig.KEY) private readonly polling: ConfigType<typeof pollingConfig>,
  ) {}

  /** Back-fills [from, to] under `lease` (the caller holds it for the whole back-fill). */
  async run(
    from: Date,
    to: Date,
    lease: HeldLease,
    options: BackfillOptions = {},
  ): Promise<BackfillSummary> {
    const dryRun = options.dryRun ?? false;
    const state = await this.begin(from, to, dryRun);
    const resumeAt = new Date(state.doneUntil);
    const chunkMs = state.chunkSeconds * 1000;
    const progress: BackfillProgress = {
      backfillId: state.backfillId,
      chunksDone: 0,
      chunksTotal: Math.ceil((to.getTime() - resumeAt.getTime()) / chunkMs),
      records: 0,
      outcomes: {},
    };
    let failed: RunSummary | null = null;
    for (let start = resumeAt; start < to && !failed; start = new Date(start.getTime() + chunkMs)) {
      const end = new Date(Math.min(start.getTime() + chunkMs, to.getTime()));
      failed = await this.chunk(start, end, lease, progress, dryRun);
      if (!failed) options.onProgress?.({ ...progress, outcomes: { ...progress.outcomes } });
    }
    const status = failed ? 'failed' : 'succeeded';
    if (!dryRun) await this.repository.recordBackfillProgress(state.backfillId, resumeAt, status);
    return {
      ...progress,
      status,
      dryRun,
      resumedFrom: resumeAt.getTime() > from.getTime() ? resumeAt.toISOString() : null,
      error: failed?.error ?? null,
    };
  }

  /** A new back-fill, or the unfinished one of the same window (a dry run records nothing). */
  private begin(from: Date, to: Date, dryRun: boolean): Promise<BackfillState> {
    const chunkSeconds = this.polling.backfillChunkMinutes * 60;
    if (dryRun)
      return Promise.resolve({ backfillId: 0, doneUntil: from.toISOString(), chunkSeconds });
    return this.repository.beginBackfill(from, to, chunkSeconds);
  }

  /** One chunk as one run, added to `progress`; the run when it failed, else null. */
  private async chunk(
    from: Date,
    to: Date,
    lease: HeldLease,
    progress: BackfillProgress,
    dryRun: boolean,
  ): Promise<RunSummary | null> {
    const run = await this.windows.run(
      {
        trigger: 'backfill',
        from,
        to,
        advancesWatermark: false,
        backfillId: progress.backfillId,
        dryRun,
      },
      lease,
    );
    progress.records += run.records;
    for (const [outcome, count] of Object.entries(run.outcomes))
      progress.outcomes[outcome] = (progress.outcomes[outcome] ?? 0) + count;
    if (run.status === 'failed') return run;
    if (!dryRun) await this.repository.recordBackfillProgress(progress.backfillId, to);
    progress.chunksDone += 1;
    return null;
  }
}
