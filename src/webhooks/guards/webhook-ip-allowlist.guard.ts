import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { AddressMatcher, LOOPBACK } from '../../common/address-matcher';
import { webhookSecurityConfig } from '../../config';
import { ipNotAllowed } from '../webhook.errors';

/**
 * First and cheapest check: the client address (the socket's, or the one a trusted proxy
 * forwarded, per TRUST_PROXY) must be in KNOWLARITY_WEBHOOK_IP_ALLOWLIST when it is set. With no
 * protection configured at all, only loopback callers are let through.
 */
@Injectable()
export class WebhookIpAllowlistGuard implements CanActivate {
  private readonly allowlist: AddressMatcher | null;

  constructor(@Inject(webhookSecurityConfig.KEY) config: ConfigType<typeof webhookSecurityConfig>) {
    this.allowlist = config.loopbackOnly
      ? LOOPBACK
      : config.ipAllowlist.length > 0
        ? new AddressMatcher(config.ipAllowlist)
        : null;
  }

  canActivate(context: ExecutionContext): boolean {
    this.check(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }

  /** The check itself, for the webhook routes, which call it without Nest's guard machinery. */
  check(request: FastifyRequest): void {
    if (this.allowlist && !this.allowlist.matches(request.ip)) throw ipNotAllowed();
  }
}
