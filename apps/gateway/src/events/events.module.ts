import { Module } from '@nestjs/common';
import { EventsController } from './events.controller.js';
import { EventsService } from './events.service.js';

/** GET /v1/events: the tenant's event log (repositories come from the global DbModule). */
@Module({ controllers: [EventsController], providers: [EventsService] })
export class EventsModule {}
