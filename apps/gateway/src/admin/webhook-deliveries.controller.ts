import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { WebhookDeliveryRepository } from '@ais/db';
import { DEFAULT_PAGE_LIMIT, decodeCursor, encodeCursor, toPage } from '@ais/http-kit';
import { AdminAuth } from '../auth/decorators.js';
import { DeliveryView } from '../webhooks/dto/webhook.dto.js';
import { deliveryView } from '../webhooks/webhooks.service.js';
import { AdminDeliveryListQueryDto } from './webhook-deliveries.dto.js';

@ApiTags('Admin: webhooks')
@AdminAuth()
@Controller('admin/webhooks/deliveries')
export class AdminWebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveryRepository) {}

  @Get()
  @ApiOperation({ summary: 'Deliveries across tenants, newest first; e.g. ?status=failed to see what subscribers did not get.' })
  @ApiOkResponse({ description: '{ data: Delivery (+ tenantId)[], nextCursor }', type: [DeliveryView] })
  async list(@Query() query: AdminDeliveryListQueryDto) {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = decodeCursor<{ i: string }>('admin-webhook-deliveries', query.cursor, ['i']);
    const rows = await this.deliveries.list({ status: query.status, tenantId: query.tenantId, beforeId: before?.i, limit: limit + 1 });
    return toPage(rows, limit, (d) => ({ tenantId: d.tenantId, ...deliveryView(d) }), (d) => encodeCursor('admin-webhook-deliveries', { i: d.id }));
  }
}
