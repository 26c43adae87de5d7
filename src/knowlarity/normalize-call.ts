import { createHash } from 'node:crypto';
import type { CallDirection, CallEvent } from './call-event';
import {
  CUSTOMER_PHONE_KEYS,
  InvalidPayloadError,
  NoCustomerPhoneError,
} from './knowlarity.errors';
import { normalizePhone } from './phone';
import { combineDateAndTime, DEFAULT_TIMEZONE, parseKnowlarityTime } from './times';
import { decodePercentEncoding, decodedTextOf, isPlainObject, textOf } from './values';

/** Account-level settings the normaliser needs; both come from configuration. */
export interface NormalizeOptions {
  /** ISO 3166 country whose national forms are understood (`IN`). */
  defaultCountry: string;
  /** IANA zone in which times without an offset are read (`Asia/Kolkata`). */
  timezone: string;
}

export const DEFAULT_NORMALIZE_OPTIONS: Readonly<NormalizeOptions> = Object.freeze({
  defaultCountry: 'IN',
  timezone: DEFAULT_TIMEZONE,
});

/** Field aliases of docs/knowlarity.md §4, in priority order; keys are matched case-insensitively. */
const KEYS = {
  callId: ['uuid', 'callid', 'call_uuid', 'call_id', 'calluuid'],
  srNumber: ['knowlarity_number', 'dispnumber', 'called_number', 'sr_number'],
  agent: ['agent_number'],
  destination: ['destination'],
  duration: ['call_duration', 'caller_duration', 'duration'],
  recording: ['call_recording', 'resource_url', 'recording_url', 'secured_recording_url'],
  callType: ['call_type'],
  callDirection: ['call_direction'],
  businessCallType: ['business_call_type'],
  callStatus: ['call_status'],
  hangupCause: ['hangup_cause'],
  start: ['start_time', 'call_start_time', 'start'],
  callDate: ['call_date'],
  callTime: ['call_time'],
  callerName: ['caller_name', 'customer_name', 'name'],
} as const;

/** Keys some accounts wrap the call in: `{"data": {...}}`, also as a JSON string. */
const WRAPPER_KEYS = ['data', 'call', 'payload'];
const MAX_WRAPPER_DEPTH = 3;

/** Knowlarity's hangup cause for a normally completed call. */
const NORMAL_HANGUP_CAUSE = '900';
const MISSED_STATUS = /missed|unanswered|no ?answer|not answered|busy/;

const INBOUND_WORDS = new Set(['0', 'incoming', 'inbound', 'in']);
const OUTBOUND_WORDS = new Set(['1', 'outgoing', 'outbound', 'out']);

/**
 * Turns one call, in any shape Knowlarity sends (call-log record, classic hook variables, log
 * push JSON, SSE CDR, optionally wrapped in `data`/`call`/`payload`), into a {@link CallEvent}.
 *
 * For each field the aliases are tried in order and the first value that parses wins, so a
 * garbage value under one alias does not hide a good one under the next. Fields of a wrapper
 * object win over those beside it.
 *
 * @throws InvalidPayloadError when `raw` is not a plain object (arrays included).
 * @throws NoCustomerPhoneError when no customer phone parses.
 */
