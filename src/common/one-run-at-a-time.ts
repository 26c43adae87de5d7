/**
 * At most one run of a job at a time in this process, remembered so shutdown can wait for it.
 * A second caller either skips (`start` gives null) or shares the run in progress (`join`).
 */
export class OneRunAtATime<T> {
  private current: Promise<T> | null = null;

  get busy(): boolean {
    return this.current !== null;
  }

  /** Starts `run`, or gives null (starting nothing) while another run is in progress. */
  start(run: () => Promise<T>): Promise<T> | null {
    if (this.current) return null;
    const started = run().finally(() => {
      this.current = null;
    });
    this.current = started;
    return started;
  }

  /** The run in progress, or else a new run of `run`. */
  join(run: () => Promise<T>): Promise<T> {
    return this.current ?? (this.start(run) as Promise<T>);
  }

  /** Resolves once the run in progress (if any) has ended, however it ended. */
  async settled(): Promise<void> {
    await this.current?.catch(() => undefined);
  }
}
