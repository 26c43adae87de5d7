import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RawBodyRequest } from '../common/http/raw-body';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { webhookRequestOf } from './webhook-request';

/**
 * On the webhook routes, every refusal (guard, rate limit, unexpected error) is stored in
 * webhook_deliveries before it is answered: an operator must be able to see what was sent.
 */
@Catch()
@Injectable()
export class WebhookExceptionFilter implements ExceptionFilter {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<RawBodyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void this.deliveries
      .reject(webhookRequestOf(request), exception)
      .then((result) => reply.status(result.status).send(result.body))
      .catch(() =>
        reply.status(500).send({
          success: false,
          code: 'internal_error',
          message: 'Something went wrong on our side.',
        }),
      );
  }
}
