import { Module } from '@nestjs/common';
import { TargetPolicy } from '@ais/webhooks';
import { GATEWAY_CONFIG, type GatewayConfig } from '../gateway.config.js';
import { AdminWebhookDeliveriesController } from './admin-webhook-deliveries.controller.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Tenants' webhook endpoints and delivery logs, and the operators' view of deliveries. */
@Module({
  controllers: [WebhooksController, AdminWebhookDeliveriesController],
  providers: [
    WebhooksService,
    {
      provide: TargetPolicy,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig) => new TargetPolicy(config.webhooks.allowedPrivateTargets),
    },
  ],
  // POST /v1/consents creates the endpoint `webhookUrl` asks for.
  exports: [WebhooksService],
})
export class WebhooksModule {}
