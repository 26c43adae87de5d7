import { Clock } from '../common/clock';
import { BackfillProgress } from './call-log-backfill';

/**
 * Back-fill progress for a shell: a redrawn bar on a TTY (chunks, records, outcomes, rate, ETA),
 * one plain line per chunk otherwise (logs, CI).
 */
export class ProgressReporter {
  private readonly startedAt: number;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now().getTime();
  }

  update(progress: BackfillProgress): void {
    const elapsed = Math.max((this.clock.now().getTime() - this.startedAt) / 1000, 0.001);
    const rate = progress.records / elapsed;
    const remaining = progress.chunksTotal - progress.chunksDone;
    const eta = progress.chunksDone > 0 ? (elapsed / progress.chunksDone) * remaining : NaN;
    const outcomes = Object.entries(progress.outcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ');
    const figures =
      `${progress.chunksDone}/${progress.chunksTotal} chunks · ${progress.records} records · ` +
      `${rate.toFixed(0)}/s · ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '?'}` +
      (outcomes ? ` · ${outcomes}` : '');
    if (this.out.isTTY) {
      const width = 24;
      const filled = progress.chunksTotal
        ? Math.round((progress.chunksDone / progress.chunksTotal) * width)
        : width;
      this.out.write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${figures}`);
    } else {
      this.out.write(`${figures}\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
