import { formatInZone, parseKnowlarityTime } from '../knowlarity/times';

const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** True for what {@link parseBoundary} accepts: an ISO date-time or a plain date. */
export function isDateOrDateTime(value: string): boolean {
  return PLAIN_DATE.test(value) || ISO_DATE_TIME.test(value);
}

/**
 * Reads a window boundary: an ISO date-time as given (naive ones in `timezone`), or a plain date
 * in `timezone` — its start for `from`, and for `to` the start of the next day, so
 * `--to 2026-11-20` includes the whole of the 20th. Null when it does not parse.
 */
export function parseBoundary(value: string, edge: 'from' | 'to', timezone: string): Date | null {
  const text = value.trim();
  if (PLAIN_DATE.test(text)) {
    const start = parseKnowlarityTime(`${text} 00:00:00`, timezone);
    if (!start || formatInZone(start, timezone).slice(0, 10) !== text) return null;
    return edge === 'from' ? start : startOfNextDay(start, timezone);
  }
  return ISO_DATE_TIME.test(text) ? parseKnowlarityTime(text, timezone) : null;
}

function startOfNextDay(dayStart: Date, timezone: string): Date {
  // 26 hours later is always inside the next calendar day, whatever the zone's DST rules.
  const nextDay = formatInZone(new Date(dayStart.getTime() + 26 * 3600_000), timezone).slice(0, 10);
  return parseKnowlarityTime(`${nextDay} 00:00:00`, timezone)!;
}
