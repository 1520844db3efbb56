import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface WebhookDeliveryRecord {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** Null once the event has aged out of the event log. */
  eventType: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastResponseStatus: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  succeededAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookAttemptRecord {
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  responseStatus: number | null;
  error: string | null;
}

const DELIVERY_COLUMNS = Prisma.sql`
  d.id, d.tenant_id AS "tenantId", d.endpoint_id AS "endpointId", d.event_id AS "eventId", ev.type AS "eventType",
  d.status::text AS status, d.attempts, d.next_attempt_at AS "nextAttemptAt", d.last_attempt_at AS "lastAttemptAt",
  d.last_response_status AS "lastResponseStatus", d.last_error AS "lastError", d.last_latency_ms AS "lastLatencyMs",
  d.succeeded_at AS "succeededAt", d.created_at AS "createdAt", d.updated_at AS "updatedAt"`;

/**
 * Deliveries: one per (endpoint, event). Tenant-facing methods take the tenant id. The dispatcher's hot
 * path (claim, record) is WebhookDispatchRepository.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  // ── tenant ──

  /** The endpoint's delivery log, newest event first (event ids sort by time), keyset on event id. */
  async listForEndpoint(
    tenantId: string,
    endpointId: string,
    page: { status?: WebhookDeliveryStatus; beforeEventId?: string; limit: number },
  ): Promise<WebhookDeliveryRecord[]> {
    return this.prisma.$queryRaw<WebhookDeliveryRecord[]>`
      SELECT ${DELIVERY_COLUMNS}
        FROM webhook_deliveries d LEFT JOIN events ev ON ev.id = d.event_id
       WHERE d.tenant_id = ${tenantId} AND d.endpoint_id = ${endpointId}
         ${page.status ? Prisma.sql`AND d.status = ${page.status}::"WebhookDeliveryStatus"` : Prisma.empty}
         ${page.beforeEventId ? Prisma.sql`AND d.event_id < ${page.beforeEventId}` : Prisma.empty}
       ORDER BY d.event_id DESC
       LIMIT ${page.limit}`;
  }

  async findForTenant(
    tenantId: string,
    endpointId: string,
    id: string,
  ): Promise<(WebhookDeliveryRecord & { attemptLog: WebhookAttemptRecord[] }) | null> {
    const [row] = await this.prisma.$queryRaw<WebhookDeliveryRecord[]>`
      SELECT ${DELIVERY_COLUMNS}
        FROM webhook_deliveries d LEFT JOIN events ev ON ev.id = d.event_id
       WHERE d.id = ${id} AND d.tenant_id = ${tenantId} AND d.endpoint_id = ${endpointId}`;
    if (!row) return null;
    const attemptLog: WebhookAttemptRecord[] = await this.prisma.webhookAttempt.findMany({
      where: { deliveryId: id },
      orderBy: { attempt: 'asc' },
      select: { attempt: true, startedAt: true, latencyMs: true, responseStatus: true, error: true },
    });
    // A first-attempt success has no log row (recordOutcomes): its delivery row is that attempt.
    if (attemptLog.length === 0 && row.attempts === 1 && row.lastAttemptAt) {
      attemptLog.push({
        attempt: 1,
        startedAt: row.lastAttemptAt,
        latencyMs: row.lastLatencyMs ?? 0,
        responseStatus: row.lastResponseStatus,
        error: row.lastError,
      });
    }
    return { ...row, attemptLog };
  }

  /**
   * Manual retry. A finished delivery gets one more attempt now (not rescheduled if it fails); a
   * pending one waiting for its next attempt is brought forward.
   */
  async retry(tenantId: string, endpointId: string, id: string): Promise<WebhookDeliveryRecord | null> {
    const [row] = await this.prisma.$queryRaw<WebhookDeliveryRecord[]>`
      WITH upd AS (
        UPDATE webhook_deliveries
           SET manual_retry = manual_retry OR status <> 'pending', status = 'pending', next_attempt_at = now(), updated_at = now()
         WHERE id = ${id} AND tenant_id = ${tenantId} AND endpoint_id = ${endpointId}
        RETURNING *
      )
      SELECT ${DELIVERY_COLUMNS} FROM upd d LEFT JOIN events ev ON ev.id = d.event_id`;
    return row ?? null;
  }

  /**
   * Ends every pending delivery of disabled endpoints: visibly failed, with the reason. Locks them in
   * id order first, as every multi-row delivery statement does (no lock cycle with the dispatcher).
   */
  async failPending(tx: Prisma.TransactionClient, endpointIds: string[], reason: string): Promise<number> {
    if (endpointIds.length === 0) return 0;
    return tx.$executeRaw`
      WITH locked AS (
        SELECT id FROM webhook_deliveries WHERE endpoint_id = ANY(${endpointIds}::text[]) AND status = 'pending' ORDER BY id FOR UPDATE
      )
      UPDATE webhook_deliveries d SET status = 'failed', next_attempt_at = NULL, last_error = ${reason}, updated_at = now()
        FROM locked WHERE d.id = locked.id AND d.status = 'pending'`;
  }

  // ── operators ──

  async list(filter: {
    status?: WebhookDeliveryStatus;
    tenantId?: string;
    beforeId?: string;
    limit: number;
  }): Promise<WebhookDeliveryRecord[]> {
    return this.prisma.$queryRaw<WebhookDeliveryRecord[]>`
      SELECT ${DELIVERY_COLUMNS}
        FROM webhook_deliveries d LEFT JOIN events ev ON ev.id = d.event_id
       WHERE TRUE
         ${filter.status ? Prisma.sql`AND d.status = ${filter.status}::"WebhookDeliveryStatus"` : Prisma.empty}
         ${filter.tenantId ? Prisma.sql`AND d.tenant_id = ${filter.tenantId}` : Prisma.empty}
         ${filter.beforeId ? Prisma.sql`AND d.id < ${filter.beforeId}` : Prisma.empty}
       ORDER BY d.id DESC
       LIMIT ${filter.limit}`;
  }

  // ── retention ──

  /**
   * Deletes finished deliveries whose id sorts before `beforeId` (ULIDs: made before then), at most
   * `batch`. Locks them in id order and skips any another statement holds (a manual retry, a
   * deletion): retention never waits, and never joins a lock cycle.
   */
  async pruneFinished(beforeId: string, batch: number): Promise<number> {
    return this.prisma.$executeRaw`
      WITH victims AS (
        SELECT id FROM webhook_deliveries WHERE id IN (
          SELECT id FROM webhook_deliveries WHERE status = 'succeeded' AND id < ${beforeId}
          UNION ALL
          SELECT id FROM webhook_deliveries WHERE status = 'failed' AND id < ${beforeId}
          LIMIT ${batch})
        ORDER BY id FOR UPDATE SKIP LOCKED
      )
      DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM victims)`;
  }
}
