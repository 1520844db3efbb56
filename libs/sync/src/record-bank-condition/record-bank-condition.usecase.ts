import { Injectable } from '@nestjs/common';
import { ConsentConditionRepository, type BankCondition } from '@ais/db';
import type { ConsentStatus } from '@ais/domain';

export type { BankCondition };

export interface RecordBankConditionCommand {
  consentId: string;
  condition: BankCondition;
  detail?: string;
}

/**
 * The bank says a consent is revoked or expired (a sync saw it, or a token refresh did): the consent
 * moves through the state machine, its schedule stops, its bank tokens go and consent.revoked /
 * consent.expired is written, in one transaction. A second report changes nothing. Answers the
 * consent's status afterwards, or null when there is no such consent.
 */
@Injectable()
export class RecordBankCondition {
  constructor(private readonly conditions: ConsentConditionRepository) {}

  async execute(command: RecordBankConditionCommand, now: Date): Promise<ConsentStatus | null> {
    return this.conditions.recordBankCondition(command.consentId, command.condition, command.detail, now);
  }
}
