import { registerAs } from '@nestjs/config';
import { DEFAULT_TIMEZONE, parseKnowlarityTime } from '../knowlarity/times';
import { Env, InvalidConfigError, readBoolean, readInt, readString, readTimeZone } from './env';

export function parsePollingConfig(env: Env) {
  const start = readString(env, 'KNOWLARITY_POLL_START');
  const pollStart =
    start === undefined
      ? null
      : parseKnowlarityTime(start, readTimeZone(env, 'BUSINESS_TIMEZONE', DEFAULT_TIMEZONE));
  if (start !== undefined && !pollStart) {
    throw new InvalidConfigError(
      'KNOWLARITY_POLL_START',
      'must be a date-time such as 2026-11-01 00:00:00+05:30',
    );
  }
  return {
    enabled: readBoolean(env, 'KNOWLARITY_POLL_ENABLED', true),
    intervalSeconds: readInt(env, 'KNOWLARITY_POLL_INTERVAL_SECONDS', 30, { min: 5, max: 86400 }),
    overlapSeconds: readInt(env, 'KNOWLARITY_POLL_OVERLAP_SECONDS', 900, {
      min: 0,
      max: 7 * 86400,
    }),
    /** Where the very first poll starts; null means the start of today in BUSINESS_TIMEZONE. */
    pollStart,
    /** How long a poller's lease outlives a silent instance; 0 derives it from the timeouts. */
    leaseSeconds: readInt(env, 'KNOWLARITY_LEASE_SECONDS', 0, { min: 0, max: 3600 }),
    backfillChunkMinutes: readInt(env, 'KNOWLARITY_BACKFILL_CHUNK_MINUTES', 60, {
      min: 1,
      max: 7 * 1440,
    }),
  };
}

export type PollingConfig = ReturnType<typeof parsePollingConfig>;

export const pollingConfig = registerAs('polling', () => parsePollingConfig(process.env));
