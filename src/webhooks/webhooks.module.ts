import { Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { webhookSecurityConfig } from '../config';
import { IngestModule } from '../ingest/ingest.module';
import { KnowlarityModule } from '../knowlarity/knowlarity.module';
import { WebhookIpAllowlistGuard } from './guards/webhook-ip-allowlist.guard';
import { WebhookSignatureGuard } from './guards/webhook-signature.guard';
import { WebhookThrottlerGuard } from './guards/webhook-throttler.guard';
import { WebhookTokenGuard } from './guards/webhook-token.guard';
import { KnowlarityWebhookController } from './knowlarity-webhook.controller';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { configuredSecretsProvider } from '../config/secrets';
import { RefusalBudget } from './refusal-budget';
import { WebhookRefusalResponder } from './webhook-refusal.responder';

@Module({
  imports: [IngestModule, KnowlarityModule],
  // The deliveries controller first: its static path must win over the `:token` route.
  controllers: [WebhookDeliveriesController, KnowlarityWebhookController],
  providers: [
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
