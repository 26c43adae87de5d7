import { formatIst } from '../../src/knowlarity/times';

/**
 * A call-log record as Knowlarity's `GET .../account/calllog` returns it (docs/knowlarity.md §1).
 * A type alias rather than an interface so it is assignable to `Record<string, unknown>`.
 */
export type CallLogRecord = {
  uuid: string;
  customer_number: string;
  agent_number: string;
  knowlarity_number: string;
  start_time: string;
  call_duration: number | string;
  business_call_type: string;
  Call_Type: 0 | 1;
  call_recording: string;
  destination: string;
};

export interface CallGeneratorOptions {
  /** How many calls to generate. */
  count: number;
  /** Same seed and options, same calls. Defaults to 1. */
  seed?: number;
  /** Calls start within [from, to); defaults to the IST day 2026-11-20. */
  from?: Date;
  to?: Date;
  /** Distinct customers to draw from, so repeat callers occur; defaults to a third of `count`. */
  phonePoolSize?: number;
  /** SR numbers called; defaults to two test numbers. */
  srNumbers?: string[];
  /** Agents answering; defaults to five test numbers. */
  agentNumbers?: string[];
  /** Share of outbound calls (Call_Type 1); defaults to 0.1. */
  outboundFraction?: number;
  /** Share of inbound calls nobody answered; defaults to 0.3. */
  missedFraction?: number;
}

export const DEFAULT_SR_NUMBERS = ['+919600000301', '+919600000302'];
export const DEFAULT_AGENT_NUMBERS = [
  '+919700000201',
  '+919700000202',
  '+919700000203',
  '+919700000204',
  '+919700000205',
];
const DEFAULT_FROM = new Date('2026-11-20T00:00:00+05:30');
const DEFAULT_TO = new Date('2026-11-21T00:00:00+05:30');
/** Coprime with 10^9, so stepping by it through 9-digit numbers never repeats one. */
const PHONE_STEP = 7919;
const ANSWERED_TYPES = ['Call Group', 'Phone', 'DTMF'];
const MISSED_TYPES = ['Missed Call', 'Unanswered'];

/**
 * mulberry32: a tiny seeded PRNG giving numbers in [0, 1). Not for secrets; for repeatable
 * test data only.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A version-4-shaped UUID from `random`, so ids repeat with the seed. */
export function seededUuid(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Generates `count` call-log records, deterministically from `seed`, sorted by start time.
 *
 * The mix follows what integrations report: mostly inbound (`Call_Type` 0); missed inbound calls
 * carry duration 0, no recording and an outcome label in `agent_number` (`Customer Missed#+91...`,
 * `Agent Missed#+91...`, `Did Not Process`, `NA`); durations are sometimes numeric strings;
 * customers come from a pool of `+917...` numbers (kept apart from other tests' `98...` phones).
 */
export function generateCalls(options: CallGeneratorOptions): CallLogRecord[] {
  const count = checkCount(options.count, 'count');
  const random = mulberry32(options.seed ?? 1);
  const from = (options.from ?? DEFAULT_FROM).getTime();
  const to = (options.to ?? DEFAULT_TO).getTime();
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) {
    throw new RangeError('The call window needs valid dates with from before to');
  }
  const srNumbers = nonEmpty(options.srNumbers ?? DEFAULT_SR_NUMBERS, 'srNumbers');
  const agents = nonEmpty(options.agentNumbers ?? DEFAULT_AGENT_NUMBERS, 'agentNumbers');
  const poolSize = Math.max(
    1,
    checkCount(options.phonePoolSize ?? Math.ceil(count / 3), 'phonePoolSize'),
  );
  const outboundFraction = fraction(options.outboundFraction ?? 0.1, 'outboundFraction');
  const missedFraction = fraction(options.missedFraction ?? 0.3, 'missedFraction');

  const phoneBase = Math.floor(random() * 1e9);
  const phone = (index: number) =>
    `+917${String((phoneBase + index * PHONE_STEP) % 1e9).padStart(9, '0')}`;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  const calls: { at: number; record: CallLogRecord }[] = [];
  for (let i = 0; i < count; i++) {
    const uuid = seededUuid(random);
    const at = from + Math.floor((random() * (to - from)) / 1000) * 1000;
    const customer = phone(Math.floor(random() * poolSize));
    const sr = pick(srNumbers);
    const agent = pick(agents);
    const outbound = random() < outboundFraction;
    const missed = !outbound && random() < missedFraction;
    const durationAsText = random() < 0.2;
    const recording = `https://sr.knowlarity.com/vr/fetchsound/?callid=${uuid}`;

    let record: CallLogRecord;
    if (missed) {
      const label = pick(['Customer Missed#', 'Agent Missed#', 'Did Not Process', 'NA']);
      record = {
        uuid,
        customer_number: customer,
        agent_number: label.endsWith('#') ? `${label}${agent}` : label,
        knowlarity_number: sr,
        start_time: formatIst(new Date(at)),
        call_duration: durationAsText ? '0' : 0,
        business_call_type: pick(MISSED_TYPES),
        Call_Type: 0,
        call_recording: '',
        destination: '',
      };
    } else {
      const seconds = 5 + Math.floor(random() * 900);
      record = {
        uuid,
        customer_number: customer,
        agent_number: agent,
        knowlarity_number: sr,
        start_time: formatIst(new Date(at)),
        call_duration: durationAsText ? String(seconds) : seconds,
        business_call_type: outbound ? 'Outbound' : pick(ANSWERED_TYPES),
        Call_Type: outbound ? 1 : 0,
        call_recording: recording,
        destination: agent,
      };
    }
    calls.push({ at, record });
  }
  calls.sort((a, b) => a.at - b.at || compare(a.record.uuid, b.record.uuid));
  return calls.map((c) => c.record);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkCount(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer`);
  }
  return value;
}

function fraction(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be between 0 and 1`);
  }
  return value;
}

function nonEmpty(values: string[], name: string): string[] {
  if (values.length === 0) {
    throw new RangeError(`${name} must hold at least one number`);
  }
  return values;
}
