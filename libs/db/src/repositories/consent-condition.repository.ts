import { Inject, Injectable } from '@nestjs/common';
import { nextConsentStatus, type ConsentStatus } from '@ais/domain';
import type { PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { EventRepository } from './event.repository.js';

export type BankCondition = 'consent_revoked' | 'consent_expired';

/**
 * The bank said a consent is revoked or expired (a sync saw it, or a token refresh did). One
 * implementation for every service: under the consent's row lock, through the domain state machine,
 * the consent moves, its schedule stops, its bank tokens are destroyed and consent.revoked /
 * consent.expired is written, in one transaction. A second report changes nothing.
 */
@Injectable()
export class ConsentConditionRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    private readonly events: EventRepository,
  ) {}

  async recordBankCondition(
    consentId: string,
    condition: BankCondition,
    detail: string | undefined,
    now: Date,
  ): Promise<ConsentStatus | null> {
    return this.prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<
        Array<{ tenant_id: string; provider_id: string; end_user_id: string | null; status: ConsentStatus }>
      >`
        SELECT tenant_id, provider_id, end_user_id, status::text AS status FROM consents WHERE id = ${consentId} FOR UPDATE`;
      if (!row) return null;
      const next = nextConsentStatus(row.status, condition === 'consent_revoked' ? 'revoked_by_bank' : 'expired');
      if (next === null || next === row.status) return row.status;
      await tx.consent.update({
        where: { id: consentId },
        data: {
          status: next,
          nextSyncAt: null,
          failureCode: condition,
          failureDetail: detail?.slice(0, 500) ?? null,
          version: { increment: 1 },
          ...(next === 'revoked' ? { revokedAt: now } : {}),
        },
      });
      await tx.consentTokenSet.deleteMany({ where: { consentId } });
      const ref = { consentId, providerId: row.provider_id, endUserId: row.end_user_id };
      if (next === 'revoked')
        await this.events.append(tx, row.tenant_id, 'consent.revoked', {
          ...ref,
          revokedAt: now.toISOString(),
          revokedBy: 'bank',
        });
      else await this.events.append(tx, row.tenant_id, 'consent.expired', { ...ref, expiredAt: now.toISOString() });
      return next;
    });
  }
}
