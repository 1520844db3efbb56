import { Inject, Injectable } from '@nestjs/common';
import { ConsentRepository } from '@ais/db';
import { AppError } from '@ais/domain';
import type { Logger } from '@ais/observability';
import type { RpcClient } from '@ais/rpc';
import { RecordBankCondition } from '@ais/sync';
import { CONSENT_SERVICE_CONFIG, type ConsentServiceConfig } from '../consent-service.config.js';
import { CONNECTOR_RPC, LOGGER } from '../tokens.js';

/** Status checks in flight at once per tick: the connector's per-bank limiter paces them further. */
const CONCURRENCY = 8;

export interface StatusCheckOutcome {
  checked: number;
  revoked: number;
  expired: number;
  failed: number;
}

/**
 * Notices revocations and expiries made at the bank without waiting for the next sync: every
 * authorised consent's status is read at its bank once per interval (each provider's
 * `consentStatusCheckSeconds`), through the bank's lightest status read, which is not an account
 * access and spends none of the consent's unattended budget. A revoked or expired answer becomes
 * consent.revoked / consent.expired through the one implementation every service uses
 * (RecordBankCondition); a check the bank cannot answer now waits for the next interval.
 */
@Injectable()
export class ConsentStatusChecks {
  constructor(
    @Inject(CONSENT_SERVICE_CONFIG) private readonly config: ConsentServiceConfig,
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly consents: ConsentRepository,
    private readonly recordBankCondition: RecordBankCondition,
  ) {}

  async run(now = new Date()): Promise<StatusCheckOutcome> {
    const due = await this.consents.claimDueStatusChecks(now, this.config.consents.statusCheck.batch);
    const outcome: StatusCheckOutcome = { checked: 0, revoked: 0, expired: 0, failed: 0 };
    let next = 0;
    const lane = async () => {
      while (next < due.length) {
        const consent = due[next++];
        if (!consent.externalId) continue;
        const result = await this.check({ ...consent, externalId: consent.externalId });
        outcome[result]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, lane));
    if (outcome.revoked + outcome.expired + outcome.failed > 0)
      this.logger.info({ ...outcome, due: due.length }, 'consent status checks');
    return outcome;
  }

  private async check(consent: {
    id: string;
    providerId: string;
    externalId: string;
  }): Promise<'checked' | 'revoked' | 'expired' | 'failed'> {
    let condition: 'consent_revoked' | 'consent_expired' | null;
    let detail: string;
    try {
      const answer = await this.connector.send(
        'connector.checkConsentStatus',
        { providerId: consent.providerId, externalConsentId: consent.externalId },
        15_000,
      );
      const lapsed = answer.expiresAt !== null && new Date(answer.expiresAt).getTime() <= Date.now();
      condition =
        answer.status === 'revoked' || answer.status === 'rejected'
          ? 'consent_revoked'
          : answer.status === 'expired' || lapsed
            ? 'consent_expired'
            : null;
      detail = `The bank reports the consent ${answer.bankStatus ?? answer.status}${lapsed ? ' and past its expiry' : ''} (status check).`;
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'internal_error';
      if (code !== 'consent_revoked' && code !== 'consent_expired') {
        this.logger.warn(
          { consentId: consent.id, providerId: consent.providerId, code },
          'consent status check failed',
        );
        return 'failed';
      }
      condition = code;
      detail = `${(error as AppError).detail} (status check)`;
    }
    if (condition === null) return 'checked';
    const status = await this.recordBankCondition.execute({ consentId: consent.id, condition, detail }, new Date());
    this.logger.info(
      { consentId: consent.id, providerId: consent.providerId, condition, status },
      'consent ended at the bank',
    );
    return condition === 'consent_revoked' ? 'revoked' : 'expired';
  }
}
