import { decodePercentEncoding, textOf } from './values';

/** Knowlarity reads times without an offset as IST (docs/knowlarity.md §1, §5). */
export const DEFAULT_TIMEZONE = 'Asia/Kolkata';

/**
 * `YYYY-MM-DD`, optionally a time (`T` or space separator, optional seconds and fraction of any
 * precision), optionally an offset: `Z`, `UTC`, `GMT`, `±HH`, `±HHMM`, `±HH:MM`, or ` HH:MM`
 * where a form or query decoder has turned an unencoded `+` into a space.
 */
const DATE_TIME =
  /^(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(\s*)(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?|\d{2}:?\d{2})?$/i;
const DATE_ONLY = /^\d{4}([-/])\d{1,2}\1\d{1,2}$/;
const CLOCK_START = /^\d{1,2}:\d{2}/;
const EPOCH = /^\d+(?:\.\d+)?$/;
/** Below this an epoch number is read as seconds, above as milliseconds (1e11 s is year 5138). */
const EPOCH_SECONDS_LIMIT = 1e11;
/** Epoch values outside these years are placeholders or unrelated numbers, not call times. */
const EPOCH_MIN_YEAR = 2000;
const EPOCH_MAX_YEAR = 2100;

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Parses a time as Knowlarity sends it: `2026-11-20 11:11:21+05:30`, `...+0530`, `...Z`, a `T`
 * separator, fractional seconds down to microseconds (truncated to milliseconds), a naive time
 * (read in `timezone`), or an epoch in seconds or milliseconds as a number or numeric string.
 * Percent-encoded strings are decoded first. Returns null for anything else, including
 * impossible dates such as `0000-00-00 00:00:00`.
 *
 * @throws RangeError when `timezone` is not an IANA time zone (a configuration error).
 */
export function parseKnowlarityTime(value: unknown, timezone = DEFAULT_TIMEZONE): Date | null {
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : new Date(value.getTime());
  }
  if (typeof value === 'number') {
    return fromEpoch(value);
  }
  const raw = textOf(value);
  if (raw === null) {
    return null;
  }
  const text = decodePercentEncoding(raw).trim();
  if (EPOCH.test(text)) {
    return fromEpoch(Number(text));
  }

  const match = DATE_TIME.exec(text);
  if (!match) {
    return null;
  }
  const [, y, , mo, d, h, mi, s, fraction, gap, offsetText] = match;
  const hasTime = h !== undefined;
  const fields = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: hasTime ? Number(h) : 0,
    minute: hasTime ? Number(mi) : 0,
    second: s === undefined ? 0 : Number(s),
    millisecond: fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')),
  };
  if (!isValidWallClock(fields)) {
    return null;
  }
  const wallClock = Date.UTC(
    fields.year,
    fields.month - 1,
    fields.day,
    fields.hour,
    fields.minute,
    fields.second,
    fields.millisecond,
  );

  if (offsetText === undefined) {
    return new Date(zonedWallClockToUtc(wallClock, timezone));
  }
  const offset = parseOffsetMinutes(offsetText, gap !== '', hasTime);
  return offset === null ? null : new Date(wallClock - offset * 60_000);
}

/**
 * Joins a log-push `call_date` (`YYYY-MM-DD`) and `call_time` (`HH:mm[:ss]`, optionally with an
 * offset) and parses them like {@link parseKnowlarityTime}. A `call_date` that already holds a
 * time is accepted without `call_time`; a date alone gives null, since midnight would be a
 * made-up start.
 */
export function combineDateAndTime(
  date: unknown,
  time: unknown,
  timezone = DEFAULT_TIMEZONE,
): Date | null {
  const day = textOf(date);
  if (day === null) {
    return null;
  }
  const clock = textOf(time);
  if (clock === null) {
    return DATE_ONLY.test(day) ? null : parseKnowlarityTime(day, timezone);
  }
  if (!DATE_ONLY.test(day) || !CLOCK_START.test(clock)) {
    return null;
  }
  return parseKnowlarityTime(`${day} ${clock}`, timezone);
}

/**
 * Formats an instant as `YYYY-MM-DD HH:MM:SS+05:30` in `timezone`, with that zone's offset at
 * that instant: the format the call-log API expects. Milliseconds are dropped.
 *
 * @throws RangeError for an invalid date or time zone.
 */
