import { CoalescedReads } from './coalesced-reads';

/**
 * A store with a committed version and reads that take its snapshot when they start, then
 * answer when the spec says so: what a database does with a statement's snapshot.
 */
class SlowStore {
  version = 0;
  started = 0;
  private readonly pending: (() => void)[] = [];

  commit(): number {
    this.version += 1;
    return this.version;
  }

  read = (): Promise<number> => {
    this.started += 1;
    const snapshot = this.version;
    return new Promise((resolve) => this.pending.push(() => resolve(snapshot)));
  };

  failingRead = (): Promise<number> => {
    this.started += 1;
    return new Promise((_resolve, reject) =>
      this.pending.push(() => reject(new Error('connection lost'))),
    );
  };

  /** Ends the oldest read in progress, then lets the promise callbacks run. */
  async finishOne(): Promise<void> {
    this.pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('CoalescedReads', () => {
  it('reads arriving during a run share one next run, never the run already started', async () => {
    const store = new SlowStore();
    const reads = new CoalescedReads<number>();

    const first = reads.read('list', store.read);
    const committed = store.commit();
    const waiting = [1, 2, 3].map(() => reads.read('list', store.read));

    expect(store.started).toBe(1);
    await store.finishOne();
    expect(await first).toBe(0);
    expect(store.started).toBe(2);
    await store.finishOne();
    expect(await Promise.all(waiting)).toEqual([committed, committed, committed]);
    expect(store.started).toBe(2);
    expect(reads.running).toBe(0);
  });

  it('always answers a read with every write committed before it arrived', async () => {
    const store = new SlowStore();
    const reads = new CoalescedReads<number>();
    const answers: Promise<{ committedBefore: number; seen: number }>[] = [];

    // Writes and reads interleaved in every order, runs ending at random points in between.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let step = 0; step < 500; step += 1) {
      const dice = random();
      if (dice < 0.3) store.commit();
      else if (dice < 0.5) await store.finishOne();
      else {
        const committedBefore = store.version;
        answers.push(reads.read('list', store.read).then((seen) => ({ committedBefore, seen })));
      }
    }
    while (reads.running > 0) await store.finishOne();

    const settled = await Promise.all(answers);
    expect(settled.length).toBeGreaterThan(100);
    for (const { committedBefore, seen } of settled)
      expect(seen).toBeGreaterThanOrEqual(committedBefore);
    expect(store.started).toBeLessThan(settled.length);
  });

  it('keeps keys apart', async () => {
    const store = new SlowStore();
    const reads = new CoalescedReads<number>();

    const one = reads.read('source 1', store.read);
    const two = reads.read('source 2', store.read);

    expect(store.started).toBe(2);
    await store.finishOne();
    await store.finishOne();
    expect(await Promise.all([one, two])).toEqual([0, 0]);
  });

  it('fails every read sharing a failed run, and the next read runs again', async () => {
    const store = new SlowStore();
    const reads = new CoalescedReads<number>();

    const first = reads.read('list', store.read);
    const shared = [reads.read('list', store.failingRead), reads.read('list', store.failingRead)];
    await store.finishOne();
    await store.finishOne();

    expect(await first).toBe(0);
    for (const read of shared) await expect(read).rejects.toThrow('connection lost');
    const again = reads.read('list', store.read);
    await store.finishOne();
    expect(await again).toBe(0);
    expect(store.started).toBe(3);
  });

  it('reads the items asked for during a run of their group in one next run, each once', async () => {
    const store = new SlowStore();
    const reads = new CoalescedReads<string>();
    const batches: string[][] = [];
    const readMany = async (items: string[]) => {
      batches.push(items);
      const version = await store.read();
      return items.map((item) => `${item}@${version}`);
    };

    const first = reads.readOf('days=30', '1', readMany);
    const committed = store.commit();
    const waiting = ['2', '3', '2', '1'].map((id) => reads.readOf('days=30', id, readMany));
    const otherGroup = reads.readOf('days=7', '2', readMany);
    await store.finishOne();
    await store.finishOne();
    await store.finishOne();

    expect(await first).toBe('1@0');
    expect(await otherGroup).toBe(`2@${committed}`);
    expect(await Promise.all(waiting)).toEqual([
      `2@${committed}`,
      `3@${committed}`,
      `2@${committed}`,
      `1@${committed}`,
    ]);
    expect(batches).toEqual([['1'], ['2'], ['2', '3', '1']]);
  });

  it('fails the readers of a run that answers a value per item it was not given', async () => {
    const reads = new CoalescedReads<string>();

    await expect(reads.readOf('days=30', '1', () => Promise.resolve([]))).rejects.toThrow(
      'A read of 1 items answered 0 values',
    );
  });

  it('turns a run that throws before returning a promise into a failed read', async () => {
    const reads = new CoalescedReads<number>();

    await expect(
      reads.read('list', () => {
        throw new Error('not ready');
      }),
    ).rejects.toThrow('not ready');
    expect(reads.running).toBe(0);
  });
});
