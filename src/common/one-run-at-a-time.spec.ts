import { OneRunAtATime } from './one-run-at-a-time';

/** A run the spec settles by hand, counting how often it was started. */
function manualRun<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const counted = {
    started: 0,
    promise,
    resolve,
    reject,
    run: () => {
      counted.started += 1;
      return promise;
    },
  };
  return counted;
}

describe('OneRunAtATime', () => {
  it('starts nothing while a run is in progress, and starts again once it ended', async () => {
    const runs = new OneRunAtATime<string>();
    const first = manualRun<string>();

    const running = runs.start(first.run);
    const skipped = runs.start(first.run);
    expect(runs.busy).toBe(true);
    first.resolve('done');

    expect(await running).toBe('done');
    expect(skipped).toBeNull();
    expect(first.started).toBe(1);
    expect(runs.busy).toBe(false);
    expect(await runs.start(() => Promise.resolve('again'))).toBe('again');
  });

  it('lets a second caller join the run in progress', async () => {
    const runs = new OneRunAtATime<number>();
    const first = manualRun<number>();

    const a = runs.join(first.run);
    const b = runs.join(first.run);
    first.resolve(7);

    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(first.started).toBe(1);
  });

  it('is free again after a failed run, whose error reaches its caller', async () => {
    const runs = new OneRunAtATime<void>();

    await expect(runs.start(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(runs.busy).toBe(false);
  });

  it('settles when the run in progress ends, even when it fails, and at once when none runs', async () => {
    const runs = new OneRunAtATime<void>();
    await runs.settled();
    const first = manualRun<void>();
    const failing = runs.start(first.run);
    failing?.catch(() => undefined);
    let settled = false;

    const waiting = runs.settled().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    first.reject(new Error('lost'));
    await waiting;

    expect(settled).toBe(true);
  });
});
