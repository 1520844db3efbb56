import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../auth/decorators.js';
import { PageView } from '@ais/http-kit';
import { AdminDeliveryListQueryDto, AdminDeliveryView } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('Admin: webhooks')
@AdminAuth()
@Controller('admin/webhooks/deliveries')
export class AdminWebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({
    summary: 'Deliveries across tenants, newest first; e.g. ?status=failed to see what subscribers did not get.',
  })
  @ApiOkResponse({ description: 'Newest first, across tenants.', type: PageView(AdminDeliveryView) })
  list(@Query() query: AdminDeliveryListQueryDto) {
    return this.webhooks.listDeliveriesAcrossTenants(query);
  }
}
