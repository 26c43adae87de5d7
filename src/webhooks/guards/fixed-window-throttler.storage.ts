/** What one hit comes to (the fields of @nestjs/throttler's storage record). */
export interface WindowHit {
  totalHits: number;
  /** Seconds until the window resets. */
  timeToExpire: number;
  isBlocked: boolean;
  /** Seconds until the block ends (0 when not blocked). */
  timeToBlockExpire: number;
}

interface Window {
  hits: number;
  resetsAt: number;
  blockedUntil: number;
}

/**
 * Counts hits per key in fixed windows of `ttl` ms: constant time and memory per key, whatever
 * the limit. The throttler's default storage keeps one expiry per hit and filters them all on
 * every request, so its cost grows with the limit times the traffic of one key; Knowlarity
 * delivers from a few addresses, and at a high WEBHOOK_RATE_LIMIT_PER_MINUTE that reached 1 ms
 * a request (90,000 hits in the window) and most of the service's garbage. A fixed window can
 * let up to twice the limit through across a window boundary, which a flood guard can afford.
 * Over the limit, the key is blocked for `blockDuration` ms (the throttler passes the ttl when
 * none is configured), as with the default storage.
 */
export class FixedWindowThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  increment(key: string, ttl: number, limit: number, blockDuration: number): WindowHit {
    const now = this.now();
    this.sweep(now, ttl);
    let window = this.windows.get(key);
    if (
      !window ||
      (window.blockedUntil <= now && (window.blockedUntil > 0 || window.resetsAt <= now))
    ) {
      window = { hits: 0, resetsAt: now + ttl, blockedUntil: 0 };
      this.windows.set(key, window);
    }
    if (window.blockedUntil <= now) {
      window.hits += 1;
      if (window.hits > limit) window.blockedUntil = now + Math.max(blockDuration, 1);
    }
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: seconds(window.resetsAt - now),
      isBlocked,
      timeToBlockExpire: isBlocked ? seconds(window.blockedUntil - now) : 0,
    };
  }

  /** Forgets keys whose window and block are over, once per ttl, so idle senders cost nothing. */
  private sweep(now: number, ttl: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + ttl;
    for (const [key, window] of this.windows) {
      if (window.resetsAt <= now && window.blockedUntil <= now) this.windows.delete(key);
    }
  }

  /** Keys currently tracked (for tests). */
  get size(): number {
    return this.windows.size;
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
