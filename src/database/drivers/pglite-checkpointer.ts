import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';

/** How often the WAL written since the last checkpoint is looked at. */
const CHECK_INTERVAL_MS = 15_000;
/** A checkpoint once this much WAL has been written since the last one... */
const MAX_WAL_BYTES = 32 * 1024 * 1024;
/** ...or once this long has passed with any WAL written (as checkpoint_timeout would). */
const MAX_INTERVAL_MS = 5 * 60_000;

/**
 * Checkpoints for PGlite. PGlite runs PostgreSQL in single-user mode, where no checkpointer
 * process exists and a full WAL never requests a checkpoint (only a backend under a postmaster
 * does), so WAL grows without bound until the database is closed: the data directory keeps
 * growing, a restart after a crash replays all of it, and every new 16 MB segment is created
 * on the request path. This does what the checkpointer would: a CHECKPOINT after 32 MB of WAL
 * or 5 minutes, after which PostgreSQL recycles the old segments. With shared_buffers at 16 MB
 * each one writes at most 16 MB, a few tens of milliseconds.
 */
export class PgliteCheckpointer {
  private readonly logger = new Logger(PgliteCheckpointer.name);
  private readonly timer: NodeJS.Timeout;
  private lastCheckpointAt = Date.now();
  private busy = false;

  constructor(private readonly db: PGlite) {
    this.timer = setInterval(() => void this.check(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checkpoints when enough WAL or time has gone by; returns whether it did. */
  async check(): Promise<boolean> {
    if (this.busy || this.db.closed) return false;
    this.busy = true;
    try {
      const { rows } = await this.db.query<{ walBytes: string }>(
        'select pg_wal_lsn_diff(pg_current_wal_lsn(), redo_lsn)::bigint::text as "walBytes" from pg_control_checkpoint()',
      );
      const walBytes = Number(rows[0]?.walBytes ?? 0);
      const due =
        walBytes >= MAX_WAL_BYTES ||
        (walBytes > 0 && Date.now() - this.lastCheckpointAt >= MAX_INTERVAL_MS);
      if (!due) return false;
      await this.db.exec('checkpoint');
      this.lastCheckpointAt = Date.now();
      return true;
    } catch (error) {
      if (!this.db.closed) this.logger.warn(`Checkpoint failed: ${(error as Error).message}`);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
