import { IngestRules } from '../config/ingest.config';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';
import { StorageUnavailableError } from './storage.errors';

import {
  BackfillState,
  CallFilter,
  CallKey,
  CallView,
  CreatedSource,
  DeliveryFilter,
  DeliveryRecord,
  FunctionArgs,
  IngestItem,
  IngestResult,
  LeadDetail,
  LeadFilter,
  LeadKey,
  LeadView,
  LeadsPerHour,
  LeaseState,
  Page,
  RunFinish,
  RunStatus,
  SourceDetail,
  SourceLeadCount,
  SourceView,
  StoredCallSummary,
  StoredDelivery,
  SyncStatus,
  SyncTrigger,
} from './lead-sync.types';

export * from './lead-sync.types';

/**
 * The store every feature module injects (the abstract class is the DI token). Every method is
 * one call of one SQL function from supabase/migrations, so the drivers differ only in how they
 * call a function: PGlite in-process, a `pg` pool, or supabase-js `rpc`.
 */
export abstract class LeadSyncRepository {
  /** Calls `fn` with named arguments and returns its (JSON) result. */
  protected abstract callFunction<T>(fn: string, args: FunctionArgs): Promise<T>;

  /**
   * PostgreSQL text and jsonb cannot hold U+0000 or a lone UTF-16 surrogate, which any client can
   * put in a payload: NULs are dropped and lone surrogates become U+FFFD here, at the one place
   * every driver goes through, instead of failing the call.
   */
  private async call<T>(fn: string, args: FunctionArgs): Promise<T> {
    if (!this.schemaReady && fn !== 'knowlarity_schema_version') {
      throw new StorageUnavailableError(new Error('The database schema is not ready yet'));
    }
    try {
      return await this.callFunction<T>(fn, storable(args) as FunctionArgs);
    } catch (error) {
      for (const observe of this.errorObservers) observe(error);
      throw error;
    }
  }

  private schemaReady = true;
  private readonly errorObservers: ((error: unknown) => void)[] = [];

  /**
   * Until `markSchemaReady`, every call fails as unavailable (503 to webhook senders, who retry)
   * instead of hitting a database that is unreachable or not migrated yet.
   */
  holdUntilSchemaReady(): void {
    this.schemaReady = false;
  }

  markSchemaReady(): void {
    this.schemaReady = true;
  }

  get isSchemaReady(): boolean {
    return this.schemaReady;
  }

  /** Lets metrics count failed database calls without the drivers knowing about metrics. */
  observeErrors(observer: (error: unknown) => void): void {
    this.errorObservers.push(observer);
  }

  /** Releases connections; the repository is unusable afterwards. */
  abstract close(): Promise<void>;

  ingestCall(
    call: CallEvent,
    arrivalPath: ArrivalPath,
    rules: IngestRules,
    raw: unknown,
    delivery?: DeliveryRecord,
  ): Promise<IngestResult> {
    return this.call('knowlarity_ingest_call', {
      p_call: call,
      p_arrival_path: arrivalPath,
      p_rules: rules,
      p_raw: raw ?? null,
      p_delivery: delivery ?? null,
    });
  }

  /** A call-log page in one transaction (results in (phone, call id) order); `dryRun` keeps nothing. */
  ingestCalls(
    items: IngestItem[],
    arrivalPath: ArrivalPath,
    rules: IngestRules,
    dryRun = false,
  ): Promise<IngestResult[]> {
    return this.call('knowlarity_ingest_calls', {
      p_items: items,
      p_arrival_path: arrivalPath,
      p_rules: rules,
      p_dry_run: dryRun,
    });
  }

  acquireLease(stream: string, owner: string, ttlSeconds: number): Promise<LeaseState> {
    return this.call('knowlarity_sync_acquire_lease', {
      p_stream: stream,
      p_owner: owner,
      p_ttl_seconds: ttlSeconds,
    });
  }

  async releaseLease(stream: string, owner: string): Promise<void> {
    await this.call('knowlarity_sync_release_lease', { p_stream: stream, p_owner: owner });
  }

  startRun(
    trigger: SyncTrigger,
    owner: string,
    from: Date,
    to: Date,
    backfillId?: number,
  ): Promise<{ runId: number }> {
    return this.call('knowlarity_sync_start_run', {
      p_trigger: trigger,
      p_owner: owner,
      p_from: from,
      p_to: to,
      p_backfill_id: backfillId ?? null,
    });
  }

  finishRun(finish: RunFinish): Promise<{ runId: number; watermarkAdvanced: boolean }> {
    return this.call('knowlarity_sync_finish_run', {
      p_run_id: finish.runId,
      p_status: finish.status,
      p_pages: finish.pages,
      p_records: finish.records,
      p_outcomes: finish.outcomes,
      p_error: finish.error ?? null,
      p_stream: finish.stream ?? null,
      p_advance_to: finish.advanceTo ?? null,
    });
  }

  syncStatus(stream: string): Promise<SyncStatus> {
    return this.call('knowlarity_sync_status', { p_stream: stream });
  }

