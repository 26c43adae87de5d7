import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock';
import type { RawBodyRequest } from '../../common/http/raw-body';
import { webhookSecurityConfig } from '../../config';
import { invalidSignature, signatureExpired } from '../webhook.errors';
import { webhookRequestOf } from '../webhook-request';
import { verifySignature } from './webhook-signature';

/**
 * HMAC-SHA256 over the raw bytes, for signing relays in front of the service (Knowlarity itself
 * does not sign). Enforced when KNOWLARITY_WEBHOOK_SECRETS is set; every listed secret is
 * accepted, so a secret can be rotated without downtime.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  constructor(
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.config.secrets.length === 0) return true;
    const request = webhookRequestOf(context.switchToHttp().getRequest<RawBodyRequest>());
    const verdict = verifySignature({
      headers: request.headers,
      payload:
        request.method === 'GET'
          ? Buffer.from(request.rawQuery)
          : (request.rawBody ?? Buffer.alloc(0)),
      secrets: this.config.secrets,
      signatureHeader: this.config.signatureHeader,
      toleranceSeconds: this.config.toleranceSeconds,
      nowSeconds: Math.floor(this.clock.now().getTime() / 1000),
    });
    if (verdict === 'expired') throw signatureExpired();
    if (verdict !== 'valid') throw invalidSignature(verdict === 'missing');
    return true;
  }
}
