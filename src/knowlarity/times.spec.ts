import {
  combineDateAndTime,
  DEFAULT_TIMEZONE,
  formatInZone,
  formatIst,
  parseKnowlarityTime,
  zoneOffsetMinutes,
} from './times';

/** The ISO string of a parse, or null; keeps the assertions about exact UTC instants short. */
function iso(value: unknown, timezone?: string): string | null {
  return parseKnowlarityTime(value, timezone)?.toISOString() ?? null;
}

describe('parseKnowlarityTime', () => {
  it('defaults to IST', () => {
    expect(DEFAULT_TIMEZONE).toBe('Asia/Kolkata');
  });

  it.each([
    ['+05:30 (call-log format)', '2026-11-20 11:11:21+05:30', '2026-11-20T05:41:21.000Z'],
    ['+0530', '2026-11-20 11:11:21+0530', '2026-11-20T05:41:21.000Z'],
    ['+05', '2026-11-20 11:11:21+05', '2026-11-20T06:11:21.000Z'],
    ['a space before the offset', '2026-11-20 11:11:21 +05:30', '2026-11-20T05:41:21.000Z'],
    ['+00:00', '2026-11-20 05:41:21+00:00', '2026-11-20T05:41:21.000Z'],
    ['Z', '2026-11-20T05:41:21Z', '2026-11-20T05:41:21.000Z'],
    ['lower-case z', '2026-11-20t05:41:21z', '2026-11-20T05:41:21.000Z'],
    ['UTC', '2026-11-20 05:41:21 UTC', '2026-11-20T05:41:21.000Z'],
    ['a negative offset', '2026-11-20 11:11:21-03:00', '2026-11-20T14:11:21.000Z'],
    ['T separator', '2026-11-20T11:11:21+05:30', '2026-11-20T05:41:21.000Z'],
    ['microseconds (classic hook)', '2026-11-20 03:49:27.391601+00:00', '2026-11-20T03:49:27.391Z'],
    ['microseconds with +05:30', '2026-11-20 09:19:34.667036+05:30', '2026-11-20T03:49:34.667Z'],
    ['one fractional digit', '2026-11-20T11:11:21.5+05:30', '2026-11-20T05:41:21.500Z'],
    ['no seconds', '2026-11-20 11:11+05:30', '2026-11-20T05:41:00.000Z'],
    ['a + a query decoder made a space', '2026-11-20 11:11:21 05:30', '2026-11-20T05:41:21.000Z'],
    ['percent-encoding', '2026-11-20%2011%3A11%3A21%2B05%3A30', '2026-11-20T05:41:21.000Z'],
    ['a naive time, space separator', '2026-11-20 11:11:21', '2026-11-20T05:41:21.000Z'],
    ['a naive time, T separator', '2026-11-20T11:11:21', '2026-11-20T05:41:21.000Z'],
    ['a naive time, fractional seconds', '2026-11-20 11:11:21.250', '2026-11-20T05:41:21.250Z'],
    ['a naive time, slashes', '2026/11/20 11:11:21', '2026-11-20T05:41:21.000Z'],
    ['a date alone (midnight IST)', '2026-11-20', '2026-11-19T18:30:00.000Z'],
    ['a naive time at 2 am (UTC day before)', '2026-11-20 02:00:00', '2026-11-19T20:30:00.000Z'],
    ['epoch seconds', 1795153281, '2026-11-20T05:41:21.000Z'],
    ['epoch fractional seconds', 1795153281.391, '2026-11-20T05:41:21.391Z'],
    ['epoch milliseconds', 1795153281391, '2026-11-20T05:41:21.391Z'],
    ['epoch seconds as a string', '1795153281', '2026-11-20T05:41:21.000Z'],
    ['epoch milliseconds as a string', ' 1795153281000 ', '2026-11-20T05:41:21.000Z'],
  ])('reads %s', (_form, input, expected) => {
    expect(iso(input)).toBe(expected);
  });

  it('ignores the timezone argument when the offset is explicit', () => {
    expect(iso('2026-11-20 11:11:21+05:30', 'America/New_York')).toBe('2026-11-20T05:41:21.000Z');
  });

  it.each([
    ['UTC', 'UTC', '2026-11-20 11:11:21', '2026-11-20T11:11:21.000Z'],
    ['+05:45', 'Asia/Kathmandu', '2026-11-20 11:11:21', '2026-11-20T05:26:21.000Z'],
    ['winter', 'America/New_York', '2026-01-15 12:00:00', '2026-01-15T17:00:00.000Z'],
    ['summer', 'America/New_York', '2026-07-01 12:00:00', '2026-07-01T16:00:00.000Z'],
    ['DST gap', 'America/New_York', '2026-03-08 02:30:00', '2026-03-08T07:30:00.000Z'],
    ['DST overlap', 'America/New_York', '2026-11-01 01:30:00', '2026-11-01T05:30:00.000Z'],
    ['after DST starts', 'America/New_York', '2026-03-08 05:00:00', '2026-03-08T09:00:00.000Z'],
  ])('reads a naive time in the given zone (%s, %s)', (_case, zone, input, expected) => {
    expect(iso(input, zone)).toBe(expected);
  });

  it('throws RangeError for an unknown zone', () => {
    expect(() => parseKnowlarityTime('2026-11-20 11:11:21', 'Mars/Olympus_Mons')).toThrow(
      RangeError,
    );
  });

  it('copies a valid Date and rejects an invalid one', () => {
    const date = new Date('2026-11-20T05:41:21.000Z');

    const parsed = parseKnowlarityTime(date);

    expect(parsed).not.toBe(date);
    expect(parsed?.toISOString()).toBe('2026-11-20T05:41:21.000Z');
    expect(parseKnowlarityTime(new Date(Number.NaN))).toBeNull();
  });

  it.each([
    ['zero', 0],
    ['a negative number', -5],
    ['a duration-sized number', 293],
    ['a compact date read as an epoch (1970)', '20261120'],
    ['an epoch of a year beyond 2100', 5_000_000_000],
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['garbage', 'yesterday'],
    ['an empty string', ''],
    ['None', 'None'],
    ['null as a string', 'null'],
    ['a MySQL zero date', '0000-00-00 00:00:00'],
    ['30 February', '2026-02-30 10:00:00'],
    ['hour 24', '2026-11-20 24:00:00'],
    ['minute 61', '2026-11-20 11:61:00'],
    ['second 60', '2026-11-20 11:11:60'],
    ['an offset beyond 14 hours', '2026-11-20 11:11:21+15:00'],
    ['an offset with 60 minutes', '2026-11-20 11:11:21+05:60'],
    ['a bare offset without a time', '2026-11-20 0530'],
    ['a bare offset without a space', '2026-11-20 11:11:2105:30'],
    ['trailing text', '2026-11-20 11:11:21+05:30 extra'],
    ['a day-first date', '20-11-2026 11:11:21'],
    ['mixed date separators', '2026-11/20 11:11:21'],
    ['a year before 1000', '0999-01-01 00:00:00'],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', {}],
    ['an array', ['2026-11-20 11:11:21+05:30']],
  ])('rejects %s', (_name, input) => {
    expect(parseKnowlarityTime(input)).toBeNull();
  });
});

