import { parseBoundary } from './dates';

describe('parseBoundary', () => {
  it('reads plain dates as IST days, `to` being the next midnight', () => {
    expect(parseBoundary('2026-11-20', 'from', 'Asia/Kolkata')?.toISOString()).toBe(
      '2026-11-19T18:30:00.000Z',
    );
    expect(parseBoundary('2026-11-20', 'to', 'Asia/Kolkata')?.toISOString()).toBe(
      '2026-11-20T18:30:00.000Z',
    );
  });

  it('reads date-times with their offset, and naive ones in the zone', () => {
    expect(parseBoundary('2026-11-20T10:00:00Z', 'from', 'Asia/Kolkata')?.toISOString()).toBe(
      '2026-11-20T10:00:00.000Z',
    );
    expect(parseBoundary('2026-11-20T10:00:00', 'to', 'Asia/Kolkata')?.toISOString()).toBe(
      '2026-11-20T04:30:00.000Z',
    );
  });

  it.each(['2026-13-01', '2026-02-30', 'yesterday', '20261120', ''])('rejects %p', (value) => {
    expect(parseBoundary(value, 'from', 'Asia/Kolkata')).toBeNull();
  });
});
