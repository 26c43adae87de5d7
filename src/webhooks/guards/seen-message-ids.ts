/**
 * Standard Webhooks message ids seen with a valid signature, each remembered until its
 * timestamp can no longer pass the tolerance check, so a captured message cannot be replayed
 * while it is still fresh. Only signed ids get in, so strangers cannot grow it; expired ids are
 * swept at most once a second. Per process: several instances each remember their own.
 */
export class SeenMessageIds {
  private readonly expiries = new Map<string, number>();
  private nextSweepAt = 0;

  /** True the first time `id` is seen (it is then remembered until `forgetAt`, ms). */
  firstSighting(id: string, forgetAt: number, now: number): boolean {
    this.sweep(now);
    const known = this.expiries.get(id);
    if (known !== undefined && known > now) return false;
    this.expiries.set(id, forgetAt);
    return true;
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + 1000;
    for (const [id, forgetAt] of this.expiries) if (forgetAt <= now) this.expiries.delete(id);
  }

  get size(): number {
    return this.expiries.size;
  }
}
