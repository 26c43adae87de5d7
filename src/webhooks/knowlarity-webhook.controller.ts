import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RawBodyRequest } from '../common/http/raw-body';
import { WebhookDeliveryService, WebhookResponseBody } from './webhook-delivery.service';
import { WebhookRequest } from './webhook-payload';

/** Knowlarity's Hook API: GET with a query string, or POST with JSON or a form body. */
@Controller('webhooks/knowlarity')
export class KnowlarityWebhookController {
  constructor(private readonly deliveries: WebhookDeliveryService) {}

  @Get()
  receiveGet(@Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(request, reply);
  }

  @Post()
  receivePost(@Req() request: RawBodyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.receive(request, reply);
  }

  private async receive(
    request: RawBodyRequest,
    reply: FastifyReply,
  ): Promise<WebhookResponseBody> {
    const result = await this.deliveries.handle(toWebhookRequest(request));
    void reply.status(result.status);
    return result.body;
  }
}

export function toWebhookRequest(request: RawBodyRequest): WebhookRequest {
  const queryStart = request.url.indexOf('?');
  return {
    requestId: String(request.id),
    method: request.method,
    path: request.url.slice(0, queryStart === -1 ? undefined : queryStart),
    contentType: request.headers['content-type'],
    headers: request.headers,
    rawQuery: queryStart === -1 ? '' : request.url.slice(queryStart + 1),
    rawBody: request.rawBody,
    parsedBody: request.body,
    bodyParseError: request.bodyParseError,
    remoteAddress: request.ip,
  };
}
