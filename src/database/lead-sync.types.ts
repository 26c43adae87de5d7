import { ArrivalPath, CallEvent } from '../knowlarity/call-event';

// The shapes the repository's SQL functions take and return (their JSON, in camelCase).

/** What the ingest function answers for a call (also the webhook's `outcome`, documented from this list). */
export const INGEST_OUTCOMES = [
  'lead_created',
  'same_source_duplicate',
  'cross_source_duplicate',
  'duplicate_call',
  'call_linked',
  'call_unmatched',
  'ignored',
] as const;

export type IngestOutcome = (typeof INGEST_OUTCOMES)[number];

/**
 * Why a lead has the owner an inbound call reported: the answering agent's CRM user, the SR
 * number's owner, an owner the lead already had (never replaced), or none of these.
 */
export type AssignmentReason =
  'answering_agent' | 'number_owner' | 'already_assigned' | 'unassigned';

export interface IngestResult {
  outcome: IngestOutcome;
  leadId: number | null;
  callId: string;
  sourceId: number | null;
  deliveryId: number | null;
  /** The lead's owner after this call (inbound calls that land on a lead; else null). */
  assignedTo: string | null;
  assignmentReason: AssignmentReason | null;
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

/** What one refresh of the source counts did (knowlarity_refresh_source_counts). */
export interface SourceCountsRefresh {
  /** Pending deltas folded into the per-day counts. */
  folded: number;
  /** True when more deltas were pending than one refresh folds: call again. */
  more: boolean;
  /** `sources` rows whose total_leads_count / todays_leads_count changed. */
  updated: number;
  /** False until the counts are built (reads derive them meanwhile). */
  ready: boolean;
  recountMode: RecountMode | null;
  recountFinishedAt: string | null;
}

export type RecountMode = 'build' | 'recount';

/** One batch of a recount (knowlarity_recount_source_counts). */
export interface RecountStep {
  /** The recount this batch belonged to; null when none was running and none was begun. */
  mode: RecountMode | null;
  done: boolean;
  /** The source the next batch starts at. */
  sourceId: number | null;
  /** Recounted minus held, by source id, for the recount so far (drift; empty for a build). */
  differences: Record<string, number>;
  ready: boolean;
}

export interface IngestItem {
  call: CallEvent;
  raw: unknown;
}

/** One delivery of a group commit: its call, how it arrived, its raw payload and delivery row. */
export interface BatchIngestItem extends IngestItem {
  arrivalPath: ArrivalPath;
  delivery?: DeliveryRecord;
}

/** What the database rejected one item of a batch with (the others committed). */
export interface BatchIngestError {
  error: { code: string; message: string };
}

/** Per item of a batch, in the order given: its result, or the error it alone failed with. */
export type BatchIngestEntry = IngestResult | BatchIngestError;

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
  assignedTo: string | null;
  assignmentReason: AssignmentReason | null;
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

/** One entry of the missed-call queue: a run of missed inbound calls from one phone. */
export interface MissedCallView {
  phone: string;
  phoneE164: string;
  leadId: number | null;
  lead: {
    id: number;
    fullName: string | null;
    status: string | null;
    assignedTo: string | null;
  } | null;
  /** Missed inbound calls in the run. */
  attempts: number;
  firstMissedCallId: string;
  firstMissedAt: string;
  lastMissedCallId: string;
  lastMissedAt: string;
  /** Seconds since the first missed call of the run, while nobody has answered. */
  waitingSeconds: number | null;
  returnedCallId: string | null;
  returnedAt: string | null;
  returnedDirection: 'inbound' | 'outbound' | null;
  /** Seconds from the first missed call to the answered call that ended the run. */
  returnedAfterSeconds: number | null;
}

/** Where a page of the missed-call queue ends (`key`: phone, or the returning call's id). */
export interface MissedCallKey {
  at: string;
  key: string;
}

export interface MissedCallFilter {
  /** False: customers still waiting; true: runs ended by an answered call. */
  returned: boolean;
  /** "Now" for waitingSeconds. */
  now: Date;
  limit: number;
  after?: MissedCallKey;
}
