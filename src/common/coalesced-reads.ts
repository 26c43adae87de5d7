/**
 * Identical reads share one query, without ever answering from before they arrived. While a
 * read of a key runs, the reads of that key that arrive wait for it to end and then share ONE
 * next run, started after the last of them arrived; a read never joins a run that started
 * before it, so whatever was committed before a read arrived is in its answer (no staleness,
 * unlike a cache). Under load a key costs at most one run at a time, however many ask.
 *
 * A run's failure is every waiter's failure; the next read starts a new run.
 */
export class CoalescedReads<V> {
  private readonly keys = new Map<string, KeyState<V>>();

  /** `run()`'s result, from a run that starts no earlier than this call. */
  read(key: string, run: () => Promise<V>): Promise<V> {
    const state = this.keys.get(key);
    if (!state) return this.start(key, { next: null }, run);
    if (!state.next) {
      let resolve!: (value: V) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<V>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      state.next = { promise, resolve, reject, run };
    }
    return state.next.promise;
  }

  /** How many keys have a run in progress (for tests). */
  get running(): number {
    return this.keys.size;
  }

  private start(key: string, state: KeyState<V>, run: () => Promise<V>): Promise<V> {
    this.keys.set(key, state);
    // Started now; a `run` that throws instead of rejecting fails its readers all the same.
    const running = (async () => run())();
    const settled = () => {
      const next = state.next;
      if (!next) {
        this.keys.delete(key);
        return;
      }
      state.next = null;
      this.start(key, state, next.run).then(next.resolve, next.reject);
    };
    running.then(settled, settled);
    return running;
  }
}

interface KeyState<V> {
  /** The run the reads that arrived during the current one will share, not started yet. */
  next: {
    promise: Promise<V>;
    resolve: (value: V) => void;
    reject: (error: unknown) => void;
    run: () => Promise<V>;
  } | null;
}