export function formatInZone(date: Date, timezone: string): string {
  const time = date.getTime();
  if (Number.isNaN(time)) {
    throw new RangeError('Cannot format an invalid date');
  }
  const offset = zoneOffsetMinutes(date, timezone);
  const local = new Date(Math.floor(time / 1000) * 1000 + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const absolute = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`
  );
}

/** {@link formatInZone} in IST, e.g. `2026-11-20 11:11:21+05:30`. */
export function formatIst(date: Date): string {
  return formatInZone(date, DEFAULT_TIMEZONE);
}

/**
 * The offset of `timezone` from UTC at `instant`, in minutes (330 for Asia/Kolkata), read from
 * the platform's time-zone database through `Intl.DateTimeFormat`.
 *
 * @throws RangeError when `timezone` is not an IANA time zone.
 */
export function zoneOffsetMinutes(instant: Date, timezone: string): number {
  // Offsets change only at transitions, which since the 1970s fall on quarter hours (every
  // zone's offset is a whole number of quarter hours). An offset that holds at both ends of a
  // quarter hour holds throughout it, so it is remembered: Intl's formatToParts is about 2% of
  // the service's CPU per webhook otherwise. A quarter hour with a transition in it is never
  // remembered, and the memory is bounded whatever times a client sends.
  const block = Math.floor(instant.getTime() / QUARTER_HOUR_MS);
  const key = `${timezone} ${block}`;
  const known = offsetsByQuarterHour.get(key);
  if (known !== undefined) return known;
  const offset = offsetAt(instant.getTime(), timezone);
  if (
    Number.isFinite(block) &&
    offsetAt((block + 1) * QUARTER_HOUR_MS - 1000, timezone) === offset
  ) {
    if (offsetsByQuarterHour.size >= MAX_REMEMBERED_OFFSETS) offsetsByQuarterHour.clear();
    if (offsetAt(block * QUARTER_HOUR_MS, timezone) === offset)
      offsetsByQuarterHour.set(key, offset);
  }
  return offset;
}

const QUARTER_HOUR_MS = 15 * 60_000;
const MAX_REMEMBERED_OFFSETS = 4096;
const offsetsByQuarterHour = new Map<string, number>();

function offsetAt(time: number, timezone: string): number {
  const wholeSecond = Math.floor(time / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timezone).formatToParts(new Date(wholeSecond))) {
    if (part.type !== 'literal') {
      parts[part.type] = Number(part.value);
    }
  }
  const asUtc = Date.UTC(
    parts.year,
    parts.month - 1,
    parts.day,
    parts.hour % 24,
    parts.minute,
    parts.second,
  );
  return Math.round((asUtc - wholeSecond) / 60_000);
}

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * The UTC instant at which the wall clock in `timezone` shows `wallClock` (given as if it were
 * UTC). A wall time repeated by a DST change resolves to the earlier instant; one skipped by a
 * DST gap to the instant the gap's length later (both as Temporal's "compatible" choice).
 */
function zonedWallClockToUtc(wallClock: number, timezone: string): number {
  const firstOffset = zoneOffsetMinutes(new Date(wallClock), timezone);
  const firstGuess = wallClock - firstOffset * 60_000;
  const secondOffset = zoneOffsetMinutes(new Date(firstGuess), timezone);
  if (secondOffset === firstOffset) {
    return firstGuess;
  }
  const secondGuess = wallClock - secondOffset * 60_000;
  if (zoneOffsetMinutes(new Date(secondGuess), timezone) === secondOffset) {
    return secondGuess;
  }
  return Math.max(firstGuess, secondGuess);
}

function parseOffsetMinutes(text: string, spaced: boolean, hasTime: boolean): number | null {
  const upper = text.toUpperCase();
  if (upper === 'Z' || upper === 'UTC' || upper === 'GMT') {
    return 0;
  }
  let sign = 1;
  let digits = text;
  if (text[0] === '+' || text[0] === '-') {
    sign = text[0] === '-' ? -1 : 1;
    digits = text.slice(1);
  } else if (!spaced || !hasTime) {
    return null; // bare digits count as a `+` offset only after a time and a space
  }
  const match = /^(\d{2}):?(\d{2})?$/.exec(digits);
  if (!match) {
    return null;
  }
  const hours = Number(match[1]);
  const minutes = match[2] === undefined ? 0 : Number(match[2]);
  if (hours > 14 || minutes > 59) {
    return null;
  }
  return sign * (hours * 60 + minutes);
}

function isValidWallClock(f: {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}): boolean {
  if (f.year < 1000 || f.month < 1 || f.month > 12 || f.day < 1) {
    return false;
  }
  return f.day <= daysInMonth(f.year, f.month) && f.hour <= 23 && f.minute <= 59 && f.second <= 59;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year`, Gregorian, without a Date per parsed time. */
function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

function fromEpoch(value: number): Date | null {
  if (!Number.isFinite(value) || value <= 0) {
    return null;
  }
  const millis = Math.round(value < EPOCH_SECONDS_LIMIT ? value * 1000 : value);
  const date = new Date(millis);
  const year = date.getUTCFullYear();
  return year >= EPOCH_MIN_YEAR && year <= EPOCH_MAX_YEAR ? date : null;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}
