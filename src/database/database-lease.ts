import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Clock } from '../common/clock';
import { LeadSyncRepository, LeaseState } from './lead-sync.repository';

/** A lease this process holds while its job runs. */
export interface HeldLease {
  readonly name: string;
  /** This process's identity as a lease owner (runs are recorded under it). */
  readonly owner: string;
  /** The watermark stored with the lease's row, as it was when the lease was taken. */
  readonly watermark: string | null;
  /** Extends the lease by its time-to-live; false when another owner took it meanwhile. */
  renew(): Promise<boolean>;
}

export interface LeaseOptions {
  /** How long the lease outlives a silent holder (a crashed process). */
  ttlSeconds: number;
  /**
   * Held elsewhere: without this the job does not run; with it, it is told when the lease
   * expires and the job waits for that (a shell command after a crash, whose dead process still
   * holds the lease).
   */
  waitForExpiry?: (expiresAt: Date) => void;
}

/** The job ran and returned `value`, or it did not run because `heldBy` holds the lease. */
export type LeaseRun<T> = { ran: true; value: T } | { ran: false; heldBy: string | null };

/** After a lease's expiry, a little longer so the database's clock agrees it has expired. */
const EXPIRY_MARGIN_MS = 250;

/**
 * Single-instance jobs (the poller, back-fills, the source-count refresh, …) take a named lease
 * row in SQL before they run, so exactly one instance of a cluster runs each job; it works on
 * every driver, supabase-js included, which cannot hold a session lock. Within this process a
 * name is held by one job at a time too, since the database sees one owner for the whole process.
 */
@Injectable()
export class DatabaseLease {
  /** Identifies this process as a lease owner. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private readonly heldHere = new Set<string>();

  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly clock: Clock,
  ) {}

  /** Takes the lease when it is free, expired or already ours; otherwise says who holds it. */
  tryAcquire(name: string, ttlSeconds: number): Promise<LeaseState> {
    return this.repository.acquireLease(name, this.owner, ttlSeconds);
  }

  /** Extends a lease this process holds; false when it has been lost to another owner. */
  async renew(name: string, ttlSeconds: number): Promise<boolean> {
    return (await this.tryAcquire(name, ttlSeconds)).acquired;
  }

  /** Gives the lease up (a no-op when this process does not hold it). */
  release(name: string): Promise<void> {
    return this.repository.releaseLease(name, this.owner);
  }

  /**
   * Runs `job` only while holding the lease `name`, and releases it afterwards (a failed release
   * only leaves the lease to expire). Resolves `{ ran: false }` when the lease is held elsewhere
   * or by another job of this process; the job's own errors propagate.
   */
  async runExclusive<T>(
    name: string,
    options: LeaseOptions,
    job: (lease: HeldLease) => Promise<T>,
  ): Promise<LeaseRun<T>> {
    if (this.heldHere.has(name)) return { ran: false, heldBy: this.owner };
    this.heldHere.add(name);
    try {
      const state = await this.acquire(name, options);
      if (!state.acquired) return { ran: false, heldBy: state.owner };
      try {
        return { ran: true, value: await job(this.held(name, state, options.ttlSeconds)) };
      } finally {
        await this.release(name).catch(() => undefined);
      }
    } finally {
      this.heldHere.delete(name);
    }
  }

  /** Waits for a lease held elsewhere to expire; protected so tests need not wait. */
  protected async sleep(ms: number): Promise<void> {
    await delay(ms);
  }

  private async acquire(name: string, options: LeaseOptions): Promise<LeaseState> {
    for (;;) {
      const state = await this.tryAcquire(name, options.ttlSeconds);
      if (state.acquired || !options.waitForExpiry || !state.expiresAt) return state;
      const expiresAt = new Date(state.expiresAt);
      options.waitForExpiry(expiresAt);
      const wait = Math.max(expiresAt.getTime() - this.clock.now().getTime(), 0);
      await this.sleep(wait + EXPIRY_MARGIN_MS);
    }
  }

  private held(name: string, state: LeaseState, ttlSeconds: number): HeldLease {
    return {
      name,
      owner: this.owner,
      watermark: state.watermark,
      renew: () => this.renew(name, ttlSeconds),
    };
  }
}
