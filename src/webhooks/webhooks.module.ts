import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { webhookSecurityConfig } from '../config';
import { IngestModule } from '../ingest/ingest.module';
import { KnowlarityModule } from '../knowlarity/knowlarity.module';
import { WebhookIpAllowlistGuard } from './guards/webhook-ip-allowlist.guard';
import { WebhookSignatureGuard } from './guards/webhook-signature.guard';
import { WebhookThrottlerGuard } from './guards/webhook-throttler.guard';
import { WebhookTokenGuard } from './guards/webhook-token.guard';
import { KnowlarityWebhookRoutes } from './knowlarity-webhook.routes';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { configuredSecretsProvider } from '../config/secrets';
import { RefusalBudget } from './refusal-budget';
import { WebhookRefusalResponder } from './webhook-refusal.responder';

@Module({
  imports: [IngestModule, KnowlarityModule],
  // The Hook API routes themselves are Fastify routes (KnowlarityWebhookRoutes); Fastify's router
  // prefers the deliveries API's static paths to their `:token` route.
  controllers: [WebhookDeliveriesController],
  providers: [
    KnowlarityWebhookRoutes,
    WebhookDeliveryService,
    WebhookRefusalResponder,
    RefusalBudget,
    configuredSecretsProvider,
    WebhookIpAllowlistGuard,
    WebhookThrottlerGuard,
    WebhookTokenGuard,
    WebhookSignatureGuard,
  ],
  exports: [WebhookDeliveryService, WebhookRefusalResponder],
})
export class WebhooksModule implements OnModuleInit {
  constructor(
    @Inject(webhookSecurityConfig.KEY)
    private readonly config: ConfigType<typeof webhookSecurityConfig>,
  ) {}

  onModuleInit(): void {
    if (this.config.loopbackOnly) {
      new Logger(WebhooksModule.name).warn(
        'No webhook protection is configured (KNOWLARITY_WEBHOOK_TOKEN, KNOWLARITY_WEBHOOK_SECRETS, ' +
          'KNOWLARITY_WEBHOOK_IP_ALLOWLIST): only loopback callers can deliver webhooks.',
      );
    }
  }
}