export function normalizeCall(raw: unknown, options: NormalizeOptions): CallEvent {
  if (!isPlainObject(raw)) {
    throw new InvalidPayloadError(
      `The payload must be a JSON object or form body describing one call, not ${describe(raw)}.`,
    );
  }
  const fields = new FieldLookup(unwrap(raw));
  const { defaultCountry, timezone } = options;

  const customer = fields.first(CUSTOMER_PHONE_KEYS, (v) => normalizePhone(v, defaultCountry));
  if (!customer) {
    throw new NoCustomerPhoneError(CUSTOMER_PHONE_KEYS);
  }

  const srNumber =
    fields.first(KEYS.srNumber, (v) => normalizePhone(v, defaultCountry)?.e164 ?? null) ??
    clip(fields.text(KEYS.srNumber));

  const agentRaw = fields.text(KEYS.agent);
  const agent = agentRaw === null ? null : parseAgentField(agentRaw, defaultCountry);
  const destination = fields.text(KEYS.destination);
  const destinationPhone = normalizePhone(destination, defaultCountry)?.e164 ?? null;
  const agentNumber = agent?.number ?? destinationPhone;
  const agentLabel = clip(agent?.label ?? null);
  // Classic hooks carry no agent_number; their destination then names where the call ended
  // (an agent's number or an IVR node such as "Welcome Sound"), so it is read for the outcome.
  const outcomeLabel = agentRaw === null && destinationPhone === null ? destination : agentLabel;

  const durationSeconds = fields.first(KEYS.duration, parseDurationSeconds);
  const recordingUrl = fields.first(KEYS.recording, parseRecordingUrl);
  const businessCallType = clip(fields.text(KEYS.businessCallType));
  const callStatus = fields.text(KEYS.callStatus);
  const hangupCause = clip(fields.text(KEYS.hangupCause));

  const direction: CallDirection =
    fields.first(KEYS.callType, parseDirection) ??
    fields.first(KEYS.callDirection, parseDirection) ??
    (businessCallType?.toLowerCase() === 'outbound' ? 'outbound' : 'inbound');

  const missed =
    durationSeconds === 0 ||
    (outcomeLabel !== null && labelSaysMissed(outcomeLabel)) ||
    statusSaysMissed(businessCallType) ||
    statusSaysMissed(callStatus) ||
    (hangupCause !== null && hangupCause !== NORMAL_HANGUP_CAUSE);

  const startedAt = plausibleCallTime(
    fields.first(KEYS.start, (v) => parseKnowlarityTime(v, timezone)) ??
      combineDateAndTime(fields.text(KEYS.callDate), fields.text(KEYS.callTime), timezone),
  );

  const sentCallId = fields.text(KEYS.callId);
  if (sentCallId !== null && sentCallId.length > MAX_CALL_ID_LENGTH) {
    throw new InvalidPayloadError(`The call id is longer than ${MAX_CALL_ID_LENGTH} characters.`);
  }
  const callId =
    sentCallId ??
    deriveCallId(customer.national, srNumber, startedAt ? startedAt.toISOString() : '');

  return {
    callId,
    callIdDerived: sentCallId === null,
    customerPhone: customer.national,
    customerPhoneE164: customer.e164,
    srNumber,
    agentNumber,
    agentLabel,
    direction,
    missed,
    durationSeconds,
    recordingUrl,
    startedAt,
    callerName: clip(fields.text(KEYS.callerName)),
    businessCallType,
    hangupCause,
  };
}

/**
 * Parses a GET query string or an `application/x-www-form-urlencoded` body into a record for
 * {@link normalizeCall}; a full URL is accepted too. When a key repeats, its first non-blank
 * value wins. `URLSearchParams` decodes an unencoded `+` as a space (`+9198...` arrives as
 * ` 9198...`); the phone and time parsers allow for that.
 */
export function parseFormOrQuery(raw: string): Record<string, string> {
  let text = raw.trim();
  if (/^https?:\/\//i.test(text)) {
    const queryStart = text.indexOf('?');
    text = queryStart === -1 ? '' : text.slice(queryStart + 1).split('#')[0];
  }
  const values = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(text)) {
    const previous = values.get(key);
    if (previous === undefined || (previous.trim() === '' && value.trim() !== '')) {
      values.set(key, value);
    }
  }
  return Object.fromEntries(values);
}

/** The id used when a payload carries none: stable for the same phone, SR number and start. */
function deriveCallId(nationalPhone: string, srNumber: string | null, startedAt: string): string {
  const digest = createHash('sha256')
    .update(`${nationalPhone}|${srNumber ?? ''}|${startedAt}`)
    .digest('hex');
  return `derived:${digest.slice(0, 32)}`;
}

/** Layers of fields, innermost wrapper first, then the objects around it. */
function unwrap(raw: Record<string, unknown>): Record<string, unknown>[] {
  const layers = [raw];
  let current = raw;
  for (let depth = 0; depth < MAX_WRAPPER_DEPTH; depth++) {
    const inner = wrappedCall(current);
    if (!inner) {
      break;
    }
    layers.unshift(inner);
    current = inner;
  }
  return layers;
}

function wrappedCall(object: Record<string, unknown>): Record<string, unknown> | null {
  for (const [key, value] of Object.entries(object)) {
    if (!WRAPPER_KEYS.includes(key.trim().toLowerCase())) {
      continue;
    }
    if (isPlainObject(value)) {
      return value;
    }
    if (typeof value === 'string' && value.trim().startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (isPlainObject(parsed)) {
          return parsed;
        }
      } catch {
        // Not JSON after all: an ordinary field that happens to be called `data`.
      }
    }
  }
  return null;
}

/** Values whose keys differ only in case or surrounding spaces (`Call_Type`, `call_type`). */
class SameKey {
  constructor(readonly values: unknown[]) {}
}

/**
 * Case-insensitive, alias-ordered access to the fields of one call. A key holds its value itself
 * (an array per key was a tenth of the normaliser's time), or a SameKey when several keys fold
 * into it.
 */
class FieldLookup {
  private readonly layers: Map<string, unknown>[];

  constructor(objects: Record<string, unknown>[]) {
    this.layers = objects.map((object) => {
      const byKey = new Map<string, unknown>();
      for (const key of Object.keys(object)) {
        const normalizedKey = key.trim().toLowerCase();
        const value = object[key];
        if (!byKey.has(normalizedKey)) {
          byKey.set(normalizedKey, value);
          continue;
        }
        const held = byKey.get(normalizedKey);
        if (held instanceof SameKey) held.values.push(value);
        else byKey.set(normalizedKey, new SameKey([held, value]));
      }
      return byKey;
    });
  }

