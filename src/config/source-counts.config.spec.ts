import { parseSourceCountsConfig } from './source-counts.config';

describe('source counts configuration', () => {
  it('refreshes every second and recounts at 03:00 by default', () => {
    expect(parseSourceCountsConfig({})).toEqual({
      refreshSeconds: 1,
      recountAtMinute: 180,
      batchRows: 10000,
    });
  });

  it('reads a recount time of day, or off', () => {
    expect(parseSourceCountsConfig({ SOURCE_COUNTS_RECOUNT_AT: '23:45' }).recountAtMinute).toBe(
      23 * 60 + 45,
    );
    expect(parseSourceCountsConfig({ SOURCE_COUNTS_RECOUNT_AT: 'off' }).recountAtMinute).toBeNull();
  });

  it('refuses a bad value, naming the variable', () => {
    expect(() => parseSourceCountsConfig({ SOURCE_COUNTS_RECOUNT_AT: '3am' })).toThrow(
      /SOURCE_COUNTS_RECOUNT_AT/,
    );
    expect(() => parseSourceCountsConfig({ SOURCE_COUNTS_BATCH_ROWS: '5' })).toThrow(
      /SOURCE_COUNTS_BATCH_ROWS/,
    );
    expect(() => parseSourceCountsConfig({ SOURCE_COUNTS_REFRESH_SECONDS: '-1' })).toThrow(
      /SOURCE_COUNTS_REFRESH_SECONDS/,
    );
  });
});
