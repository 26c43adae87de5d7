import { isRecountDue, lastScheduledRecount } from './recount-schedule';

const ZONE = 'Asia/Kolkata';
const THREE_AM = 3 * 60;

describe('the daily recount schedule', () => {
  it('is 03:00 in the business time zone: today once passed, else yesterday', () => {
    // 03:00 IST is 21:30Z the day before.
    expect(lastScheduledRecount(new Date('2026-11-20T22:00:00Z'), THREE_AM, ZONE)).toEqual(
      new Date('2026-11-20T21:30:00Z'),
    );
    expect(lastScheduledRecount(new Date('2026-11-20T21:29:59Z'), THREE_AM, ZONE)).toEqual(
      new Date('2026-11-19T21:30:00Z'),
    );
  });

  it('is due when no recount finished since the last scheduled time, and never when off', () => {
    const now = new Date('2026-11-20T22:00:00Z');

    expect(isRecountDue(now, null, THREE_AM, ZONE)).toBe(true);
    expect(isRecountDue(now, new Date('2026-11-20T21:00:00Z'), THREE_AM, ZONE)).toBe(true);
    expect(isRecountDue(now, new Date('2026-11-20T21:31:00Z'), THREE_AM, ZONE)).toBe(false);
    expect(isRecountDue(now, null, null, ZONE)).toBe(false);
  });
});
