import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { TenantPrincipal } from '@ais/auth';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { EVENT_SCHEMAS, EventEnvelopeView, EventListQueryDto, EventListView } from './dto/event.dto.js';
import { EventsService } from './events.service.js';

@ApiTags('Events')
@TenantAuth()
@ApiExtraModels(EventEnvelopeView, EventListView, ...EVENT_SCHEMAS)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary: 'The event log: the same events (and ids) as the webhooks, oldest first, kept at least 30 days.',
    description:
      'Replay or reconcile after missed deliveries: start without `after`, then pass the id of the last event you processed ' +
      '(or follow `nextCursor`). Positions are stable: an event that commits late never appears before a position you have passed. ' +
      'One schema per event type is in the components (e.g. TransactionsAddedEvent).',
  })
  @ApiOkResponse({ schema: { $ref: getSchemaPath(EventListView) } })
  list(@Query() query: EventListQueryDto, @Principal() principal: TenantPrincipal) {
    return this.events.list(principal.tenantId, query);
  }

  @Get(':eventId')
  @ApiOkResponse({ schema: { $ref: getSchemaPath(EventEnvelopeView) } })
  get(@Param('eventId') id: string, @Principal() principal: TenantPrincipal) {
    return this.events.get(principal.tenantId, id);
  }
}
