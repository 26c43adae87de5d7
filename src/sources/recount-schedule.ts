import { formatInZone, parseKnowlarityTime } from '../knowlarity/times';

const DAY_MS = 86_400_000;

/**
 * The latest instant at or before `now` when the daily recount was scheduled: `atMinute`
 * minutes after midnight on a calendar day in `timezone`.
 */
export function lastScheduledRecount(now: Date, atMinute: number, timezone: string): Date {
  const clock = `${String(Math.floor(atMinute / 60)).padStart(2, '0')}:${String(atMinute % 60).padStart(2, '0')}:00`;
  const today = formatInZone(now, timezone).slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
  for (const day of [today, yesterday]) {
    const at = parseKnowlarityTime(`${day} ${clock}`, timezone);
    if (at && at.getTime() <= now.getTime()) return at;
  }
  return new Date(now.getTime() - DAY_MS);
}

/** Whether the daily recount is due: none has finished since the last scheduled instant. */
export function isRecountDue(
  now: Date,
  lastFinishedAt: Date | null,
  atMinute: number | null,
  timezone: string,
): boolean {
  if (atMinute === null) return false;
  if (lastFinishedAt === null) return true;
  return lastFinishedAt.getTime() < lastScheduledRecount(now, atMinute, timezone).getTime();
}