  beginBackfill(from: Date, to: Date, chunkSeconds: number): Promise<BackfillState> {
    return this.call('knowlarity_backfill_begin', {
      p_from: from,
      p_to: to,
      p_chunk_seconds: chunkSeconds,
    });
  }

  async recordBackfillProgress(
    backfillId: number,
    doneUntil: Date,
    status: RunStatus = 'running',
  ): Promise<void> {
    await this.call('knowlarity_backfill_progress', {
      p_backfill_id: backfillId,
      p_done_until: doneUntil,
      p_status: status,
    });
  }

  async callsInWindow(from: Date, to: Date): Promise<StoredCallSummary[]> {
    const { calls } = await this.call<{ calls: StoredCallSummary[] }>(
      'knowlarity_calls_in_window',
      {
        p_from: from,
        p_to: to,
      },
    );
    return calls;
  }

  recordDelivery(delivery: DeliveryRecord): Promise<{ deliveryId: number }> {
    return this.call('knowlarity_record_delivery', { p_delivery: delivery });
  }

  listDeliveries(filter: DeliveryFilter): Promise<StoredDelivery[]> {
    return this.call('knowlarity_list_deliveries', {
      p_limit: filter.limit,
      p_status: filter.status ?? null,
      p_before: filter.before ?? null,
    });
  }

  getDelivery(id: number): Promise<StoredDelivery | null> {
    return this.call('knowlarity_get_delivery', { p_id: id });
  }

  sourceLeadCounts(timezone: string, now: Date): Promise<SourceLeadCount[]> {
    return this.call('knowlarity_source_lead_counts', {
      p_timezone: timezone,
      p_now: now.toISOString(),
    });
  }

  refreshSourceCounts(timezone: string, now: Date): Promise<{ updated: number }> {
    return this.call('knowlarity_refresh_source_counts', {
      p_timezone: timezone,
      p_now: now.toISOString(),
    });
  }

  schemaVersion(): Promise<number> {
    return this.call('knowlarity_schema_version', {});
  }

  // Look-ups for the internal REST API (leads, calls, sources) go below this line.
  /** Leads newest first on (createdAt desc, id desc); `filter.phone` is already normalised. */
  findLeads(filter: LeadFilter): Promise<Page<LeadView, LeadKey>> {
    return this.call('knowlarity_find_leads', {
      p_phone: filter.phone ?? null,
      p_source_id: filter.sourceId ?? null,
      p_status: filter.status ?? null,
      p_created_from: filter.createdFrom ?? null,
      p_created_to: filter.createdTo ?? null,
      p_q: filter.q ?? null,
      p_q_phone: filter.qPhone ?? null,
      p_limit: filter.limit,
      p_after_created_at: filter.after?.createdAt ?? null,
      p_after_id: filter.after?.id ?? null,
    });
  }

  /** One lead with its history and newest calls, or null. */
  getLead(id: number): Promise<LeadDetail | null> {
    return this.call('knowlarity_get_lead', { p_id: id });
  }

  /** Calls newest first on (startedAt desc, callId asc); `filter.phone` is already normalised. */
  findCalls(filter: CallFilter): Promise<Page<CallView, CallKey>> {
    return this.call('knowlarity_find_calls', {
      p_lead_id: filter.leadId ?? null,
      p_phone: filter.phone ?? null,
      p_from: filter.from ?? null,
      p_to: filter.to ?? null,
      p_missed: filter.status === undefined ? null : filter.status === 'missed',
      p_direction: filter.direction ?? null,
      p_limit: filter.limit,
      p_after_started_at: filter.after?.startedAt ?? null,
      p_after_call_id: filter.after?.callId ?? null,
    });
  }

  getCall(callId: string): Promise<CallView | null> {
    return this.call('knowlarity_get_call', { p_call_id: callId });
  }

  /** Every source with the derived counts ("today" is `now`'s day in `timezone`). */
  listSources(timezone: string, now: Date): Promise<SourceView[]> {
    return this.call('knowlarity_list_sources', { p_timezone: timezone, p_now: now });
  }

  /** One source with its derived counts and, given `days`, its leads per day; or null. */
  getSource(id: number, timezone: string, now: Date, days?: number): Promise<SourceDetail | null> {
    return this.call('knowlarity_get_source', {
      p_id: id,
      p_timezone: timezone,
      p_now: now,
      p_days: days ?? null,
    });
  }

  /** Leads per local hour by source over the last `days` days (today included). */
  leadsPerHour(timezone: string, now: Date, days: number): Promise<LeadsPerHour> {
    return this.call('knowlarity_leads_per_hour', {
      p_timezone: timezone,
      p_now: now,
      p_days: days,
    });
  }

  /** Creates the source unless one with this name and type exists (`created: false`). */
  createSource(displayName: string, sourceType: string): Promise<CreatedSource> {
    return this.call('knowlarity_create_source', {
      p_display_name: displayName,
      p_source_type: sourceType,
    });
  }
}

function storable(value: unknown): unknown {
  if (typeof value === 'string') {
    const text = value.includes('\0') ? value.replaceAll('\0', '') : value;
    return text.isWellFormed() ? text : text.toWellFormed();
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(storable);
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [storable(key) as string, storable(item)]),
  );
}
