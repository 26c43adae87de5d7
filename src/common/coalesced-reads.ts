/**
 * Identical reads share one query, without ever answering from before they arrived. While a
 * read of a key runs, the reads of that key that arrive wait for it to end and then share ONE
 * next run, started after the last of them arrived; a read never joins a run that started
 * before it, so whatever was committed before a read arrived is in its answer (no staleness,
 * unlike a cache). Under load a key costs at most one run at a time, however many ask.
 *
 * Reads that can be asked together (`readOf`: items of a group, e.g. sources by id) share runs
 * the same way: the items asked for while a run of their group is in progress are all read by
 * its next run, each once.
 *
 * A run's failure is every waiter's failure; the next read starts a new run.
 */
export class CoalescedReads<V> {
  private readonly groups = new Map<string, GroupState<V>>();

  /** `run()`'s result, from a run that starts no earlier than this call. */
  read(key: string, run: () => Promise<V>): Promise<V> {
    return this.readOf(key, '', async () => [await run()]);
  }

  /**
   * `item`'s value, from a run of `run` (given every item it reads, answering their values in
   * that order) that starts no earlier than this call.
   */
  readOf(group: string, item: string, run: (items: string[]) => Promise<V[]>): Promise<V> {
    const state = this.groups.get(group);
    if (!state) {
      const started: GroupState<V> = { waiting: new Map(), nextRun: null };
      this.groups.set(group, started);
      return this.start(group, started, [item], run).then((values) => values[0]);
    }
    let waiter = state.waiting.get(item);
    if (!waiter) {
      let resolve!: (value: V) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<V>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      waiter = { promise, resolve, reject };
      state.waiting.set(item, waiter);
    }
    state.nextRun ??= run;
    return waiter.promise;
  }

  /** How many keys or groups have a run in progress (for tests). */
  get running(): number {
    return this.groups.size;
  }

  private start(
    group: string,
    state: GroupState<V>,
    items: string[],
    run: (items: string[]) => Promise<V[]>,
  ): Promise<V[]> {
    // Started now; a `run` that throws instead of rejecting fails its readers all the same.
    const running = (async () => {
      const values = await run(items);
      if (values.length !== items.length) {
        throw new Error(`A read of ${items.length} items answered ${values.length} values`);
      }
      return values;
    })();
    const settled = () => {
      const { waiting, nextRun } = state;
      if (waiting.size === 0 || !nextRun) {
        this.groups.delete(group);
        return;
      }
      state.waiting = new Map();
      state.nextRun = null;
      const nextItems = [...waiting.keys()];
      this.start(group, state, nextItems, nextRun).then(
        (values) => nextItems.forEach((item, index) => waiting.get(item)!.resolve(values[index])),
        (error: unknown) => waiting.forEach((waiter) => waiter.reject(error)),
      );
    };
    running.then(settled, settled);
    return running;
  }
}

interface GroupState<V> {
  /** The items asked for during the current run, for the next one (not started yet). */
  waiting: Map<string, Waiter<V>>;
  /** How the next run reads them: the first waiting reader's `run`. */
  nextRun: ((items: string[]) => Promise<V[]>) | null;
}

interface Waiter<V> {
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}
