import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export type WebhookEndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpointRecord {
  id: string;
  tenantId: string;
  /** Set: the endpoint receives only this consent's events. */
  consentId: string | null;
  url: string;
  description: string | null;
  /** Event types, or `*` for every type. */
  events: string[];
  status: WebhookEndpointStatus;
  disabledReason: string | null;
  disabledAt: Date | null;
  /** Sealed with the key ring, AAD = endpoint id. */
  secretEncrypted: string;
  previousSecretEncrypted: string | null;
  previousSecretExpiresAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const toRecord = (row: Prisma.WebhookEndpointGetPayload<object>): WebhookEndpointRecord => ({
  ...row,
  events: row.events ?? [],
});

/** A subscriber's endpoint. Tenant-owned: every tenant-facing method takes the tenant id. */
@Injectable()
export class WebhookEndpointRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(
    tx: Prisma.TransactionClient,
    tenantId: string,
    data: {
      id: string;
      url: string;
      description: string | null;
      events: string[];
      secretEncrypted: string;
      consentId?: string | null;
    },
  ): Promise<WebhookEndpointRecord> {
    return toRecord(await tx.webhookEndpoint.create({ data: { ...data, tenantId } }));
  }

  /** The tenant's endpoints of one scope: tenant-wide (consentId null) or one consent's. */
  async countForTenant(
    tenantId: string,
    tx: Prisma.TransactionClient = this.prisma,
    consentId: string | null = null,
  ): Promise<number> {
    return tx.webhookEndpoint.count({ where: { tenantId, consentId } });
  }

  async findForTenant(
    tenantId: string,
    id: string,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<WebhookEndpointRecord | null> {
    const row = await tx.webhookEndpoint.findFirst({ where: { id, tenantId } });
    return row ? toRecord(row) : null;
  }

  /** Keyset page in creation order. */
  async listForTenant(
    tenantId: string,
    page: { after?: { createdAt: Date; id: string }; limit: number; consentId?: string },
  ): Promise<WebhookEndpointRecord[]> {
    const rows = await this.prisma.webhookEndpoint.findMany({
      where: {
        tenantId,
        ...(page.consentId !== undefined ? { consentId: page.consentId } : {}),
        ...(page.after
          ? {
              OR: [
                { createdAt: { gt: page.after.createdAt } },
                { createdAt: page.after.createdAt, id: { gt: page.after.id } },
              ],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: page.limit,
    });
    return rows.map(toRecord);
  }

  async update(
    tx: Prisma.TransactionClient,
    tenantId: string,
    id: string,
    patch: {
      url?: string;
      description?: string | null;
      events?: string[];
      status?: WebhookEndpointStatus;
      disabledReason?: string | null;
      disabledAt?: Date | null;
      failingSince?: Date | null;
      secretEncrypted?: string;
      previousSecretEncrypted?: string | null;
      previousSecretExpiresAt?: Date | null;
    },
  ): Promise<WebhookEndpointRecord | null> {
    const { count } = await tx.webhookEndpoint.updateMany({ where: { id, tenantId }, data: patch });
    return count === 0 ? null : this.findForTenant(tenantId, id, tx);
  }

  /**
   * Deletes the endpoint and (cascade) its deliveries, attempts and lease. The cascade would lock the
   * deliveries in whatever order its scan meets them while the dispatcher records outcomes for some of
   * them in id order: a lock cycle Postgres ends by aborting one side. So the endpoint row is locked
   * first (no new delivery can reference it meanwhile), then its deliveries in id order, as every
   * multi-row delivery statement locks them; the cascade then finds them all held.
   */
  async delete(tx: Prisma.TransactionClient, tenantId: string, id: string): Promise<boolean> {
    const [found] = await tx.$queryRaw<
      Array<{ id: string }>
    >`SELECT id FROM webhook_endpoints WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
    if (!found) return false;
    await tx.$queryRaw`SELECT count(*)::int AS n FROM (SELECT 1 FROM webhook_deliveries WHERE endpoint_id = ${id} ORDER BY id FOR UPDATE) held`;
    const { count } = await tx.webhookEndpoint.deleteMany({ where: { id, tenantId } });
    return count > 0;
  }

  // ── dispatcher (a system actor working across tenants, by endpoint id) ──

  async findByIds(ids: string[]): Promise<WebhookEndpointRecord[]> {
    if (ids.length === 0) return [];
    return (await this.prisma.webhookEndpoint.findMany({ where: { id: { in: ids } } })).map(toRecord);
  }

  /** Endpoints that answered 2xx are healthy again. */
  async markHealthy(tx: Prisma.TransactionClient, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await tx.$executeRaw`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ANY(${ids}::text[]) AND failing_since IS NOT NULL`;
  }

  /**
   * Endpoints whose attempts failed start (or continue) a failing streak; returns those that have now
   * failed continuously for `disableAfterMs` and are still enabled.
   */
  async markFailing(
    tx: Prisma.TransactionClient,
    failures: { id: string; since: Date }[],
    disableAfterMs: number,
  ): Promise<{ id: string; failingSince: Date }[]> {
    if (failures.length === 0) return [];
    const ids = failures.map((f) => f.id);
    await tx.$executeRaw`
      UPDATE webhook_endpoints w SET failing_since = f.since
        FROM unnest(${ids}::text[], ${failures.map((f) => f.since)}::timestamptz[]) AS f(id, since)
       WHERE w.id = f.id AND w.failing_since IS NULL`;
    return tx.$queryRaw<{ id: string; failingSince: Date }[]>`
      SELECT id, failing_since AS "failingSince" FROM webhook_endpoints
       WHERE id = ANY(${ids}::text[]) AND status = 'enabled'
         AND failing_since <= now() - ${disableAfterMs} * interval '1 millisecond'`;
  }

  /** Disables enabled endpoints with a reason the tenant sees; returns the ones it changed. */
  async disable(
    tx: Prisma.TransactionClient,
    ids: string[],
    reason: string,
  ): Promise<{ id: string; tenantId: string; failingSince: Date | null }[]> {
    if (ids.length === 0) return [];
    return tx.$queryRaw<{ id: string; tenantId: string; failingSince: Date | null }[]>`
      UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = ${reason}, disabled_at = now(), updated_at = now()
       WHERE id = ANY(${ids}::text[]) AND status = 'enabled'
      RETURNING id, tenant_id AS "tenantId", failing_since AS "failingSince"`;
  }
}
