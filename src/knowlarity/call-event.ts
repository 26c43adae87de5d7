/**
 * The one shape every arrival path (webhook GET/POST in any of Knowlarity's shapes, a call-log
 * record, a replay) is normalised into before it reaches the ingest function.
 */
export type CallDirection = 'inbound' | 'outbound';

/** How a call reached the service; the ingest function records the first and every later one. */
export type ArrivalPath = 'webhook' | 'poll' | 'replay' | 'stream';

export interface CallEvent {
  /** Knowlarity's call id (`uuid`/`callid`/`call_uuid`), or a deterministic derived id. */
  callId: string;
  /** True when no call id was sent and `callId` was derived from phone, SR number and start. */
  callIdDerived: boolean;
  /** Customer phone as the national number the CRM matches on (10 digits for India). */
  customerPhone: string;
  /** Customer phone in E.164 (`+91XXXXXXXXXX`). */
  customerPhoneE164: string;
  /** The SR (virtual) number called, E.164 when it parses as a phone, else as sent. */
  srNumber: string | null;
  /** The agent's phone in E.164 when one was sent (never an outcome label). */
  agentNumber: string | null;
  /** Outcome label found in `agent_number` (`Customer Missed`, `Did Not Process`, `NA`, ...). */
  agentLabel: string | null;
  direction: CallDirection;
  /** True for unanswered calls, by the rules of docs/knowlarity.md §4. */
  missed: boolean;
  durationSeconds: number | null;
  recordingUrl: string | null;
  /** When the call started; null when the payload carries no usable time. */
  startedAt: Date | null;
  /** Caller name when the payload carries one (`caller_name`). */
  callerName: string | null;
  businessCallType: string | null;
  hangupCause: string | null;
}
