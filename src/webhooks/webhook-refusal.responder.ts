import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { describeException, ExceptionResponder } from '../common/filters/all-exceptions.filter';
import { RawBodyRequest, readUnparsedBody } from '../common/http/raw-body';
import { webhookSecurityConfig } from '../config';
import { RequestLog, RequestLogging } from '../logging/request-logging';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { isAuthenticated, isWebhookReceivingPath, webhookRequestOf } from './webhook-request';

/**
 * The one refusal path of the webhook routes. Whatever refuses a request on
 * `/webhooks/knowlarity[/<token>]` (a guard, the rate limit, an oversized body or an unreadable
 * URL caught by Fastify before routing, an unexpected failure) raises an error; every error on
 * those paths reaches the global AllExceptionsFilter (Fastify's pre-routing errors through
 * `frameworkErrors`), which hands it here to be described, stored and answered by
 * WebhookDeliveryService.refuse. Refusals of the content itself (bad JSON, no phone) never
 * raise: the service returns them as results.
 */
@Injectable()
export class WebhookRefusalResponder {
  private readonly log: RequestLog;

  constructor(
    private readonly deliveries: WebhookDeliveryService,
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
    logging: RequestLogging,
  ) {
    this.log = logging.forContext(WebhookRefusalResponder.name);
  }

  readonly respond: ExceptionResponder = (request: FastifyRequest, exception: unknown) => {
    if (!isWebhookReceivingPath(request.url)) return null;
    const described = describeException(exception, (unexpected) => {
      const error = unexpected as Error;
      this.log.error(
        String(request.id),
        `Delivery ${request.id} failed: ${error?.name}: ${error?.message}`,
      );
    });
    const { status, body } = described;
    const refuse = () =>
      this.deliveries.refuse(webhookRequestOf(request), {
        status,
        code: status === 413 ? 'payload_too_large' : body.code,
        message: status === 413 ? 'The body is larger than this endpoint accepts.' : body.message,
        authenticated: isAuthenticated(request),
      });
    return status === 413 ? refuse() : this.readBodyLeftUnread(request).then(refuse);
  };

  /**
   * A request Fastify refused before routing (an unreadable URL) arrives with its body unread;
   * it is read here, up to the body limit, so the refusal is stored like any other (the refusal
   * budget then decides whether the bytes are kept). Larger, it is recorded by its size.
   */
  private async readBodyLeftUnread(request: RawBodyRequest): Promise<void> {
    if (request.rawBody !== undefined) return;
    const body = await readUnparsedBody(request.raw, this.config.maxBodyBytes);
    if (body !== null && body.length > 0) request.rawBody = body;
  }
}
