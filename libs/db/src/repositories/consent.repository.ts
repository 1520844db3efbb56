import { Inject, Injectable } from '@nestjs/common';
import type { ConsentAccountReference, ConsentStatus } from '@ais/domain';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { keysetAfter } from '../keyset.js';

export interface ConsentRecord {
  id: string;
  tenantId: string;
  providerId: string;
  endUserId: string | null;
  status: ConsentStatus;
  permissions: string[];
  transactionsFrom: Date | null;
  expiresAt: Date;
  frequencyPerDay: number;
  redirectUri: string;
  tenantState: string | null;
  metadata: Record<string, string>;
  /** Dedicated-account consent: the accounts the tenant named; null: the PSU picks them at the bank. */
  namedAccounts: ConsentAccountReference[] | null;
  externalId: string | null;
  authorisedAt: Date | null;
  revokedAt: Date | null;
  lastSyncedAt: Date | null;
  nextSyncAt: Date | null;
  expiringNotifiedAt: Date | null;
  failureCode: string | null;
  failureDetail: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConsentListFilter {
  status?: ConsentStatus;
  providerId?: string;
  endUserId?: string;
  before?: { createdAt: Date; id: string };
  limit: number;
}

export interface NewConsent {
  id: string;
  tenantId: string;
  providerId: string;
  endUserId: string | null;
  permissions: string[];
  transactionsFrom: Date;
  expiresAt: Date;
  frequencyPerDay: number;
  redirectUri: string;
  tenantState: string | null;
  metadata: Record<string, string>;
  namedAccounts?: readonly ConsentAccountReference[] | null;
  externalId: string;
}

const toRecord = (row: Prisma.ConsentGetPayload<object>): ConsentRecord => ({
  ...row,
  metadata: (row.metadata ?? {}) as Record<string, string>,
  namedAccounts: (row.namedAccounts ?? null) as ConsentAccountReference[] | null,
});

/** Consents: every method of a tenant's consent takes the tenant id. */
@Injectable()
export class ConsentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(tx: Prisma.TransactionClient, data: NewConsent): Promise<ConsentRecord> {
    const { namedAccounts, ...rest } = data;
    return toRecord(
      await tx.consent.create({
        data: {
          ...rest,
          metadata: data.metadata,
          ...(namedAccounts ? { namedAccounts: namedAccounts.map((a) => ({ ...a })) } : {}),
        },
      }),
    );
  }

  async findForTenant(
    tenantId: string,
    id: string,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<ConsentRecord | null> {
    const row = await tx.consent.findFirst({ where: { id, tenantId } });
    return row ? toRecord(row) : null;
  }

  /** Locks the consent row for the rest of the transaction (lifecycle changes are serialised per consent). */
  async lockForTenant(tx: Prisma.TransactionClient, tenantId: string, id: string): Promise<ConsentRecord | null> {
    const locked = await tx.$queryRaw<
      Array<{ id: string }>
    >`SELECT id FROM consents WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
    if (locked.length === 0) return null;
    return this.findForTenant(tenantId, id, tx);
  }

  /** Newest first, keyset on (created_at, id) — served by consents_tenant_id_created_at_id_idx and its filtered siblings. */
  async list(tenantId: string, filter: ConsentListFilter): Promise<ConsentRecord[]> {
    const rows = await this.prisma.consent.findMany({
      where: {
        tenantId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.providerId ? { providerId: filter.providerId } : {}),
        ...(filter.endUserId ? { endUserId: filter.endUserId } : {}),
        ...(filter.before ? keysetAfter('createdAt', filter.before.createdAt, 'id', filter.before.id, 'desc') : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filter.limit,
    });
    return rows.map(toRecord);
  }

  async update(
    tx: Prisma.TransactionClient,
    tenantId: string,
    id: string,
    data: Prisma.ConsentUpdateManyMutationInput,
  ): Promise<ConsentRecord> {
    const { count } = await tx.consent.updateMany({
      where: { id, tenantId },
      data: { ...data, version: { increment: 1 } },
    });
    if (count !== 1) throw new Error(`consent ${id} of tenant ${tenantId} not found for update`);
    return (await this.findForTenant(tenantId, id, tx))!;
  }

  /** System paths (the bank callback, maintenance) look a consent up by id, then act with its tenant id. */
  async findTenantOf(id: string): Promise<string | null> {
    return (await this.prisma.consent.findUnique({ where: { id }, select: { tenantId: true } }))?.tenantId ?? null;
  }

  async dueForExpiringNotice(before: Date, limit: number): Promise<Array<{ id: string; tenantId: string }>> {
    return this.prisma.consent.findMany({
      where: { status: 'authorised', expiresAt: { lte: before }, expiringNotifiedAt: null },
      select: { id: true, tenantId: true },
      take: limit,
    });
  }

  /**
   * Claims up to `limit` authorised consents whose bank status check is due and moves each one's next
   * check one interval on (the provider's `consentStatusCheckSeconds`, ±10 %: nextConsentStatusCheckAt),
   * in one statement: concurrent consent-service instances never claim the same consent (SKIP LOCKED),
   * and a crash between the claim and the bank call only delays that check by one interval. A consent
   * whose provider is not polled (null interval) leaves the cycle. Rows locked by a running sync are
   * skipped this tick.
   */
  async claimDueStatusChecks(
    now: Date,
    limit: number,
  ): Promise<Array<{ id: string; tenantId: string; providerId: string; externalId: string | null }>> {
    return this.prisma.$queryRaw`
      WITH due AS (
        SELECT c.id FROM consents c
         WHERE c.status = 'authorised' AND c.next_status_check_at <= ${now}
         ORDER BY c.next_status_check_at
         LIMIT ${limit}
           FOR UPDATE OF c SKIP LOCKED
      ), intervals AS (
        SELECT due.id,
               CASE WHEN jsonb_typeof(p.capabilities -> 'consentStatusCheckSeconds') = 'number'
                    THEN (p.capabilities ->> 'consentStatusCheckSeconds')::int
               END AS seconds
          FROM due JOIN consents c ON c.id = due.id JOIN providers p ON p.id = c.provider_id
      )
      UPDATE consents c
         SET status_checked_at = ${now},
             next_status_check_at = ${now}::timestamptz + make_interval(secs => i.seconds * (0.9 + 0.2 * random()))
        FROM intervals i
       WHERE c.id = i.id
      RETURNING c.id, c.tenant_id AS "tenantId", c.provider_id AS "providerId", c.external_id AS "externalId"`;
  }

  async lapsed(now: Date, limit: number): Promise<Array<{ id: string; tenantId: string }>> {
    return this.prisma.consent.findMany({
      where: { status: { in: ['authorised', 'awaiting_authorisation'] }, expiresAt: { lte: now } },
      select: { id: true, tenantId: true },
      take: limit,
    });
  }
}
