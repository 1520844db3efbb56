import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { TenantPrincipal } from '@ais/auth';
import { PageView } from '@ais/http-kit';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { tenantContext } from '../auth/request-context.js';
import { EventEnvelopeView } from '../events/dto/event.dto.js';
import {
  CreateWebhookDto,
  DeliveryDetailView,
  DeliveryListQueryDto,
  DeliveryView,
  EmptyBodyDto,
  UpdateWebhookDto,
  WebhookListQueryDto,
  WebhookView,
  WebhookWithSecretView,
} from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

export const WEBHOOKS_DESCRIPTION = [
  'Deliveries are signed per Standard Webhooks: headers `webhook-id` (the event id, the same on every attempt and in GET /v1/events),',
  '`webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}"`',
  'keyed with the base64-decoded part of the `whsec_` secret>`; two space-separated signatures while a rotated-out secret is still valid).',
  'Reject timestamps more than 5 minutes away from your clock.',
  'A 2xx within 15 s is a success; anything else (including redirects, which are not followed) is retried after about',
  '5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (plus up to 20% jitter), then the delivery is marked failed.',
  '`410 Gone` disables the endpoint at once; an endpoint that fails every attempt for 5 days is disabled; `disabledReason` says why.',
  'Delivery is at least once: deduplicate on `webhook-id`.',
  'Order: per endpoint, first attempts start in the order of the event log (GET /v1/events), one request at a time, so a healthy',
  'endpoint (answering 2xx) receives events in that order. A failed delivery waits for its retry without holding back later events,',
  'so retries, and duplicates after a crash on our side, can arrive out of order.',
].join(' ');

@ApiTags('Webhooks')
@TenantAuth()
@ApiExtraModels(EventEnvelopeView)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a webhook endpoint; its signing secret is shown once.',
    description: WEBHOOKS_DESCRIPTION,
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView })
  create(@Body() body: CreateWebhookDto, @Principal() principal: TenantPrincipal, @Req() req: FastifyRequest) {
    return this.webhooks.create(tenantContext(principal, req), body);
  }

  @Get()
  @ApiOkResponse({ description: 'In creation order.', type: PageView(WebhookView) })
  list(@Query() query: WebhookListQueryDto, @Principal() principal: TenantPrincipal) {
    return this.webhooks.list(principal.tenantId, query);
  }

  @Get(':webhookId')
  @ApiOkResponse({ type: WebhookView })
  get(@Param('webhookId') id: string, @Principal() principal: TenantPrincipal) {
    return this.webhooks.get(principal.tenantId, id);
  }

  @Patch(':webhookId')
  @ApiOperation({ summary: 'Change the URL, event types or description; disable or re-enable.' })
  @ApiOkResponse({ type: WebhookView })
  update(
    @Param('webhookId') id: string,
    @Body() body: UpdateWebhookDto,
    @Principal() principal: TenantPrincipal,
    @Req() req: FastifyRequest,
  ) {
    return this.webhooks.update(tenantContext(principal, req), id, body);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its delivery log.' })
  async remove(@Param('webhookId') id: string, @Principal() principal: TenantPrincipal, @Req() req: FastifyRequest) {
    await this.webhooks.remove(tenantContext(principal, req), id);
  }

  @Post(':webhookId/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Issue a new signing secret (shown once). The old one keeps signing alongside it for 24 hours.',
    description: 'During that window webhook-signature carries two signatures; accept a delivery when either verifies.',
  })
  @ApiOkResponse({ type: WebhookWithSecretView })
  rotate(
    @Param('webhookId') id: string,
    @Body() _body: EmptyBodyDto,
    @Principal() principal: TenantPrincipal,
    @Req() req: FastifyRequest,
  ) {
    return this.webhooks.rotateSecret(tenantContext(principal, req), id);
  }

  @Post(':webhookId/test')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a webhook.test event to this endpoint through the normal pipeline (signed, retried, logged).',
    description: 'The event appears in GET /v1/events and in this endpoint’s deliveries under the returned id.',
  })
  @ApiAcceptedResponse({ schema: { $ref: getSchemaPath(EventEnvelopeView) } })
  test(
    @Param('webhookId') id: string,
    @Body() _body: EmptyBodyDto,
    @Principal() principal: TenantPrincipal,
    @Req() req: FastifyRequest,
  ) {
    return this.webhooks.sendTest(tenantContext(principal, req), id);
  }

  @Get(':webhookId/deliveries')
  @ApiOperation({ summary: 'The delivery log: newest event first.' })
  @ApiOkResponse({ description: 'Newest first.', type: PageView(DeliveryView) })
  deliveries(
    @Param('webhookId') id: string,
    @Query() query: DeliveryListQueryDto,
    @Principal() principal: TenantPrincipal,
  ) {
    return this.webhooks.listDeliveries(principal.tenantId, id, query);
  }

  @Get(':webhookId/deliveries/:deliveryId')
  @ApiOperation({ summary: 'One delivery with every attempt.' })
  @ApiOkResponse({ type: DeliveryDetailView })
  delivery(
    @Param('webhookId') id: string,
    @Param('deliveryId') deliveryId: string,
    @Principal() principal: TenantPrincipal,
  ) {
    return this.webhooks.getDelivery(principal.tenantId, id, deliveryId);
  }

  @Post(':webhookId/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Attempt a delivery again now.',
    description:
      'A failed or succeeded delivery gets one more attempt (not rescheduled if it fails); a pending one is brought forward.',
  })
  @ApiAcceptedResponse({ type: DeliveryView })
  retry(
    @Param('webhookId') id: string,
    @Param('deliveryId') deliveryId: string,
    @Body() _body: EmptyBodyDto,
    @Principal() principal: TenantPrincipal,
    @Req() req: FastifyRequest,
  ) {
    return this.webhooks.retryDelivery(tenantContext(principal, req), id, deliveryId);
  }
}
