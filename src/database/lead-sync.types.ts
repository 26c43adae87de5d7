import { CallEvent } from '../knowlarity/call-event';

// The shapes the repository's SQL functions take and return (their JSON, in camelCase).

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

export interface IngestItem {
  call: CallEvent;
  raw: unknown;
}

export interface LeaseState {
  acquired: boolean;
  owner: string | null;
  expiresAt: string | null;
  watermark: string | null;
}

export type SyncTrigger = 'schedule' | 'manual' | 'backfill';
export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface SyncRun {
  id: number;
  trigger: SyncTrigger;
  windowFrom: string;
  windowTo: string;
  owner: string;
  backfillId: number | null;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  pages: number;
  records: number;
  outcomes: Record<string, number>;
  error: string | null;
}

export interface SyncStatus {
  watermark: string | null;
  leaseOwner: string | null;
  lastRun: SyncRun | null;
  lastSuccess: SyncRun | null;
  lastFailure: SyncRun | null;
}

export interface RunFinish {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  pages: number;
  records: number;
  outcomes: Record<string, number>;
  error?: string | null;
  /** Moves the stream's watermark to `advanceTo` when the run succeeded and still holds the lease. */
  stream?: string;
  advanceTo?: Date;
}

export interface BackfillState {
  backfillId: number;
  doneUntil: string;
  chunkSeconds: number;
}

export interface StoredCallSummary {
  callId: string;
  outcome: string;
  derived: boolean;
}

/** Named arguments of one SQL function call, as PostgREST's rpc takes them. */
export type FunctionArgs = Record<string, unknown>;

/** A keyset page: `next` is the key of the last item when more items follow, else null. */
export interface Page<T, K> {
  items: T[];
  next: K | null;
}

/** Where a page of leads ends: `createdAt` to the microsecond, as the database holds it. */
export interface LeadKey {
  createdAt: string;
  id: number;
}

export interface CallKey {
  startedAt: string;
  callId: string;
}

export interface SourceRef {
  id: number;
  displayName: string;
  sourceType: string;
}

/** A lead as the look-ups return it; times are UTC ISO strings. */
export interface LeadView {
  id: number;
  fullName: string | null;
  /** The national number the ingest matches on. */
  phone: string | null;
  alternatePhone: string | null;
  status: string | null;
  sourceId: number | null;
  source: SourceRef | null;
  externalLeadId: string | null;
  assignedTo: string | null;
  nextFollowupAt: string | null;
  totalAttempts: number | null;
  isQualified: boolean | null;
  /** When the source delivered the lead (createdAt when unknown). */
  receivedAt: string | null;
  createdAt: string;
  updatedAt: string | null;
}

export interface LeadFilter {
  /** National number, as normalizePhone gives it. */
  phone?: string;
  sourceId?: number;
  status?: string;
  createdFrom?: Date;
  /** Exclusive. */
  createdTo?: Date;
  /** Name prefix (case-insensitive). */
  q?: string;
  /** Phone prefix (digits), when `q` reads as the start of a phone number. */
  qPhone?: string;
  limit: number;
  after?: LeadKey;
}

/** One source credited with a lead, and when. */
export interface LeadSourceEntry {
  sourceId: number | null;
  source: SourceRef | null;
  receivedAt: string | null;
  isPrimary: boolean;
  externalId: string | null;
}

export type CallStatus = 'answered' | 'missed';

export interface CallView {
  callId: string;
  leadId: number | null;
  sourceId: number | null;
  phone: string;
  phoneE164: string;
  srNumber: string | null;
  direction: 'inbound' | 'outbound';
  status: CallStatus;
  durationSeconds: number | null;
  agentNumber: string | null;
  agentLabel: string | null;
  recordingUrl: string | null;
  callerName: string | null;
  outcome: string;
  startedAt: string;
}

export interface LeadDetail extends LeadView {
  history: LeadSourceEntry[];
  /** The newest 100 calls, newest first. */
  calls: CallView[];
  callsTotal: number;
}

export interface CallFilter {
  leadId?: number;
  /** National number, as normalizePhone gives it. */
  phone?: string;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  status?: CallStatus;
  direction?: 'inbound' | 'outbound';
  limit: number;
  after?: CallKey;
}

export interface SourceView extends SourceRef {
  createdAt: string | null;
  totalLeads: number;
  todaysLeads: number;
  lastLeadAt: string | null;
}

export interface DayCount {
  /** YYYY-MM-DD in the business time zone. */
  date: string;
  leads: number;
}

export interface SourceDetail extends SourceView {
  leadsPerDay?: DayCount[];
}

/** One source's leads on one day in the business time zone, per local clock hour. */
export interface HourlyDay {
  /** YYYY-MM-DD in the business time zone. */
  date: string;
  total: number;
  /** 24 counts, hour 0 first; they add up to `total`. */
  hours: number[];
}

export interface SourceHourly extends SourceRef {
  days: HourlyDay[];
}

export interface LeadsPerHour {
  timezone: string;
  /** The days covered, oldest first, today last. */
  days: string[];
  /** Sources with at least one lead in those days. */
  sources: SourceHourly[];
}

export interface CreatedSource {
  created: boolean;
  source: SourceView;
}
