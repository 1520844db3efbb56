import { Injectable } from '@nestjs/common';
import { EventLogRepository, type EventLogRecord } from '@ais/db';
import { AppError } from '@ais/domain';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage } from '@ais/http-kit';
import type { EventListQueryDto } from './dto/event.dto.js';

export const eventView = (e: EventLogRecord) => ({
  id: e.id,
  type: e.type,
  createdAt: e.createdAt.toISOString(),
  data: e.data,
});

const EVENTS = defineCursor('events', { x: cursorFields.bigint, s: cursorFields.bigint });

/**
 * GET /v1/events: the tenant's event log, oldest first, for replay and reconciliation. A position
 * (an event id in `after`, or `nextCursor`) is stable: events are listed only once every transaction
 * that could still add one before them has finished.
 */
@Injectable()
export class EventsService {
  constructor(
    private readonly log: EventLogRepository,
    private readonly cursors: CursorCodec,
  ) {}

  async list(tenantId: string, query: EventListQueryDto) {
    if (query.after !== undefined && query.cursor !== undefined) {
      throw AppError.validation([{ field: 'after', message: 'use either after or cursor, not both' }]);
    }
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const position = this.cursors.decode(EVENTS, query.cursor);
    let after = position && { xid: position.x, seq: position.s };
    if (query.after !== undefined) {
      const event = await this.log.findForTenant(tenantId, query.after);
      if (!event) throw AppError.notFound('Event');
      after = { xid: event.xid, seq: event.seq };
    }
    const types = query.type ? [...new Set(query.type.split(','))] : undefined;
    const rows = await this.log.listForTenant(tenantId, { after, types, limit: limit + 1 });
    return toPage(rows, limit, eventView, (e) => this.cursors.encode(EVENTS, { x: e.xid, s: e.seq }));
  }

  async get(tenantId: string, id: string) {
    const event = await this.log.findForTenant(tenantId, id);
    if (!event) throw AppError.notFound('Event');
    return eventView(event);
  }
}
