import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock';
import type { RawBodyRequest } from '../../common/http/raw-body';
import { webhookSecurityConfig } from '../../config';
import { emptySignedBody, invalidSignature, signatureExpired } from '../webhook.errors';
import { webhookRequestOf } from '../webhook-request';
import { SeenMessageIds } from './seen-message-ids';
import { verifySignature } from './webhook-signature';

/**
 * HMAC-SHA256 over the raw bytes, for signing relays in front of the service (Knowlarity itself
 * does not sign). Enforced when KNOWLARITY_WEBHOOK_SECRETS is set; every listed secret is
 * accepted, so a secret can be rotated without downtime. What is signed is all that is read: a
 * POST's payload is its body alone (an empty one is refused before any check, since its
 * signature would vouch for nothing), a GET's is its query. A Standard Webhooks message id seen
 * before within the tolerance window marks the request a duplicate, answered without ingesting.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly seen = new SeenMessageIds();

  constructor(
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    this.check(context.switchToHttp().getRequest<RawBodyRequest>());
    return true;
  }

  /** The check itself, for the webhook routes, which call it without Nest's guard machinery. */
  check(http: RawBodyRequest): void {
    if (this.config.secrets.length === 0) return;
    const request = webhookRequestOf(http);
    const signsQuery = request.method === 'GET' || request.method === 'HEAD';
    if (!signsQuery && !request.rawBody?.length) throw emptySignedBody();
    const now = this.clock.now().getTime();
    const verdict = verifySignature({
      headers: request.headers,
      payload: signsQuery ? Buffer.from(request.rawQuery) : request.rawBody!,
      secrets: this.config.secrets,
      signatureHeader: this.config.signatureHeader,
      toleranceSeconds: this.config.toleranceSeconds,
      nowSeconds: Math.floor(now / 1000),
    });
    if (verdict === 'expired') throw signatureExpired();
    if (verdict !== 'valid') throw invalidSignature(verdict === 'missing');
    const messageId = request.headers['webhook-id'];
    if (typeof messageId === 'string' && request.headers['webhook-signature'] !== undefined) {
      // The timestamp passed the check, so it is within the tolerance of now: remembering the id
      // for twice the tolerance outlives every timestamp that could still pass.
      const forgetAt = now + 2 * this.config.toleranceSeconds * 1000;
      if (!this.seen.firstSighting(messageId, forgetAt, now))
        request.duplicateMessageId = messageId;
    }
  }
}
