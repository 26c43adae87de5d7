import { isDateOrDateTime, parseBoundary } from './dates';

const KOLKATA = 'Asia/Kolkata';

describe('parseBoundary as a filter bound', () => {
  it('reads a plain date as the start of that day in the time zone', () => {
    expect(parseBoundary('2026-03-11', 'from', KOLKATA)).toEqual(new Date('2026-03-10T18:30:00Z'));
  });

  it('reads a plain upper date as the next midnight, across month and year ends', () => {
    expect(parseBoundary('2026-03-10', 'to', KOLKATA)).toEqual(new Date('2026-03-10T18:30:00Z'));
    expect(parseBoundary('2026-02-28', 'to', KOLKATA)).toEqual(new Date('2026-02-28T18:30:00Z'));
    expect(parseBoundary('2026-12-31', 'to', 'UTC')).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it('keeps the instant of a date-time with an offset', () => {
    expect(parseBoundary('2026-03-11T00:00:00+05:30', 'from', KOLKATA)).toEqual(
      new Date('2026-03-10T18:30:00Z'),
    );
    expect(parseBoundary('2026-03-11T10:00:00.250Z', 'to', KOLKATA)).toEqual(
      new Date('2026-03-11T10:00:00.250Z'),
    );
    expect(parseBoundary('2026-03-11T10:00-0400', 'from', KOLKATA)).toEqual(
      new Date('2026-03-11T14:00:00Z'),
    );
  });

  it('reads a + that a query string turned into a space as +', () => {
    expect(parseBoundary('2026-03-11T00:00:00 05:30', 'from', KOLKATA)).toEqual(
      new Date('2026-03-10T18:30:00Z'),
    );
  });

  it('reads a date-time without an offset as a wall time in the time zone, DST included', () => {
    expect(parseBoundary('2026-03-11T00:00:00', 'from', KOLKATA)).toEqual(
      new Date('2026-03-10T18:30:00Z'),
    );
    // New York: EST (-05:00) in January, EDT (-04:00) in July.
    expect(parseBoundary('2026-01-15T09:00', 'from', 'America/New_York')).toEqual(
      new Date('2026-01-15T14:00:00Z'),
    );
    expect(parseBoundary('2026-07-15T09:00', 'from', 'America/New_York')).toEqual(
      new Date('2026-07-15T13:00:00Z'),
    );
    expect(parseBoundary('2026-11-01', 'to', 'America/New_York')).toEqual(
      new Date('2026-11-02T05:00:00Z'),
    );
  });

  it.each([
    'yesterday',
    '2026-02-30',
    '2026-13-01',
    '2026-3-1',
    '20-11-2026',
    '2026-03-11T24:00:00Z',
    '2026-03-11T10:60Z',
    '2026-03-11T10:00:00+15:00',
    '2026-03-11T10:00:00Zjunk',
    '',
  ])('refuses %p', (value) => {
    expect(parseBoundary(value, 'from', KOLKATA)).toBeNull();
    expect(isDateOrDateTime(value)).toBe(false);
  });
});
