import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { RawBodyRequest } from '../../common/http/raw-body';
import { webhookSecurityConfig } from '../../config';
import type { TokenVerdict } from '../delivery-record';
import { tokenVerdictOf } from '../token-verdict';
import { invalidToken } from '../webhook.errors';
import { webhookRequestOf } from '../webhook-request';

/**
 * The protection that works with Knowlarity's dashboard, which only takes a URL: a long secret
 * as the last path segment or `?token=`, compared in constant time. Enforced when
 * KNOWLARITY_WEBHOOK_TOKEN is set; a rotated-out token is refused like a wrong one.
 */
@Injectable()
export class WebhookTokenGuard implements CanActivate {
  private readonly verdictOf: ((token: string) => TokenVerdict) | null;

  constructor(@Inject(webhookSecurityConfig.KEY) config: ConfigType<typeof webhookSecurityConfig>) {
    this.verdictOf = config.token === undefined ? null : tokenVerdictOf(config);
  }

  canActivate(context: ExecutionContext): boolean {
    this.check(context.switchToHttp().getRequest<RawBodyRequest>());
    return true;
  }

  /** The check itself, for the webhook routes, which call it without Nest's guard machinery. */
  check(http: RawBodyRequest): void {
    if (this.verdictOf === null) return;
    const request = webhookRequestOf(http);
    if (request.token === undefined) throw invalidToken();
    request.tokenVerdict = this.verdictOf(request.token);
    if (request.tokenVerdict !== 'valid') throw invalidToken();
  }
}
