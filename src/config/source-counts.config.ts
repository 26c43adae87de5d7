import { registerAs } from '@nestjs/config';
import { Env, InvalidConfigError, readInt, readString } from './env';

const RECOUNT_AT = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` as minutes after midnight, or null for `off`. */
function recountAt(env: Env): number | null {
  const name = 'SOURCE_COUNTS_RECOUNT_AT';
  const value = readString(env, name, '03:00');
  if (value.toLowerCase() === 'off') return null;
  const match = RECOUNT_AT.exec(value);
  if (!match) throw new InvalidConfigError(name, 'must be a time of day such as 03:00, or off');
  return Number(match[1]) * 60 + Number(match[2]);
}

export function parseSourceCountsConfig(env: Env) {
  return {
    /** How often the leased job folds pending counts and copies them into `sources` (0: off). */
    refreshSeconds: readInt(env, 'SOURCE_COUNTS_REFRESH_SECONDS', 1, { min: 0, max: 3600 }),
    /** When the daily recount runs, in minutes after midnight in BUSINESS_TIMEZONE; null: never. */
    recountAtMinute: recountAt(env),
    /** Rows of each lead table a recount (or first build) batch reads in one transaction. */
    batchRows: readInt(env, 'SOURCE_COUNTS_BATCH_ROWS', 10000, { min: 100, max: 1_000_000 }),
  };
}

export type SourceCountsConfig = ReturnType<typeof parseSourceCountsConfig>;

export const sourceCountsConfig = registerAs('sourceCounts', () =>
  parseSourceCountsConfig(process.env),
);
