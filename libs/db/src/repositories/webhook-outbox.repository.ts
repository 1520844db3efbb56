import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

import { READ_HORIZON_SQL } from '../read-horizon.js';

/** The outbox's read horizon is the shared one (see read-horizon.ts). */
export const OUTBOX_HORIZON_SQL = READ_HORIZON_SQL;
export const OUTBOX_HORIZON = Prisma.raw(OUTBOX_HORIZON_SQL);

/**
 * The outbox around the relay (WebhookDispatchRepository.relay, which reads in (xid, seq) order below
 * OUTBOX_HORIZON: a cursor advancing through it never skips an event that commits late, and never
 * sees one whose data has not committed, the event being written in the data's own transaction): the
 * relay's lag, and the retention sweep of events it has passed.
 */
@Injectable()
export class WebhookOutboxRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * Seconds since the oldest event the relay has not passed yet was written (0 when caught up): the
   * first event past the cursor, one probe of the (xid, seq) index (a lateral subquery, so it cannot
   * be planned as a scan of the event log).
   */
  async lagSeconds(name: string): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ lag: number | null }[]>`
      SELECT extract(epoch FROM now() - e.created_at)::float8 AS lag
        FROM outbox_cursors c
        CROSS JOIN LATERAL (
          SELECT e.created_at FROM events e
           WHERE (e.xid, e.seq) > (c.xid, c.seq)
           ORDER BY e.xid, e.seq LIMIT 1) e
       WHERE c.name = ${name}`;
    return Math.max(0, row?.lag ?? 0);
  }

  /** Deletes events older than `cutoff` that the relay has passed, at most `batch` at a time. */
  async pruneEvents(name: string, cutoff: Date, batch: number): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM events WHERE id IN (
        SELECT e.id FROM events e, outbox_cursors c
         WHERE c.name = ${name} AND e.created_at < ${cutoff} AND (e.xid, e.seq) <= (c.xid, c.seq)
         LIMIT ${batch})`;
  }
}
