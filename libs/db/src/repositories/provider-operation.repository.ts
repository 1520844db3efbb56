import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';

/** Operations that use the gateway's registration at a bank (see ProviderOperation in schema.prisma). */
export type ProviderOperationKind =
  'consent_creation' | 'code_exchange' | 'token_refresh' | 'data_call' | 'registration' | 're_registration';
export type RegistrationRejection = 'registration' | 'certificate';

export interface ProviderOperationEntry {
  providerId: string;
  operation: ProviderOperationKind;
  outcome: 'succeeded' | 'failed';
  errorCode?: string | null;
  rejected?: RegistrationRejection | null;
  detail?: string | null;
  at?: Date;
}

/** Outcomes of one provider's operations of one kind since a bound, grouped by outcome and error code. */
export interface ProviderOperationGroup {
  providerId: string;
  operation: ProviderOperationKind;
  outcome: 'succeeded' | 'failed';
  errorCode: string | null;
  count: number;
  lastAt: Date;
}

/** A provider whose bank rejects our registration or certificate, and has not accepted it since. */
export interface ProviderRejection {
  providerId: string;
  /** The first rejection after the last operation that succeeded with the registration. */
  since: Date;
  lastAt: Date;
  rejected: RegistrationRejection;
  /** What the bank said the last time (operators only). */
  detail: string | null;
  /** The last automatic re-registration since then: when and how it went. */
  lastReregistrationAt: Date | null;
  lastReregistrationOutcome: 'succeeded' | 'failed' | null;
}

const MAX_DETAIL_CHARS = 500;
/** Rows older than this are pruned: health looks back 24 h, the rejection state a little further. */
export const PROVIDER_OPERATION_RETENTION_MS = 7 * 24 * 3_600_000;

/** Operations whose success shows the bank accepts our registration again. */
const ACCEPTING = ['consent_creation', 'code_exchange', 'token_refresh', 'registration'];

/**
 * provider_operations: written by the connector-service as the operations end, read by the gateway's
 * provider health. One row per consent creation, code exchange, token refresh and (re-)registration;
 * data calls only when the bank rejected our registration (the sync runs say the rest).
 */
@Injectable()
export class ProviderOperationRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async record(entry: ProviderOperationEntry): Promise<void> {
    await this.prisma.providerOperation.create({
      data: {
        providerId: entry.providerId,
        operation: entry.operation,
        outcome: entry.outcome,
        errorCode: entry.errorCode ?? null,
        rejected: entry.rejected ?? null,
        detail: entry.detail ? entry.detail.slice(0, MAX_DETAIL_CHARS) : null,
        ...(entry.at ? { at: entry.at } : {}),
      },
    });
  }

  async prune(before: Date): Promise<number> {
    return this.prisma.$executeRaw`DELETE FROM provider_operations WHERE at < ${before}`;
  }

  /** Every provider's operations since `since`, by kind, outcome and error code (a range on (provider_id, at)). */
  async groupsSince(since: Date): Promise<ProviderOperationGroup[]> {
    return this.prisma.$queryRaw<ProviderOperationGroup[]>`
      SELECT provider_id AS "providerId", operation, outcome, error_code AS "errorCode", count(*)::int AS count, max(at) AS "lastAt"
        FROM provider_operations
       WHERE at >= ${since}
       GROUP BY provider_id, operation, outcome, error_code`;
  }

  /**
   * Providers whose bank rejected our registration or certificate after the last operation that
   * succeeded with it (a consent creation, code exchange, token refresh or an explicit onboarding).
   */
  async rejections(): Promise<ProviderRejection[]> {
    return this.prisma.$queryRaw<ProviderRejection[]>`
      WITH accepted AS (
        SELECT provider_id, max(at) AS at FROM provider_operations
         WHERE outcome = 'succeeded' AND operation = ANY(${ACCEPTING}::text[])
         GROUP BY provider_id),
      rejected AS (
        SELECT o.provider_id, min(o.at) AS since, max(o.at) AS last_at
          FROM provider_operations o LEFT JOIN accepted a ON a.provider_id = o.provider_id
         WHERE o.rejected IS NOT NULL AND (a.at IS NULL OR o.at > a.at)
         GROUP BY o.provider_id)
      SELECT r.provider_id AS "providerId", r.since, r.last_at AS "lastAt", l.rejected, l.detail,
             rr.at AS "lastReregistrationAt", rr.outcome AS "lastReregistrationOutcome"
        FROM rejected r
        JOIN LATERAL (
          SELECT rejected, detail FROM provider_operations
           WHERE provider_id = r.provider_id AND rejected IS NOT NULL ORDER BY at DESC, id DESC LIMIT 1) l ON true
        LEFT JOIN LATERAL (
          SELECT at, outcome FROM provider_operations
           WHERE provider_id = r.provider_id AND operation = 're_registration' AND at >= r.since ORDER BY at DESC, id DESC LIMIT 1) rr ON true`;
  }
}
