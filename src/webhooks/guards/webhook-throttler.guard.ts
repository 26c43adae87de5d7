import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientKey } from '../../common/address-matcher';
import { webhookSecurityConfig } from '../../config';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

const WINDOW_MS = 60_000;

/**
 * One rate limit per client (WEBHOOK_RATE_LIMIT_PER_MINUTE) across every webhook route: GET and
 * POST, with the token in the path or the query, share one budget. The client is the request's
 * `ip` (which honours TRUST_PROXY, so a spoofed X-Forwarded-For cannot dodge the limit), an
 * IPv4-mapped address folded to IPv4 and IPv6 grouped by WEBHOOK_IPV6_CLIENT_PREFIX (/64), so
 * rotating addresses inside one's own network buys nothing. Over the limit: 429 with
 * `Retry-After`, blocked for the window; every answer carries `X-RateLimit-Limit`, `-Remaining`
 * and `-Reset`, as @nestjs/throttler's guard sends them.
 *
 * Synchronous, with one counter per client: @nestjs/throttler's guard reads five metadata keys
 * and awaits eight promises per request, for options these routes never vary.
 */
@Injectable()
export class WebhookThrottlerGuard implements CanActivate {
  private readonly windows = new FixedWindowThrottlerStorage();
  private readonly limit: number;
  private readonly ipv6Prefix: number;

  constructor(@Inject(webhookSecurityConfig.KEY) config: ConfigType<typeof webhookSecurityConfig>) {
    this.limit = config.rateLimitPerMinute;
    this.ipv6Prefix = config.ipv6ClientPrefix;
  }

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    this.check(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }

  /** The check itself, for the webhook routes, which call it without Nest's guard machinery. */
  check(request: FastifyRequest, reply: FastifyReply): void {
    const client = clientKey(request.ip, this.ipv6Prefix);
    const hit = this.windows.increment(client, WINDOW_MS, this.limit, WINDOW_MS);
    if (hit.isBlocked) {
      void reply.header('Retry-After', hit.timeToBlockExpire);
      throw new ThrottlerException();
    }
    void reply.headers({
      'X-RateLimit-Limit': this.limit,
      'X-RateLimit-Remaining': Math.max(0, this.limit - hit.totalHits),
      'X-RateLimit-Reset': hit.timeToExpire,
    });
  }
}
