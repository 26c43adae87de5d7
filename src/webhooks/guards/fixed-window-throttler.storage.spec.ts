import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe('FixedWindowThrottlerStorage', () => {
  let now: number;
  let storage: FixedWindowThrottlerStorage;
  const hit = (key = 'a', limit = 3) => storage.increment(key, 60_000, limit, 60_000);

  beforeEach(() => {
    now = 1_000_000;
    storage = new FixedWindowThrottlerStorage(() => now);
  });

  it('counts hits in the window and blocks the one over the limit, with the time to wait', () => {
    const records = [hit(), hit(), hit(), hit()];

    expect(records.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(records[2]).toMatchObject({ totalHits: 3, timeToExpire: 60 });
    expect(records[3].timeToBlockExpire).toBe(60);
  });

  it('keeps a blocked key blocked for the block duration, without counting', () => {
    for (let i = 0; i < 4; i++) hit();
    now += 30_000;

    const blocked = hit();

    expect(blocked).toMatchObject({ isBlocked: true, totalHits: 4, timeToBlockExpire: 30 });
  });

  it('starts a new window when the window or the block is over', () => {
    hit();
    hit();
    now += 60_000;
    expect(hit()).toMatchObject({ totalHits: 1, isBlocked: false });

    for (let i = 0; i < 3; i++) hit();
    now += 60_000;
    expect(hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps keys apart and forgets idle ones', () => {
    for (let i = 0; i < 4; i++) hit('a');
    expect(hit('b')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(storage.size).toBe(2);

    now += 120_000;
    hit('c');

    expect(storage.size).toBe(1);
  });
});
