import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { describeException, ExceptionResponder } from '../common/filters/all-exceptions.filter';
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
  private readonly logger = new Logger(WebhookRefusalResponder.name);

  constructor(private readonly deliveries: WebhookDeliveryService) {}

  readonly respond: ExceptionResponder = (request: FastifyRequest, exception: unknown) => {
    if (!isWebhookReceivingPath(request.url)) return null;
    const described = describeException(exception, (unexpected) => {
      const error = unexpected as Error;
      this.logger.error(`Delivery ${request.id} failed: ${error?.name}: ${error?.message}`);
    });
    const { status, body } = described;
    return this.deliveries.refuse(webhookRequestOf(request), {
      status,
      code: status === 413 ? 'payload_too_large' : body.code,
      message: status === 413 ? 'The body is larger than this endpoint accepts.' : body.message,
      authenticated: isAuthenticated(request),
    });
  };
}
