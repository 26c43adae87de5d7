import { Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { RawBodyRequest } from '../common/http/raw-body';
import { WebhookIpAllowlistGuard } from './guards/webhook-ip-allowlist.guard';
import { WebhookSignatureGuard } from './guards/webhook-signature.guard';
import { WebhookThrottlerGuard } from './guards/webhook-throttler.guard';
import { WebhookTokenGuard } from './guards/webhook-token.guard';
import { WebhookDeliveryService, WebhookResponseBody } from './webhook-delivery.service';
import { markAuthenticated, webhookRequestOf } from './webhook-request';

/**
 * Knowlarity's Hook API: GET with a query string, or POST with JSON or a form body, at
 * `/webhooks/knowlarity` or `/webhooks/knowlarity/<token>`. Guards run cheapest first; what they
 * refuse is stored and answered by WebhookRefusalResponder (the routes' one refusal path).
 */
@Controller('webhooks/knowlarity')
@UseGuards(WebhookIpAllowlistGuard, WebhookThrottlerGuard, WebhookTokenGuard, WebhookSignatureGuard)
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

  @Get(':token')
  receiveGetWithToken(
    @Req() request: RawBodyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.receive(request, reply);
  }

  @Post(':token')
  receivePostWithToken(
    @Req() request: RawBodyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.receive(request, reply);
  }

  private async receive(
    request: RawBodyRequest,
    reply: FastifyReply,
  ): Promise<WebhookResponseBody> {
    markAuthenticated(request);
    const result = await this.deliveries.handle(webhookRequestOf(request));
    void reply.status(result.status);
    return result.body;
  }
}
