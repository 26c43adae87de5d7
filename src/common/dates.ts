import { ValidateBy, ValidationOptions } from 'class-validator';
import { formatInZone, parseKnowlarityTime } from '../knowlarity/times';

const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;
// A space where the offset's sign belongs is a `+` that a query string decoded to a space.
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+\- ]\d{2}(:?\d{2})?)?$/;

/**
 * Reads a window or filter boundary: an ISO 8601 date-time as given (without an offset: a wall
 * time in `timezone`), or a plain date in `timezone` — its start for `from`, and for `to` the
 * start of the next day (exclusive), so `--to 2026-11-20` includes the whole of the 20th. Null
 * when it does not parse. Built on the normaliser's time parser: one notion of time everywhere.
 */
export function parseBoundary(value: string, edge: 'from' | 'to', timezone: string): Date | null {
  const text = value.trim();
  if (PLAIN_DATE.test(text)) {
    const start = parseKnowlarityTime(`${text} 00:00:00`, timezone);
    if (!start || formatInZone(start, timezone).slice(0, 10) !== text) return null;
    return edge === 'from' ? start : startOfNextDay(start, timezone);
  }
  if (!ISO_DATE_TIME.test(text)) return null;
  return parseKnowlarityTime(text.replace(/^(.{10})[t]/, '$1T').replace(/z$/, 'Z'), timezone);
}

/** For optional, already validated filters: the boundary, or undefined when absent. */
export function optionalBoundary(
  value: string | undefined,
  edge: 'from' | 'to',
  timezone: string,
): Date | undefined {
  return value === undefined ? undefined : (parseBoundary(value, edge, timezone) ?? undefined);
}

/** True for the values {@link parseBoundary} reads (whatever the time zone). */
export function isDateOrDateTime(value: unknown): boolean {
  return typeof value === 'string' && parseBoundary(value, 'from', 'UTC') !== null;
}

/** Validates a date or ISO date-time filter; the message names the field, never the value. */
export function IsDateOrDateTime(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDateOrDateTime',
      validator: {
        validate: isDateOrDateTime,
        defaultMessage: (args) =>
          `${args?.property} must be a date (YYYY-MM-DD) or an ISO 8601 date-time`,
      },
    },
    options,
  );
}

/** Midnight at the start of `instant`'s calendar day in `timezone`. */
export function startOfDay(instant: Date, timezone: string): Date {
  const day = formatInZone(instant, timezone).slice(0, 10);
  return parseKnowlarityTime(`${day} 00:00:00`, timezone)!;
}

function startOfNextDay(dayStart: Date, timezone: string): Date {
  // 26 hours later is always inside the next calendar day, whatever the zone's DST rules.
  return startOfDay(new Date(dayStart.getTime() + 26 * 3600_000), timezone);
}