describe('combineDateAndTime', () => {
  it('joins call_date and call_time read as IST (log push)', () => {
    expect(combineDateAndTime('2026-11-20', '14:32:05')?.toISOString()).toBe(
      '2026-11-20T09:02:05.000Z',
    );
  });

  it('accepts a time without seconds and surrounding whitespace', () => {
    expect(combineDateAndTime(' 2026-11-20 ', ' 14:32 ')?.toISOString()).toBe(
      '2026-11-20T09:02:00.000Z',
    );
  });

  it('reads the pair in the given zone', () => {
    expect(combineDateAndTime('2026-11-20', '14:32:05', 'UTC')?.toISOString()).toBe(
      '2026-11-20T14:32:05.000Z',
    );
  });

  it('honours an offset carried by call_time', () => {
    expect(combineDateAndTime('2026-11-20', '14:32:05+00:00')?.toISOString()).toBe(
      '2026-11-20T14:32:05.000Z',
    );
  });

  it('accepts a call_date that already holds the time', () => {
    expect(combineDateAndTime('2026-11-20 14:32:05', null)?.toISOString()).toBe(
      '2026-11-20T09:02:05.000Z',
    );
  });

  it.each([
    ['no date', null, '14:32:05'],
    ['a date without a time', '2026-11-20', null],
    ['a date with an empty time', '2026-11-20', ''],
    ['a date with None as time', '2026-11-20', 'None'],
    ['a garbage date', 'today', '14:32:05'],
    ['a garbage time', '2026-11-20', '2pm'],
    ['a date holding a time plus a time', '2026-11-20 10:00:00', '14:32:05'],
    ['an impossible time', '2026-11-20', '25:00:00'],
  ])('gives null for %s', (_name, date, time) => {
    expect(combineDateAndTime(date, time)).toBeNull();
  });
});

describe('formatInZone and formatIst', () => {
  it('formats in IST for the call-log API, dropping milliseconds', () => {
    expect(formatIst(new Date('2026-11-20T05:41:21.999Z'))).toBe('2026-11-20 11:11:21+05:30');
  });

  it('moves to the next IST day when needed', () => {
    expect(formatIst(new Date('2026-11-20T20:00:00.000Z'))).toBe('2026-11-21 01:30:00+05:30');
  });

  it.each([
    ['UTC', '2026-11-20 05:41:21+00:00'],
    ['Asia/Kathmandu', '2026-11-20 11:26:21+05:45'],
    ['America/New_York', '2026-11-20 00:41:21-05:00'],
    ['America/St_Johns', '2026-11-20 02:11:21-03:30'],
  ])('uses the offset of %s', (zone, expected) => {
    expect(formatInZone(new Date('2026-11-20T05:41:21.000Z'), zone)).toBe(expected);
  });

  it('uses the offset in force at the instant (DST)', () => {
    expect(formatInZone(new Date('2026-07-01T16:00:00.000Z'), 'America/New_York')).toBe(
      '2026-07-01 12:00:00-04:00',
    );
  });

  it('round-trips through parseKnowlarityTime', () => {
    const instant = new Date('2026-11-20T05:41:21.000Z');

    expect(parseKnowlarityTime(formatIst(instant))?.getTime()).toBe(instant.getTime());
  });

  it('throws RangeError for an invalid date', () => {
    expect(() => formatIst(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('zoneOffsetMinutes', () => {
  it('reads offsets from the time-zone database', () => {
    const instant = new Date('2026-11-20T05:41:21.000Z');

    expect(zoneOffsetMinutes(instant, 'Asia/Kolkata')).toBe(330);
    expect(zoneOffsetMinutes(instant, 'UTC')).toBe(0);
    expect(zoneOffsetMinutes(instant, 'America/New_York')).toBe(-300);
  });
});
