import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { knowlarityApiConfig } from '../config';
import { LeadSyncRepository } from '../database/lead-sync.repository';
import { CallNormalizer } from '../knowlarity/call-normalizer';
import { KnowlarityClient } from '../knowlarity/knowlarity-client';
import { SyncNotConfiguredError } from './sync.errors';
import { assertSyncWindow } from './sync-window';

export interface ReconcileReport {
  windowFrom: string;
  windowTo: string;
  inCallLog: number;
  stored: number;
  /** In Knowlarity's call log, not stored here: what polling would still create. */
  missingLocally: string[];
  /** Stored here with a Knowlarity call id, absent from the call log for the window. */
  absentFromCallLog: string[];
  storedOutcomes: Record<string, number>;
}

/**
 * The proof that nothing was missed: compares Knowlarity's call log for a window with the calls
 * stored for it. Reads only; safe to run while polling goes on.
 */
@Injectable()
export class CallLogReconciler {
  constructor(
    private readonly repository: LeadSyncRepository,
    private readonly client: KnowlarityClient,
    private readonly normalizer: CallNormalizer,
    private readonly clock: Clock,
    @Inject(knowlarityApiConfig.KEY) private readonly api: ConfigType<typeof knowlarityApiConfig>,
  ) {}

  /** False without Knowlarity credentials: there is no call log to compare with. */
  get configured(): boolean {
    return this.api.credentialsConfigured;
  }

  /** Compares Knowlarity's call log for [from, to) with the stored calls. */
  async reconcile(from: Date, to: Date): Promise<ReconcileReport> {
    if (!this.configured) throw new SyncNotConfiguredError();
    assertSyncWindow(from, to, this.clock.now());
    const inLog = new Set<string>();
    for await (const page of this.client.iterateCallLog({ from, to })) {
      for (const record of page.records) {
        const call = this.normalizer.normalizeRecord(record);
        if (call?.startedAt && call.startedAt >= from && call.startedAt < to)
          inLog.add(call.callId);
      }
    }
    const stored = await this.repository.callsInWindow(from, to);
    const storedIds = new Set(stored.map((call) => call.callId));
    const storedOutcomes: Record<string, number> = {};
    for (const call of stored)
      storedOutcomes[call.outcome] = (storedOutcomes[call.outcome] ?? 0) + 1;
    return {
      windowFrom: from.toISOString(),
      windowTo: to.toISOString(),
      inCallLog: inLog.size,
      stored: stored.length,
      missingLocally: [...inLog].filter((id) => !storedIds.has(id)).sort(),
      absentFromCallLog: stored
        .filter((c) => !c.derived && !inLog.has(c.callId))
        .map((c) => c.callId),
      storedOutcomes,
    };
  }
}
