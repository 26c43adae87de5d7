import { IngestRules } from '../config/ingest.config';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';
import { nullableArgs, pageArgs } from './function-args';
import { StorageUnavailableError } from './storage.errors';

import {
  BackfillState,
  BatchIngestEntry,
  BatchIngestItem,
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
  MissedCallFilter,
  MissedCallKey,
  MissedCallView,
  Page,
  RecountStep,
  RunFinish,
  RunStatus,
  SourceCountsRefresh,
  SourceDetail,
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
   * Calls `fn` and returns its JSON result as JSON text (null for SQL null). By default the
   * parsed result serialised again; a driver that receives the text overrides this to hand it
   * on as the database printed it (the same JSON, spaced as PostgreSQL spaces it).
   */
  protected async callFunctionText(fn: string, args: FunctionArgs): Promise<string | null> {
    const result = await this.callFunction<unknown>(fn, args);
    return result === null ? null : JSON.stringify(result);
  }

  /**
   * Every method goes through here. Text and JSON arguments that PostgreSQL cannot hold (NULs,
   * lone surrogates) are made storable by each driver as it serialises them (storable.ts).
   */
  private call<T>(fn: string, args: FunctionArgs): Promise<T> {
    return this.guarded(fn, () => this.callFunction<T>(fn, args));
  }

  /** `call`, for a result that is only sent on: its JSON text (callFunctionText). */
  private callForText(fn: string, args: FunctionArgs): Promise<string | null> {
    return this.guarded(fn, () => this.callFunctionText(fn, args));
  }

  private async guarded<T>(fn: string, invoke: () => Promise<T>): Promise<T> {
    if (!this.schemaReady && fn !== 'knowlarity_schema_version') {
      throw new StorageUnavailableError(new Error('The database schema is not ready yet'));
    }
    try {
      return await invoke();
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

  /**
   * How many function calls the driver can run at once. The ingest batcher never keeps more
   * batches in flight than this: on a single connection, a second batch would only wait in the
   * driver's queue instead of gathering more deliveries.
   */
  get maxConcurrentCalls(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** True when calls run synchronously on this thread (the embedded database): nothing else runs meanwhile. */
  get holdsThread(): boolean {
    return false;
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

  /**
   * A group commit: every item (a call with its own arrival path, raw payload and delivery row)
   * in one transaction, each isolated from the others' failures (knowlarity_ingest_batch).
   * Entries come back in the order of `items`.
   */
  ingestBatch(items: BatchIngestItem[], rules: IngestRules): Promise<BatchIngestEntry[]> {
    return this.call('knowlarity_ingest_batch', { p_items: items, p_rules: rules });
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

  /** Deletes up to `limit` webhook deliveries received before `before`, oldest first. */
  purgeDeliveries(before: Date, limit: number): Promise<{ deleted: number }> {
    return this.call('knowlarity_purge_deliveries', { p_before: before, p_limit: limit });
  }

  /** Deletes up to `limit` sync runs started before `before`, oldest first. */
  purgeSyncRuns(before: Date, limit: number): Promise<{ deleted: number }> {
    return this.call('knowlarity_purge_sync_runs', { p_before: before, p_limit: limit });
  }

  /**
   * Folds up to `limit` pending count deltas into the per-day counts and copies the figures
   * into sources.total_leads_count / todays_leads_count where they changed.
   */
  refreshSourceCounts(timezone: string, now: Date, limit?: number): Promise<SourceCountsRefresh> {
    return this.call('knowlarity_refresh_source_counts', {
      p_timezone: timezone,
      p_now: now.toISOString(),
      p_limit: limit,
    });
  }

  /**
   * One bounded batch of the source-count recount (or of the first build); `begin` starts a
   * recount unless one is running. Call until `done`.
   */
  recountSourceCounts(
    timezone: string,
    now: Date,
    batchRows: number,
    begin: boolean,
  ): Promise<RecountStep> {
    return this.call('knowlarity_recount_source_counts', {
      p_timezone: timezone,
      p_now: now.toISOString(),
      p_batch_rows: batchRows,
      p_begin: begin,
    });
  }

  schemaVersion(): Promise<number> {
    return this.call('knowlarity_schema_version', {});
  }

  // Look-ups for the internal REST API (leads, calls, sources) go below this line.
  /** Leads newest first on (createdAt desc, id desc); `filter.phone` is already normalised. */
  findLeads(filter: LeadFilter): Promise<Page<LeadView, LeadKey>> {
    return this.call('knowlarity_find_leads', {
      ...nullableArgs('p_', filter, [
        'phone',
        'sourceId',
        'status',
        'createdFrom',
        'createdTo',
        'q',
        'qPhone',
      ]),
      ...pageArgs(filter, ['createdAt', 'id']),
    });
  }

  /** One lead with its history and newest calls, or null. */
  getLead(id: number): Promise<LeadDetail | null> {
    return this.call('knowlarity_get_lead', { p_id: id });
  }

  /** Calls newest first on (startedAt desc, callId asc); `filter.phone` is already normalised. */
  findCalls(filter: CallFilter): Promise<Page<CallView, CallKey>> {
    return this.call('knowlarity_find_calls', {
      ...nullableArgs('p_', filter, ['leadId', 'phone', 'from', 'to', 'direction']),
      p_missed: filter.status === undefined ? null : filter.status === 'missed',
      ...pageArgs(filter, ['startedAt', 'callId']),
    });
  }

  getCall(callId: string): Promise<CallView | null> {
    return this.call('knowlarity_get_call', { p_call_id: callId });
  }

  /** The missed-call queue: waiting customers, or (`returned`) runs ended by an answered call. */
  listMissedCalls(filter: MissedCallFilter): Promise<Page<MissedCallView, MissedCallKey>> {
    return this.call('knowlarity_list_missed_calls', {
      p_returned: filter.returned,
      p_now: filter.now,
      ...pageArgs(filter, ['at', 'key']),
    });
  }

  /** How many customers are waiting for a call back. */
  async countUnreturnedMissedCalls(): Promise<number> {
    const { unreturned } = await this.call<{ unreturned: number }>(
      'knowlarity_count_unreturned_missed_calls',
      {},
    );
    return unreturned;
  }

  /** Every source with its counts ("today" is `now`'s day in `timezone`). */
  listSources(timezone: string, now: Date): Promise<SourceView[]> {
    return this.call('knowlarity_list_sources_json', { p_timezone: timezone, p_now: now });
  }

  /** `listSources` as JSON text, for sending on unread. */
  async listSourcesJson(timezone: string, now: Date): Promise<string> {
    const text = await this.callForText('knowlarity_list_sources_json', {
      p_timezone: timezone,
      p_now: now,
    });
    return text ?? '[]';
  }

  /** One source with its counts and, given `days`, its leads per day; or null. */
  getSource(id: number, timezone: string, now: Date, days?: number): Promise<SourceDetail | null> {
    return this.call('knowlarity_get_source', {
      p_id: id,
      p_timezone: timezone,
      p_now: now,
      p_days: days ?? null,
    });
  }

  /** `getSource` for each of `ids`, in their order, in one statement (one snapshot). */
  getSources(
    ids: number[],
    timezone: string,
    now: Date,
    days?: number,
  ): Promise<(SourceDetail | null)[]> {
    return this.call('knowlarity_get_sources', {
      p_ids: ids,
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
