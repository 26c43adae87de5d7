import {
  isTransactionConflict,
  StorageError,
  StorageUnavailableError,
} from '../database/storage.errors';

/** One entry per item sent, in order: a result, or the error that item alone failed with. */
export type BatchEntry<R> = R | { error: { code: string; message: string } };

/** Runs one batch in one transaction; rejects only when the whole batch failed. */
export type RunBatch<I, R> = (items: I[]) => Promise<BatchEntry<R>[]>;

export interface IngestBatcherOptions {
  /** The most items in one batch; 1 sends every item alone. */
  maxBatch: number;
  /** How many batches may be in flight at once (a single-connection database: 1). */
  maxInFlight: number;
  /**
   * What a batch waits for before it leaves, gathering deliveries meanwhile: by default the end
   * of the current turn of the event loop. A database that holds the thread waits for the event
   * loop to take in any waiting connections (ConnectionArrivals), before as between batches.
   */
  beforeSending?: () => Promise<void>;
}

interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit. An item that finds a free lane (fewer than `maxInFlight` batches in flight) is
 * sent at once (at the end of the current turn of the event loop, with any other item that
 * arrived in the same turn): no added latency when idle. Items that arrive while every lane is busy
 * wait, in arrival order, and leave as soon as a lane frees: the busier the service, the more each
 * transaction (its commit, round trip and function start-up) carries. A lane takes an even share
 * of what is outstanding, not the whole queue (see nextBatchSize): a batch's duration grows with
 * its size, so one oversized batch is a tail of slow replies.
 *
 * Every caller's promise settles with its own item's outcome, after its batch committed. An
 * item the database rejected fails alone; a batch that failed as a whole (the database
 * unreachable, say) fails every item in it and nothing else. A deadlock or serialization
 * failure is retried once; if it happens again, the batch's items fail as "unavailable" (retry
 * later) rather than as an error.
 */
export class IngestBatcher<I, R> {
  private waiting: Waiting<I, R>[] = [];
  private inFlight = 0;
  private itemsInFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: RunBatch<I, R>,
    private readonly options: IngestBatcherOptions,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.inFlight < this.options.maxInFlight) this.schedule();
    });
  }

  /**
   * Sends a batch once `beforeSending` (by default: the end of this turn of the event loop) is
   * over, with every delivery parsed meanwhile. PGlite runs its queries on this thread: a batch
   * sent from inside the first request's callback would finish before the next request of the
   * same turn were even read.
   */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const send = () => {
      this.scheduled = false;
      this.dispatchWhileLanesFree();
    };
    const { beforeSending } = this.options;
    if (beforeSending) void beforeSending().then(send, send);
    else setImmediate(send);
  }

  private dispatchWhileLanesFree(): void {
    while (this.waiting.length > 0 && this.inFlight < this.options.maxInFlight) {
      this.dispatch(this.waiting.splice(0, this.nextBatchSize()));
    }
  }

  /**
   * The waiting items split evenly over the free lanes, and no more than an even share of
   * everything outstanding (waiting and in flight) per lane, nor more than maxBatch. So a lane
   * that frees while many wait (deliveries that arrived together, or piled up behind a slow
   * batch) takes its share and leaves the rest to the next lane to free, instead of carrying
   * them all in one long transaction that every one of them waits for.
   */
  private nextBatchSize(): number {
    const { maxBatch, maxInFlight } = this.options;
    const waiting = this.waiting.length;
    const perFreeLane = Math.ceil(waiting / (maxInFlight - this.inFlight));
    const perLane = Math.ceil((waiting + this.itemsInFlight) / maxInFlight);
    return Math.min(maxBatch, perFreeLane, perLane);
  }

  private dispatch(batch: Waiting<I, R>[]): void {
    this.inFlight += 1;
    this.itemsInFlight += batch.length;
    // The lane is freed before the callers hear back, so the next batch is already on its way.
    this.runRetryingConflicts(batch.map((waiting) => waiting.item)).then(
      (entries) => {
        this.release(batch.length);
        if (entries.length !== batch.length) {
          const error = new StorageError(
            `A batch of ${batch.length} got ${entries.length} results`,
          );
          for (const waiting of batch) waiting.reject(error);
          return;
        }
        batch.forEach((waiting, index) => settle(waiting, entries[index]));
      },
      (error: unknown) => {
        this.release(batch.length);
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }

  private release(items: number): void {
    this.inFlight -= 1;
    this.itemsInFlight -= items;
    if (this.waiting.length === 0) return;
    if (this.options.beforeSending) this.schedule();
    else this.dispatchWhileLanesFree();
  }

  private async runRetryingConflicts(items: I[]): Promise<BatchEntry<R>[]> {
    try {
      return await this.run(items);
    } catch (error) {
      if (!isTransactionConflict(error)) throw error;
    }
    try {
      return await this.run(items);
    } catch (error) {
      throw isTransactionConflict(error) ? new StorageUnavailableError(error) : error;
    }
  }
}

function settle<I, R>(waiting: Waiting<I, R>, entry: BatchEntry<R>): void {
  if (isBatchError(entry)) waiting.reject(new StorageError(entry.error.message, entry.error.code));
  else waiting.resolve(entry);
}

function isBatchError<R>(
  entry: BatchEntry<R>,
): entry is { error: { code: string; message: string } } {
  return typeof entry === 'object' && entry !== null && 'error' in entry;
}
