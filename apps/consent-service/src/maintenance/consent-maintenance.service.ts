import { Inject, Injectable } from '@nestjs/common';
import {
  AuthorisationSessionRepository,
  ConsentRepository,
  EventRepository,
  IdempotencyRepository,
  PRISMA,
  TokenSetRepository,
  type PrismaClient,
} from '@ais/db';
import { nextConsentStatus } from '@ais/domain';
import type { Logger } from '@ais/observability';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';
import { LOGGER } from '../tokens.js';

const BATCH = 500;

/** consent.expiring notices, expiry of lapsed consents, and clean-up of spent short-lived records. */
@Injectable()
export class ConsentMaintenanceService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(CONSENT_SERVICE_CONFIG) private readonly config: ConsentServiceConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly consents: ConsentRepository,
    private readonly sessions: AuthorisationSessionRepository,
    private readonly tokenSets: TokenSetRepository,
    private readonly events: EventRepository,
    private readonly idempotency: IdempotencyRepository,
  ) {}

  async run(now = new Date()): Promise<{ expiring: number; expired: number }> {
    let expiring = 0;
    let expired = 0;
    const noticeBefore = new Date(now.getTime() + this.config.consents.expiringNoticeDays * 86_400_000);
    for (const { id, tenantId } of await this.consents.dueForExpiringNotice(noticeBefore, BATCH)) {
      const sent = await this.prisma.$transaction(async (tx) => {
        const c = await this.consents.lockForTenant(tx, tenantId, id);
        if (!c || c.status !== 'authorised' || c.expiringNotifiedAt || c.expiresAt <= now) return false;
        await this.consents.update(tx, tenantId, id, { expiringNotifiedAt: now });
        await this.events.append(tx, tenantId, 'consent.expiring', {
          consentId: id,
          providerId: c.providerId,
          endUserId: c.endUserId,
          expiresAt: c.expiresAt.toISOString(),
        });
        return true;
      });
      if (sent) expiring++;
    }
    for (const { id, tenantId } of await this.consents.lapsed(now, BATCH)) {
      const done = await this.prisma.$transaction(async (tx) => {
        const c = await this.consents.lockForTenant(tx, tenantId, id);
        if (!c || c.expiresAt > now) return false;
        const next = nextConsentStatus(c.status, 'expired');
        if (next !== 'expired') return false;
        await this.consents.update(tx, tenantId, id, { status: next, nextSyncAt: null });
        await this.tokenSets.delete(tx, id);
        await this.events.append(tx, tenantId, 'consent.expired', {
          consentId: id,
          providerId: c.providerId,
          endUserId: c.endUserId,
          expiredAt: now.toISOString(),
        });
        return true;
      });
      if (done) expired++;
    }
    await this.sessions.purgeOlderThan(new Date(now.getTime() - 86_400_000));
    await this.idempotency.purgeExpired(now);
    if (expiring + expired > 0) this.logger.info({ expiring, expired }, 'consent maintenance');
    return { expiring, expired };
  }
}
