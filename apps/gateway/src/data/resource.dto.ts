import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BankTransactionCodeView,
  CounterpartyView,
  CurrencyExchangeView,
  MerchantView,
  MoneyView,
  NEXT_CURSOR,
  RunningBalanceView,
} from './data.dto.js';

// The optional per-account resources: `{ id, externalId, …the normalised fields, syncedAt }`, the
// normalised fields being those the connectors map from either standard (libs/connectors connector.ts).

const BANK_ACCOUNT_ID = 'The bank’s id of the account (the account’s externalId), as the bank sent it.';
const RAW = { description: 'The bank’s item as received.' };

abstract class ResourceItemView {
  @ApiProperty({ example: 'res_01JD8Z3R6X9Q2W5K7M1N4P8T0V' }) id!: string;
  @ApiProperty({ format: 'date-time', description: 'When the gateway last stored a change of this item.' })
  syncedAt!: string;
  @ApiProperty(RAW) raw!: unknown;
}

export class CounterpartyAccountView {
  @ApiProperty({ example: 'sortCodeAccountNumber' }) scheme!: string;
  @ApiProperty() identification!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
}

export class StatementAmountView {
  @ApiProperty({ example: 'ClosingBalance' }) type!: string;
  @ApiProperty({ type: MoneyView }) amount!: MoneyView;
}

export class StatementView extends ResourceItemView {
  @ApiProperty({ nullable: true, type: String, description: 'The bank’s statement id.' }) externalId!: string | null;
  @ApiProperty({ description: BANK_ACCOUNT_ID }) accountId!: string;
  @ApiProperty({ example: 'RegularPeriodic' }) type!: string;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ format: 'date-time' }) startAt!: string;
  @ApiProperty({ format: 'date-time' }) endAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [String] }) description!: string[];
  @ApiProperty({ type: [StatementAmountView] }) amounts!: StatementAmountView[];
  @ApiProperty({
    enum: ['available', 'pending'],
    description:
      '`available`: the statement’s transactions have been fetched (GET …/statements/{statementId}/transactions lists them, an empty list meaning none). `pending`: not fetched from the bank yet; a later sync fetches them within the consent’s budget, and until then that list answers 409.',
  })
  transactionsStatus!: 'available' | 'pending';
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) transactionsFetchedAt!: string | null;
}

export class PostalAddressView {
  @ApiProperty({ nullable: true, type: String }) type!: string | null;
  @ApiProperty({ type: [String] }) lines!: string[];
  @ApiProperty({ nullable: true, type: String }) street!: string | null;
  @ApiProperty({ nullable: true, type: String }) buildingNumber!: string | null;
  @ApiProperty({ nullable: true, type: String }) postCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) town!: string | null;
  @ApiProperty({ nullable: true, type: String }) countrySubDivision!: string | null;
  @ApiProperty({ nullable: true, type: String }) country!: string | null;
}

export class PartyView extends ResourceItemView {
  @ApiProperty({ description: 'The bank’s party id.' }) externalId!: string;
  @ApiProperty({ nullable: true, type: String }) number!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Sole' }) type!: string | null;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String }) fullLegalName!: string | null;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) phone!: string | null;
  @ApiProperty({ nullable: true, type: String }) mobile!: string | null;
  @ApiProperty({ type: [PostalAddressView] }) addresses!: PostalAddressView[];
}

export class BeneficiaryView extends ResourceItemView {
  @ApiProperty({ nullable: true, type: String, description: 'The bank’s beneficiary id.' }) externalId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: BANK_ACCOUNT_ID }) accountId!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'Trusted' }) type!: string | null;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: CounterpartyAccountView }) creditorAccount!: CounterpartyAccountView | null;
  @ApiProperty({ nullable: true, type: String, description: 'BIC or other id of the creditor’s bank.' })
  creditorAgent!: string | null;
}

