import { Inject, Injectable } from '@nestjs/common';
import type { ConsentRecord } from '@ais/db';
import { AppError } from '@ais/domain';
import type { Logger } from '@ais/observability';
import type { RpcClient } from '@ais/rpc';
import { CONNECTOR_RPC, LOGGER } from '../tokens.js';
import { ConsentJobs } from '../maintenance/consent-jobs.js';

/**
 * Revocation at the bank: tried at once; when the bank cannot be reached the consent is already
 * revoked on our side (we stop using it) and a background job keeps trying until the bank confirms.
 */
@Injectable()
export class BankRevocations {
  constructor(
    @Inject(CONNECTOR_RPC) private readonly connector: RpcClient,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly jobs: ConsentJobs,
  ) {}

  async revoke(
    consent: Pick<ConsentRecord, 'id' | 'tenantId' | 'providerId'>,
    externalConsentId: string,
  ): Promise<boolean> {
    try {
      await this.connector.send(
        'connector.revokeConsent',
        { providerId: consent.providerId, externalConsentId },
        10_000,
      );
      return true;
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'internal_error';
      if (code === 'consent_revoked' || code === 'consent_expired') return true; // already gone at the bank
      this.logger.warn({ consentId: consent.id, code }, 'bank revocation failed; retrying in the background');
      await this.jobs.enqueueRevokeAtBank({
        tenantId: consent.tenantId,
        consentId: consent.id,
        providerId: consent.providerId,
        externalConsentId,
      });
      return false;
    }
  }
}
