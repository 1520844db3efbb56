import { Inject, Injectable } from '@nestjs/common';
import pg from 'pg';
import type { ProviderCapabilities } from '@ais/domain';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

/** What a sync needs to know about its consent and provider. */
export interface SyncConsent {
  id: string;
  tenantId: string;
  providerId: string;
  endUserId: string | null;
  status: string;
  permissions: string[];
  /** YYYY-MM-DD, or null when the consent does not limit history. */
  transactionsFrom: string | null;
  expiresAt: Date;
  frequencyPerDay: number;
  authorisedAt: Date | null;
  lastSyncedAt: Date | null;
  nextSyncAt: Date | null;
  capabilities: ProviderCapabilities;
}

export interface DueConsent {
  id: string;
  tenantId: string;
  providerId: string;
}

const lit = pg.escapeLiteral;

/** A consent as `syncConsentStatement` reads it (node-postgres: timestamptz as Date, text[] as string[]). */
export interface SyncConsentRow {
  id: string;
  tenant_id: string;
  provider_id: string;
  end_user_id: string | null;
  status: string;
  permissions: string[];
  transactions_from: string | null;
  expires_at: Date;
  frequency_per_day: number;
  authorised_at: Date | null;
  last_synced_at: Date | null;
  next_sync_at: Date | null;
  capabilities: unknown;
}

/** The consent and its provider's capabilities, as one statement with literals (for a statement list). */
export const syncConsentStatement = (tenantId: string, consentId: string): string =>
  `SELECT c.id, c.tenant_id, c.provider_id, c.end_user_id, c.status::text AS status, c.permissions,
          c.transactions_from::text AS transactions_from, c.expires_at, c.frequency_per_day, c.authorised_at,
          c.last_synced_at, c.next_sync_at, p.capabilities
     FROM consents c JOIN providers p ON p.id = c.provider_id
    WHERE c.id = ${lit(consentId)} AND c.tenant_id = ${lit(tenantId)}`;

export const syncConsentOfRow = (row: SyncConsentRow): SyncConsent => ({
  id: row.id,
  tenantId: row.tenant_id,
  providerId: row.provider_id,
  endUserId: row.end_user_id,
  status: row.status,
  permissions: row.permissions,
  transactionsFrom: row.transactions_from,
  expiresAt: row.expires_at,
  frequencyPerDay: row.frequency_per_day,
  authorisedAt: row.authorised_at,
  lastSyncedAt: row.last_synced_at,
  nextSyncAt: row.next_sync_at,
  capabilities: row.capabilities as ProviderCapabilities,
});

/** Where a scheduled sync's window is anchored (see `SyncConsentRepository.windowAnchors`). */
export interface WindowAnchors {
  newestBooked: string | null;
  oldestOpenPending: string | null;
}

/** `SyncConsentRepository.windowAnchors` as one statement with literals (for a statement list). */
export const windowAnchorsStatement = (tenantId: string, consentId: string): string =>
  `SELECT max(b.booking_date)::text AS newest_booked, min(p.booking_date)::text AS oldest_open_pending
     FROM accounts a
     LEFT JOIN LATERAL (SELECT booking_date FROM transactions
                         WHERE account_id = a.id AND status = 'booked' AND removed_at IS NULL
                         ORDER BY booking_date DESC LIMIT 1) b ON true
     LEFT JOIN LATERAL (SELECT booking_date FROM transactions
                         WHERE account_id = a.id AND status = 'pending' AND removed_at IS NULL
                         ORDER BY booking_date LIMIT 1) p ON true
    WHERE a.consent_id = ${lit(consentId)} AND a.tenant_id = ${lit(tenantId)}`;

export const windowAnchorsOfRows = (
  rows: { newest_booked: string | null; oldest_open_pending: string | null }[],
): WindowAnchors => ({
  newestBooked: rows[0]?.newest_booked ?? null,
  oldestOpenPending: rows[0]?.oldest_open_pending ?? null,
});

/**
 * The consent as the sync sees it: loading it with its provider's capabilities, the schedule
 * (next_sync_at / last_synced_at) and the scheduler's claim of due consents. Lifecycle changes
 * (status) go through the consent-service and `RecordBankCondition` (libs/sync).
 */
@Injectable()
export class SyncConsentRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async load(
    tenantId: string,
    consentId: string,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<SyncConsent | null> {
    const [row] = await tx.$queryRawUnsafe<SyncConsentRow[]>(syncConsentStatement(tenantId, consentId));
    return row ? syncConsentOfRow(row) : null;
  }

  /**
   * Claims up to `limit` authorised, unexpired consents whose next sync is due, pushing their
   * next_sync_at to `leaseUntil` so no other scheduler takes them; the run's end sets the real next
   * time, and a lost job heals when the lease runs out. SKIP LOCKED lets schedulers run side by side.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<DueConsent[]> {
    return this.prisma.$queryRaw<DueConsent[]>`
      UPDATE consents c SET next_sync_at = ${leaseUntil}
        FROM (SELECT id FROM consents
               WHERE status = 'authorised' AND next_sync_at <= ${now} AND expires_at > ${now}
               ORDER BY next_sync_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) due
       WHERE c.id = due.id
      RETURNING c.id, c.tenant_id AS "tenantId", c.provider_id AS "providerId"`;
  }

  /**
   * Gives a claim back: the consent is due again at `retryAt`, unless its next_sync_at is no longer the
   * claim `claimedUntil` (a run ended and scheduled it since).
   */
  async releaseClaim(tenantId: string, consentId: string, claimedUntil: Date, retryAt: Date): Promise<void> {
    await this.prisma.consent.updateMany({
      where: { id: consentId, tenantId, status: 'authorised', nextSyncAt: claimedUntil },
      data: { nextSyncAt: retryAt },
    });
  }

  /** Sets when the consent is next synced (null: never, e.g. after it ended). */
  async scheduleNext(
    tx: Prisma.TransactionClient,
    tenantId: string,
    consentId: string,
    at: Date | null,
  ): Promise<void> {
    await tx.consent.updateMany({ where: { id: consentId, tenantId, status: 'authorised' }, data: { nextSyncAt: at } });
  }

  /**
   * Forgets how far back the consent's accounts have their history stored (accounts.backfilled_from),
   * so that syncs read the full history again until every account has it (a full refresh, a
   * re-authorisation); an unattended read goes on chunk by chunk across runs, as a first sync does.
   */
  async restartBackfill(tenantId: string, consentId: string): Promise<void> {
    await this.prisma.account.updateMany({ where: { consentId, tenantId }, data: { backfilledFrom: null } });
  }

  /**
   * Where a scheduled sync's window is anchored, from one entry per account and question: the newest
   * booking date of the consent's booked transactions held (the (account, status, booking date)
   * index), and the oldest of its open pending ones, which must stay in the window (the partial index
   * of open pending rows, transactions_open_pending_idx: neither the booked history nor the pending
   * items booked since, removed and kept, are read). A join filtered by tenant let the planner, with
   * statistics older than a large first sync, intersect the tenant's whole index with the account's
   * (150 ms a run at 270,000 rows).
   */
  async windowAnchors(tenantId: string, consentId: string): Promise<WindowAnchors> {
    return windowAnchorsOfRows(await this.prisma.$queryRawUnsafe(windowAnchorsStatement(tenantId, consentId)));
  }
}
