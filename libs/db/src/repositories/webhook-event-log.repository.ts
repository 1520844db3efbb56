import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { OUTBOX_HORIZON } from './webhook-outbox.repository.js';

export interface EventLogRecord {
  id: string;
  xid: bigint;
  seq: bigint;
  type: string;
  data: unknown;
  createdAt: Date;
}

/**
 * The tenant's event log (GET /v1/events): the same events, ids and order as the webhooks. Like the
 * outbox relay it reads in (xid, seq) order below OUTBOX_HORIZON, so a position in the log is
 * stable: no event can later appear before a position a reader has passed.
 */
@Injectable()
export class EventLogRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async findForTenant(tenantId: string, id: string): Promise<EventLogRecord | null> {
    const [row] = await this.prisma.$queryRaw<EventLogRecord[]>`
      SELECT id, xid, seq, type, data, created_at AS "createdAt" FROM events WHERE id = ${id} AND tenant_id = ${tenantId}`;
    return row ?? null;
  }

  async listForTenant(
    tenantId: string,
    page: { after?: { xid: bigint; seq: bigint }; types?: string[]; limit: number },
  ): Promise<EventLogRecord[]> {
    const after = page.after ?? { xid: -1n, seq: -1n };
    const types = page.types ?? [];
    return this.prisma.$queryRaw<EventLogRecord[]>`
      SELECT id, xid, seq, type, data, created_at AS "createdAt"
        FROM events
       WHERE tenant_id = ${tenantId}
         ${types.length === 1 ? Prisma.sql`AND type = ${types[0]}` : types.length > 1 ? Prisma.sql`AND type = ANY(${types}::text[])` : Prisma.empty}
         AND (xid, seq) > (${after.xid}, ${after.seq})
         AND xid < ${OUTBOX_HORIZON}
       ORDER BY xid, seq
       LIMIT ${page.limit}`;
  }
}
