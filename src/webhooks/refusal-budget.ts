import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { webhookSecurityConfig } from '../config';
import { MetricsService } from '../metrics/metrics.service';

/**
 * How much of an unauthenticated refusal is kept: `whole` (metadata and body), `metadata` (who,
 * when, what status, how big — no body, headers cut down), or `counted` (a metric, no row).
 */
export type RefusalAdmission = 'whole' | 'metadata' | 'counted';

const HOUR_MS = 3_600_000;
/** Past this many clients in one hour, new ones get no body budget of their own. */
const MAX_TRACKED_CLIENTS = 100_000;

/**
 * Bounds what strangers can make us store. Requests refused before authentication (wrong
 * token, address or signature; too large; an unreadable URL) keep their metadata always, but
 * their bytes only within WEBHOOK_REFUSED_BYTES_PER_HOUR in all and
 * WEBHOOK_REFUSED_BYTES_PER_CLIENT_PER_HOUR per client, in fixed clock hours; beyond that a row
 * holds metadata only. Rate-limited requests leave one row per client per hour and are
 * otherwise only counted. The state is per process and shows in the metrics.
 */
@Injectable()
export class RefusalBudget {
  private windowStart = -1;
  private totalBytes = 0;
  private readonly perClient = new Map<string, { bytes: number; rateLimitedRow: boolean }>();

  constructor(
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {
    metrics.refusalBudget(0, config.refusedBytesPerHour);
  }

  /** Decides how much of one refusal to keep, and charges the budget for it. */
  admit(client: string, bytes: number, rateLimited: boolean): RefusalAdmission {
    this.roll();
    const state = this.stateOf(client);
    let admission: RefusalAdmission;
    if (rateLimited) {
      admission = state.rateLimitedRow ? 'counted' : 'metadata';
      state.rateLimitedRow = true;
    } else if (
      this.totalBytes + bytes <= this.config.refusedBytesPerHour &&
      state.bytes + bytes <= this.config.refusedBytesPerClientPerHour &&
      this.perClient.has(client)
    ) {
      this.totalBytes += bytes;
      state.bytes += bytes;
      admission = 'whole';
    } else {
      admission = 'metadata';
    }
    this.metrics.refusal(admission);
    this.metrics.refusalBudget(this.totalBytes, this.config.refusedBytesPerHour);
    return admission;
  }

  private stateOf(client: string) {
    let state = this.perClient.get(client);
    if (!state) {
      state = { bytes: 0, rateLimitedRow: false };
      if (this.perClient.size < MAX_TRACKED_CLIENTS) this.perClient.set(client, state);
    }
    return state;
  }

  private roll(): void {
    const now = this.clock.now().getTime();
    const start = now - (now % HOUR_MS);
    if (start === this.windowStart) return;
    this.windowStart = start;
    this.totalBytes = 0;
    this.perClient.clear();
  }
}
