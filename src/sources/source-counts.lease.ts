import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { LeadSyncRepository } from '../database/lead-sync.repository';

/**
 * A cluster-wide lease on a named stream, in SQL (knowlarity_sync_acquire_lease), so one
 * instance at a time runs a job through any driver. Taking a lease this process holds renews it.
 */
@Injectable()
export class SourceCountsLease {
  /** Identifies this process as a lease owner. */
  readonly owner = `${process.pid}-${randomUUID()}`;

  constructor(private readonly repository: LeadSyncRepository) {}

  /** True when this process holds `stream` for the next `ttlSeconds`. */
  async tryAcquire(stream: string, ttlSeconds: number): Promise<boolean> {
    const lease = await this.repository.acquireLease(stream, this.owner, ttlSeconds);
    return lease.acquired;
  }

  async release(stream: string): Promise<void> {
    await this.repository.releaseLease(stream, this.owner);
  }
}
