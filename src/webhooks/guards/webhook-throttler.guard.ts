import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

/**
 * Per-client-IP rate limit (WEBHOOK_RATE_LIMIT_PER_MINUTE). The tracker is the request's `ip`,
 * which honours TRUST_PROXY, so a spoofed X-Forwarded-For cannot dodge the limit.
 */
@Injectable()
export class WebhookThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: { ip?: unknown }): Promise<string> {
    return String(request.ip);
  }
}
