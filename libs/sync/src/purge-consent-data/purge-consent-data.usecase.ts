import { Injectable } from '@nestjs/common';
import { AccountWriteRepository, type Prisma } from '@ais/db';

export interface PurgeConsentDataCommand {
  tenantId: string;
  consentId: string;
}

/**
 * `DELETE /v1/consents/{id}?purge=true`: deletes the consent's synced data (accounts, balances and
 * their history, optional resources, transactions, the change log) inside the caller's transaction,
 * the one that revokes the consent, so a sync that commits afterwards finds it revoked.
 */
@Injectable()
export class PurgeConsentData {
  constructor(private readonly accounts: AccountWriteRepository) {}

  async execute(tx: Prisma.TransactionClient, command: PurgeConsentDataCommand): Promise<void> {
    await this.accounts.purgeConsentData(tx, command.tenantId, command.consentId);
  }
}
