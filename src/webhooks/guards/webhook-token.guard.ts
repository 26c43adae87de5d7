import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { secretEquals } from '../../common/constant-time';
import type { RawBodyRequest } from '../../common/http/raw-body';
import { webhookSecurityConfig } from '../../config';
import { invalidToken } from '../webhook.errors';
import { presentedToken } from '../webhook-request';

/**
 * The protection that works with Knowlarity's dashboard, which only takes a URL: a long secret
 * as the last path segment or `?token=`, compared in constant time. Enforced when
 * KNOWLARITY_WEBHOOK_TOKEN is set.
 */
@Injectable()
export class WebhookTokenGuard implements CanActivate {
  constructor(
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.token;
    if (expected === undefined) return true;
    const given = presentedToken(context.switchToHttp().getRequest<RawBodyRequest>());
    if (given === undefined || !secretEquals(given, expected)) throw invalidToken();
    return true;
  }
}
