import { ValidateBy, ValidationOptions } from 'class-validator';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// A space where the offset's sign belongs is a `+` that the query string decoded to a space.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+\- ]\d{2}(?::?\d{2})?)?$/;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

interface ParsedBound {
  wall: WallTime;
  dateOnly: boolean;
  /** Minutes east of UTC when the value carries an offset. */
  offsetMinutes: number | null;
}

/**
 * Reads a filter bound: a plain date (`2026-11-20`) or an ISO 8601 date-time. Plain dates and
 * date-times without an offset are wall times in `timeZone` (the business's). A plain date as
 * the lower bound is the start of that day; as the upper bound it is the end of that day, i.e.
 * the next midnight, which the look-ups treat as exclusive. Returns null for anything else.
 */
export function parseTimeBound(value: string, timeZone: string, edge: 'from' | 'to'): Date | null {
  const parsed = parseBound(value);
  if (!parsed) return null;
  const { wall, dateOnly, offsetMinutes } = parsed;
  if (dateOnly && edge === 'to') {
    const next = utcMillis({ ...wall, day: wall.day + 1 });
    const date = new Date(next);
    return new Date(
      zonedToInstant(
        {
          ...wall,
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
        },
        timeZone,
      ),
    );
  }
  if (offsetMinutes !== null) return new Date(utcMillis(wall) - offsetMinutes * 60_000);
  return new Date(zonedToInstant(wall, timeZone));
}

/** True for the values parseTimeBound reads. */
export function isTimeBound(value: unknown): boolean {
  return typeof value === 'string' && parseBound(value) !== null;
}

/**
 * Validates a date or ISO date-time filter; the message names the field, never the value.
 */
export function IsDateOrDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateOrDateTime',
      validator: {
        validate: isTimeBound,
        defaultMessage: (args) =>
          `${args?.property} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`,
      },
    },
    options,
  );
}

function parseBound(value: string): ParsedBound | null {
  if (value.length > 40) return null;
  const date = DATE.exec(value);
  const dateTime = date ? null : DATE_TIME.exec(value);
  const match = date ?? dateTime;
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = match;
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
    millisecond: Number(fraction.padEnd(3, '0').slice(0, 3)),
  };
  if (!isValidWallTime(wall)) return null;
  const offsetMinutes = offset === undefined ? null : parseOffset(offset);
  if (offsetMinutes === undefined) return null;
  return { wall, dateOnly: date !== null, offsetMinutes };
}

function parseOffset(offset: string): number | null | undefined {
  if (offset === 'Z' || offset === 'z') return 0;
  const sign = offset[0] === '-' ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 14 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

function isValidWallTime(wall: WallTime): boolean {
  if (wall.year < 1 || wall.month < 1 || wall.month > 12 || wall.day < 1) return false;
  if (wall.hour > 23 || wall.minute > 59 || wall.second > 59) return false;
  const date = new Date(utcMillis(wall));
  return date.getUTCMonth() + 1 === wall.month && date.getUTCDate() === wall.day;
}

/** The wall time read as UTC (Date.UTC would map years 0–99 to 1900–1999). */
function utcMillis(wall: WallTime): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date.getTime();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function zoneOffset(instant: number, timeZone: string): number {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]),
  );
  const year = Number(parts.year);
  const wall = utcMillis({
    year: parts.era === 'BC' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: 0,
  });
  return wall - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which `timeZone`'s clock shows `wall`. Two passes settle the offset that applies
 * at that instant; a wall time skipped by a DST jump lands just after the jump.
 */
function zonedToInstant(wall: WallTime, timeZone: string): number {
  const asUtc = utcMillis(wall);
  const first = asUtc - zoneOffset(asUtc, timeZone);
  return asUtc - zoneOffset(first, timeZone);
}
