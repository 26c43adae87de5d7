import { IngestRules } from '../config/ingest.config';
import { ArrivalPath, CallEvent } from '../knowlarity/call-event';

export type IngestOutcome =
  | 'lead_created'
  | 'same_source_duplicate'
  | 'cross_source_duplicate'
  | 'duplicate_call'
  | 'call_linked'
  | 'call_unmatched'
  | 'ignored';

export interface IngestResult {
  outcome: IngestOutcome;
  leadId: number | null;
  callId: string;
  sourceId: number | null;
  deliveryId: number | null;
}

/** One raw webhook request as stored in webhook_deliveries (secrets already removed). */
export interface DeliveryRecord {
  requestId?: string;
  method: string;
  path?: string;
  contentType?: string | null;
  headers: Record<string, string>;
  query?: string | null;
  rawBodyBase64?: string | null;
  bodyBytes?: number | null;
  bodyStored?: boolean;
  remoteAddress?: string | null;
  httpStatus?: number;
  errorCode?: string | null;
  outcome?: string | null;
  callId?: string | null;
  replayOf?: number | null;
}

/** A stored delivery as read back (body in base64: raw bytes, not necessarily text). */
export interface StoredDelivery extends DeliveryRecord {
  id: number;
  receivedAt: string;
  httpStatus: number;
}

export interface DeliveryFilter {
  limit: number;
  /** 'accepted' (2xx), 'rejected', or one HTTP status such as '422'. */
  status?: string;
  /** Keyset cursor: only deliveries with a smaller id. */
  before?: number;
}

export interface SourceLeadCount {
  sourceId: number;
  totalLeads: number;
  todaysLeads: number;
  lastLeadAt: string | null;
}

/** Named arguments of one SQL function call, as PostgREST's rpc takes them. */
export type FunctionArgs = Record<string, unknown>;

/**
 * The store every feature module injects (the abstract class is the DI token). Every method is
 * one call of one SQL function from supabase/migrations, so the drivers differ only in how they
 * call a function: PGlite in-process, a `pg` pool, or supabase-js `rpc`.
 */
export abstract class LeadSyncRepository {
  /** Calls `fn` with named arguments and returns its (JSON) result. */
  protected abstract callFunction<T>(fn: string, args: FunctionArgs): Promise<T>;

  /**
   * PostgreSQL text and jsonb cannot hold U+0000, which any client can put in a payload; it is
   * dropped here, at the one place every driver goes through, instead of failing the call.
   */
  private call<T>(fn: string, args: FunctionArgs): Promise<T> {
    return this.callFunction<T>(fn, withoutNul(args) as FunctionArgs);
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
}

function withoutNul(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\0') ? value.replaceAll('\0', '') : value;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(withoutNul);
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [withoutNul(key) as string, withoutNul(item)]),
  );
}
