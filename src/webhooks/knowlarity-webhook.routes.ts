import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawBodyRequest } from '../common/http/raw-body';
import { WebhookIpAllowlistGuard } from './guards/webhook-ip-allowlist.guard';
import { WebhookSignatureGuard } from './guards/webhook-signature.guard';
import { WebhookThrottlerGuard } from './guards/webhook-throttler.guard';
import { WebhookTokenGuard } from './guards/webhook-token.guard';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { markAuthenticated, WEBHOOK_PATH, webhookRequestOf } from './webhook-request';

/**
 * Knowlarity's Hook API: GET with a query string, or POST with JSON or a form body, at
 * `/webhooks/knowlarity` or `/webhooks/knowlarity/<token>` (documented in
 * knowlarity-webhook.openapi.ts).
 *
 * Plain Fastify routes, registered by the webhooks module, rather than a Nest controller: the one
 * path that carries Knowlarity's whole load skips Nest's router, guard, interceptor and pipe
 * machinery and the per-request log store, which together cost more CPU per delivery than the
 * checks and the delivery themselves. The checks are the same guard classes, called directly,
 * cheapest first; whatever they (or Fastify, for an oversized body) refuse is thrown to Fastify's
 * error handler, which Nest points at the global AllExceptionsFilter, so WebhookRefusalResponder
 * stores and answers it as before.
 */
@Injectable()
export class KnowlarityWebhookRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ipAllowlist: WebhookIpAllowlistGuard,
    private readonly throttler: WebhookThrottlerGuard,
    private readonly token: WebhookTokenGuard,
    private readonly signature: WebhookSignatureGuard,
    private readonly deliveries: WebhookDeliveryService,
  ) {}

  onModuleInit(): void {
    // An application context (the sync CLI) has no HTTP server.
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    for (const url of [WEBHOOK_PATH, `${WEBHOOK_PATH}/:token`]) {
      fastify.route({ method: ['GET', 'POST'], url, handler: this.receive });
    }
  }

  private readonly receive = async (request: FastifyRequest, reply: FastifyReply) => {
    const http = request as RawBodyRequest;
    this.ipAllowlist.check(http);
    this.throttler.check(http, reply);
    this.token.check(http);
    this.signature.check(http);
    markAuthenticated(http);
    const result = await this.deliveries.handle(webhookRequestOf(http));
    return reply.status(result.status).send(result.body);
  };
}
