import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { clientKey } from '../../common/address-matcher';
import { webhookSecurityConfig } from '../../config';

/**
 * One rate limit per client (WEBHOOK_RATE_LIMIT_PER_MINUTE) across every webhook route: GET and
 * POST, with the token in the path or the query, share one budget. The client is the request's
 * `ip` (which honours TRUST_PROXY, so a spoofed X-Forwarded-For cannot dodge the limit), an
 * IPv4-mapped address folded to IPv4 and IPv6 grouped by WEBHOOK_IPV6_CLIENT_PREFIX (/64), so
 * rotating addresses inside one's own network buys nothing.
 */
@Injectable()
export class WebhookThrottlerGuard extends ThrottlerGuard {
  private readonly ipv6Prefix: number;

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(webhookSecurityConfig.KEY) config: ConfigType<typeof webhookSecurityConfig>,
  ) {
    super(options, storage, reflector);
    this.ipv6Prefix = config.ipv6ClientPrefix;
  }

  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const ip = typeof request.ip === 'string' ? request.ip : undefined;
    return Promise.resolve(clientKey(ip, this.ipv6Prefix));
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}:${tracker}`;
  }
}
