import { Module } from '@nestjs/common';
import { LeadsModule } from '../leads/leads.module';
import { KnowlarityWebhookController } from './knowlarity-webhook.controller';
import { WebhookDeliveryService } from './webhook-delivery.service';

@Module({
  imports: [LeadsModule],
  controllers: [KnowlarityWebhookController],
  providers: [WebhookDeliveryService],
})
export class WebhooksModule {}
