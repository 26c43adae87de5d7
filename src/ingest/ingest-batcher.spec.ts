import { StorageError, StorageUnavailableError } from '../database/storage.errors';
import { BatchEntry, IngestBatcher } from './ingest-batcher';

/** A batch runner the test settles by hand, recording every batch it was given. */
class ManualRunner {
  readonly batches: number[][] = [];
  private readonly pending: {
    resolve: (entries: BatchEntry<string>[]) => void;
    reject: (error: unknown) => void;
  }[] = [];

  readonly run = (items: number[]) => {
    this.batches.push(items);
    return new Promise<BatchEntry<string>[]>((resolve, reject) =>
      this.pending.push({ resolve, reject }),
    );
  };

  /** Settles the oldest unsettled batch with one result per item. */
  answer(entry: (item: number) => BatchEntry<string> = (item) => `done ${item}`): void {
    const batch = this.batches[this.batches.length - this.pending.length];
    this.pending.shift()!.resolve(batch.map(entry));
  }

  fail(error: unknown): void {
    this.pending.shift()!.reject(error);
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('IngestBatcher', () => {
  it('sends an item when a lane is free, and gathers those that arrive meanwhile', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 3, maxInFlight: 1 });

    const first = batcher.submit(1);
    await tick();
    const results = [first, ...[2, 3, 4, 5, 6].map((item) => batcher.submit(item))];
    expect(runner.batches).toEqual([[1]]);
    runner.answer();
    await tick();
    expect(runner.batches).toEqual([[1], [2, 3, 4]]);
    runner.answer();
    await tick();
    runner.answer();

    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `done ${i}`));
    expect(runner.batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('sends the items submitted in one turn of the event loop together', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 2, maxInFlight: 1 });

    const results = [1, 2, 3].map((item) => batcher.submit(item));
    await tick();
    runner.answer();
    await tick();
    runner.answer();

    expect(await Promise.all(results)).toEqual(['done 1', 'done 2', 'done 3']);
    expect(runner.batches).toEqual([[1, 2], [3]]);
  });

  it('keeps up to maxInFlight batches in flight', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 10, maxInFlight: 2 });

    const results = [batcher.submit(1)];
    await tick();
    results.push(batcher.submit(2));
    await tick();
    results.push(batcher.submit(3), batcher.submit(4));
    await tick();
    expect(runner.batches).toEqual([[1], [2]]);
    runner.answer();
    runner.answer();
    await tick();
    runner.answer();
    await Promise.all(results);

    expect(runner.batches).toEqual([[1], [2], [3, 4]]);
  });

  it('shares the items of one turn among the free lanes, in arrival order', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 64, maxInFlight: 3 });

    const results = [1, 2, 3, 4, 5, 6, 7].map((item) => batcher.submit(item));
    await tick();
    expect(runner.batches).toEqual([
      [1, 2, 3],
      [4, 5],
      [6, 7],
    ]);
    runner.answer();
    runner.answer();
    runner.answer();

    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `done ${i}`));
  });

  it('a lane that frees while many wait takes its share; the next lane to free takes the rest', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 64, maxInFlight: 2 });
    const results = [batcher.submit(1)];
    await tick();
    results.push(batcher.submit(2));
    await tick();
    const waiting = Array.from({ length: 10 }, (_, index) => index + 3);
    results.push(...waiting.map((item) => batcher.submit(item)));
    await tick();

    runner.answer();
    await tick();
    // 10 waiting + 1 in flight, over 2 lanes: 6 leave now, not all 10 in one long transaction.
    expect(runner.batches).toEqual([[1], [2], [3, 4, 5, 6, 7, 8]]);
    runner.answer();
    await tick();
    expect(runner.batches[3]).toEqual([9, 10, 11, 12]);
    runner.answer();
    runner.answer();

    expect(await Promise.all(results)).toEqual([1, 2, ...waiting].map((item) => `done ${item}`));
  });

  it('fails only the item the batch reports an error for', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    void batcher.submit(0);
    await tick();
    const results = [1, 2, 3].map((item) => batcher.submit(item).catch((error: unknown) => error));
    runner.answer();
    await tick();

    runner.answer((item) =>
      item === 2 ? { error: { code: '23514', message: 'refused' } } : `done ${item}`,
    );
    const [first, second, third] = await Promise.all(results);

    expect([first, third]).toEqual(['done 1', 'done 3']);
    expect(second).toBeInstanceOf(StorageError);
    expect(second).toMatchObject({ sqlState: '23514', message: 'refused' });
  });

  it('fails every item of a batch that failed whole, and goes on with the next', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    const unavailable = new StorageUnavailableError();

    void batcher.submit(0);
    await tick();
    const failed = [1, 2].map((item) => batcher.submit(item).catch((error: unknown) => error));
    runner.answer();
    await tick();
    runner.fail(unavailable);
    expect(await Promise.all(failed)).toEqual([unavailable, unavailable]);
    const later = batcher.submit(3);
    await tick();
    runner.answer();

    expect(await later).toBe('done 3');
  });

  it('retries a deadlock once; a second one fails the items as unavailable', async () => {
    const runner = new ManualRunner();
    const batcher = new IngestBatcher(runner.run, { maxBatch: 10, maxInFlight: 1 });
    const deadlock = new StorageError('deadlock detected', '40P01');

    const retried = batcher.submit(1);
    await tick();
    runner.fail(deadlock);
    await tick();
    runner.answer();
    expect(await retried).toBe('done 1');

    const given = batcher.submit(2).catch((error: unknown) => error);
    await tick();
    runner.fail(new StorageError('could not serialize access', '40001'));
    await tick();
    runner.fail(deadlock);

    expect(await given).toBeInstanceOf(StorageUnavailableError);
    expect(runner.batches).toEqual([[1], [1], [2], [2]]);
  });

  it('waits for beforeSending before every batch, gathering what arrives meanwhile', async () => {
    const runner = new ManualRunner();
    const gates: (() => void)[] = [];
    const beforeSending = () => new Promise<void>((resolve) => gates.push(resolve));
    const batcher = new IngestBatcher(runner.run, { maxBatch: 10, maxInFlight: 1, beforeSending });

    const results = [batcher.submit(1)];
    await tick();
    results.push(batcher.submit(2));
    expect(runner.batches).toEqual([]);
    gates.shift()!();
    await tick();
    expect(runner.batches).toEqual([[1, 2]]);
    results.push(batcher.submit(3));
    runner.answer();
    await tick();
    results.push(batcher.submit(4));
    expect(runner.batches).toEqual([[1, 2]]);
    gates.shift()!();
    await tick();
    runner.answer();

    expect(await Promise.all(results)).toEqual([1, 2, 3, 4].map((i) => `done ${i}`));
    expect(runner.batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(gates).toHaveLength(0);
  });
});