  /** The first value under `keys` (layer by layer, alias by alias) that `parse` accepts. */
  first<T>(keys: readonly string[], parse: (value: unknown) => T | null): T | null {
    for (const layer of this.layers) {
      for (const key of keys) {
        const held = layer.get(key);
        if (held === undefined && !layer.has(key)) continue;
        const parsed = held instanceof SameKey ? firstParsed(held.values, parse) : parse(held);
        if (parsed !== null) {
          return parsed;
        }
      }
    }
    return null;
  }

  /** The first non-empty value under `keys` as trimmed, percent-decoded text. */
  text(keys: readonly string[]): string | null {
    return this.first(keys, decodedTextOf);
  }
}

function firstParsed<T>(values: unknown[], parse: (value: unknown) => T | null): T | null {
  for (const value of values) {
    const parsed = parse(value);
    if (parsed !== null) {
      return parsed;
    }
  }
  return null;
}

/** `agent_number` is a phone, an outcome label, or `Label#phone` (`Customer Missed#+91...`). */
function parseAgentField(
  value: string,
  defaultCountry: string,
): { label: string | null; number: string | null } {
  const hash = value.indexOf('#');
  if (hash !== -1) {
    return {
      label: textOf(value.slice(0, hash)),
      number: normalizePhone(value.slice(hash + 1), defaultCountry)?.e164 ?? null,
    };
  }
  const phone = normalizePhone(value, defaultCountry);
  return phone ? { label: null, number: phone.e164 } : { label: value, number: null };
}

function labelSaysMissed(label: string): boolean {
  const text = label.toLowerCase().replace(/\s+/g, ' ');
  return (
    text.includes('missed') ||
    text.includes('sound') ||
    text === 'did not process' ||
    text === 'na' ||
    text === 'n/a'
  );
}

function statusSaysMissed(status: string | null): boolean {
  return status !== null && MISSED_STATUS.test(status.toLowerCase().replace(/[\s_-]+/g, ' '));
}

function parseDirection(value: unknown): CallDirection | null {
  const text = decodedTextOf(value)?.toLowerCase();
  if (text === undefined) {
    return null;
  }
  if (INBOUND_WORDS.has(text)) {
    return 'inbound';
  }
  return OUTBOUND_WORDS.has(text) ? 'outbound' : null;
}

/**
 * Bounds that keep garbage out of the database: a value past them is a client's mistake, never
 * a reason for a storage error. Call ids are indexed (and Knowlarity's are 36-character UUIDs);
 * free text is clipped; times outside 2000–2100 and durations over a week are not call data.
 */
const MAX_CALL_ID_LENGTH = 128;
const MAX_TEXT_LENGTH = 200;
const MAX_URL_LENGTH = 2048;
const MAX_DURATION_SECONDS = 7 * 86400;
const EARLIEST_CALL = Date.UTC(2000, 0, 1);
const LATEST_CALL = Date.UTC(2100, 0, 1);

function clip(text: string | null): string | null {
  return text !== null && text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}

function plausibleCallTime(date: Date | null): Date | null {
  return date && date.getTime() >= EARLIEST_CALL && date.getTime() < LATEST_CALL ? date : null;
}

/** Whole seconds from a number, a numeric string or a clock (`mm:ss`, `hh:mm:ss`). */
function parseDurationSeconds(value: unknown): number | null {
  const text = textOf(value);
  if (text === null) {
    return null;
  }
  let seconds: number | null = null;
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    seconds = Math.round(Number(text));
  } else {
    const clock = /^(?:(\d+):)?(\d{1,2}):(\d{2})$/.exec(text);
    if (clock && Number(clock[3]) < 60 && (clock[1] === undefined || Number(clock[2]) < 60)) {
      seconds = Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
    }
  }
  return seconds !== null && Number.isSafeInteger(seconds) && seconds <= MAX_DURATION_SECONDS
    ? seconds
    : null;
}

/** An http(s) URL as sent (not re-serialised, so signed links stay valid), or null. */
function parseRecordingUrl(value: unknown): string | null {
  let text = textOf(value);
  if (text === null || text.length > MAX_URL_LENGTH) {
    return null;
  }
  if (/^https?%3a/i.test(text)) {
    text = decodePercentEncoding(text);
  }
  try {
    const { protocol } = new URL(text);
    return protocol === 'http:' || protocol === 'https:' ? text : null;
  } catch {
    return null;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (value === null) {
    return 'null';
  }
  return typeof value === 'object' ? 'a non-plain object' : `a ${typeof value}`;
}