export class StandingOrderView extends ResourceItemView {
  @ApiProperty({ nullable: true, type: String, description: 'The bank’s standing order id.' })
  externalId!: string | null;
  @ApiProperty({ description: BANK_ACCOUNT_ID }) accountId!: string;
  @ApiProperty({ example: 'EvryWorkgDay' }) frequency!: string;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: String }) status!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) firstPaymentAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) nextPaymentAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lastPaymentAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finalPaymentAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) numberOfPayments!: string | null;
  @ApiProperty({ nullable: true, type: MoneyView }) firstPaymentAmount!: MoneyView | null;
  @ApiProperty({ nullable: true, type: MoneyView }) nextPaymentAmount!: MoneyView | null;
  @ApiProperty({ nullable: true, type: MoneyView }) lastPaymentAmount!: MoneyView | null;
  @ApiProperty({ nullable: true, type: MoneyView }) finalPaymentAmount!: MoneyView | null;
  @ApiProperty({ nullable: true, type: CounterpartyAccountView }) creditorAccount!: CounterpartyAccountView | null;
}

export class DirectDebitView extends ResourceItemView {
  @ApiProperty({ nullable: true, type: String, description: 'The bank’s direct debit id.' })
  externalId!: string | null;
  @ApiProperty({ description: BANK_ACCOUNT_ID }) accountId!: string;
  @ApiProperty() mandateIdentification!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) status!: string | null;
  @ApiProperty({ nullable: true, type: String }) frequency!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) previousPaymentAt!: string | null;
  @ApiProperty({ nullable: true, type: MoneyView }) previousPaymentAmount!: MoneyView | null;
}

export class ScheduledPaymentView extends ResourceItemView {
  @ApiProperty({ nullable: true, type: String, description: 'The bank’s scheduled payment id.' })
  externalId!: string | null;
  @ApiProperty({ description: BANK_ACCOUNT_ID }) accountId!: string;
  @ApiProperty({ format: 'date-time' }) scheduledAt!: string;
  @ApiProperty({ example: 'Execution' }) scheduledType!: string;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: String }) debtorReference!: string | null;
  @ApiProperty({ type: MoneyView }) amount!: MoneyView;
  @ApiProperty({ nullable: true, type: CounterpartyAccountView }) creditorAccount!: CounterpartyAccountView | null;
}

/** A statement's transaction as the bank reported it on the statement (mapped, not a txn_ of the feed). */
export class StatementTransactionView {
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ enum: ['bank', 'fingerprint'] }) idSource!: string;
  @ApiProperty({ description: 'The identity the gateway gives the transaction within the account.' })
  identityKey!: string;
  @ApiProperty({ enum: ['booked', 'pending'] }) status!: string;
  @ApiProperty({ format: 'date' }) bookingDate!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date' }) valueDate!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) bookedAt!: string | null;
  @ApiProperty({ type: MoneyView }) amount!: MoneyView;
  @ApiProperty() description!: string;
  @ApiProperty({ nullable: true, type: MerchantView }) merchant!: MerchantView | null;
  @ApiProperty({ nullable: true, type: CounterpartyView }) counterparty!: CounterpartyView | null;
  @ApiProperty({ nullable: true, type: BankTransactionCodeView }) bankTransactionCode!: BankTransactionCodeView | null;
  @ApiProperty({ nullable: true, type: String }) reference!: string | null;
  @ApiProperty({ nullable: true, type: RunningBalanceView }) runningBalance!: RunningBalanceView | null;
  @ApiProperty({ nullable: true, type: CurrencyExchangeView }) currencyExchange!: CurrencyExchangeView | null;
  @ApiProperty({ nullable: true, type: String }) pendingLink!: string | null;
  @ApiPropertyOptional(RAW) raw?: unknown;
}

export class StatementPageView {
  @ApiProperty({ type: [StatementView] }) data!: StatementView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class StatementTransactionPageView {
  @ApiProperty({ type: [StatementTransactionView] }) data!: StatementTransactionView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class PartyPageView {
  @ApiProperty({ type: [PartyView] }) data!: PartyView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class BeneficiaryPageView {
  @ApiProperty({ type: [BeneficiaryView] }) data!: BeneficiaryView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class StandingOrderPageView {
  @ApiProperty({ type: [StandingOrderView] }) data!: StandingOrderView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class DirectDebitPageView {
  @ApiProperty({ type: [DirectDebitView] }) data!: DirectDebitView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
export class ScheduledPaymentPageView {
  @ApiProperty({ type: [ScheduledPaymentView] }) data!: ScheduledPaymentView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
