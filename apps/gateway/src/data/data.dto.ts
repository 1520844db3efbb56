import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsCalendarDate, IsOptional, PageQueryDto } from '@ais/http-kit';
import { CATEGORIES, OPTIONAL_ACCOUNT_RESOURCES, type Category } from '@ais/domain';

export class AccountListQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  consentId?: string;
}

export class TransactionListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '2026-01-01', description: 'Earliest booking date (inclusive).' })
  @IsOptional()
  @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ example: '2026-01-31', description: 'Latest booking date (inclusive).' })
  @IsOptional()
  @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ enum: ['booked', 'pending'] })
  @IsOptional()
  @IsIn(['booked', 'pending'])
  status?: 'booked' | 'pending';

  @ApiPropertyOptional({ enum: ['raw'], description: 'include=raw adds the bank’s item as received.' })
  @IsOptional()
  @IsIn(['raw'])
  include?: 'raw';
}

export class SyncFeedQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One of consentId or accountId.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  consentId?: string;

  @ApiPropertyOptional({ description: 'One of consentId or accountId.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  accountId?: string;

  @ApiPropertyOptional({ enum: ['raw'] })
  @IsOptional()
  @IsIn(['raw'])
  include?: 'raw';
}

// ───────────────────────────── responses ─────────────────────────────

export const NEXT_CURSOR = {
  nullable: true,
  type: String,
  description: 'Pass as cursor for the next page; null on the last.',
};

export class MoneyView {
  @ApiProperty({ example: '-12.50', description: 'Decimal string, signed, in the currency’s minor units.' })
  amount!: string;
  @ApiProperty({ example: 'GBP' }) currency!: string;
}

export class AccountIdentifierView {
  @ApiProperty({ example: 'iban', description: 'iban, bban, sortCodeAccountNumber, pan (masked), msisdn, …' })
  scheme!: string;
  @ApiProperty({ example: 'GB33BUKB20201555555555' }) identification!: string;
  @ApiPropertyOptional() name?: string;
  @ApiPropertyOptional({ description: 'The bank’s own scheme name when it is not one of ours.' }) schemeName?: string;
  @ApiPropertyOptional() secondaryIdentification?: string;
}

export class ServicerView {
  @ApiProperty({ example: 'BICFI' }) scheme!: string;
  @ApiProperty() identification!: string;
}

export class AccountView {
  @ApiProperty({ example: 'acc_01JD8Z3R6X9Q2W5K7M1N4P8T0V' }) id!: string;
  @ApiProperty() consentId!: string;
  @ApiProperty() providerId!: string;
  @ApiProperty({ description: 'The bank’s current id of the account.' }) externalId!: string;
  @ApiProperty({ example: 'personal' }) type!: string;
  @ApiProperty({ nullable: true, type: String }) subtype!: string | null;
  @ApiProperty({ example: 'GBP' }) currency!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String }) nickname!: string | null;
  @ApiProperty({ type: [AccountIdentifierView] }) identifiers!: AccountIdentifierView[];
  @ApiProperty({ nullable: true, type: ServicerView }) servicer!: ServicerView | null;
  @ApiProperty({ example: 'enabled' }) status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date' }) openedAt!: string | null;
  @ApiProperty({
    enum: OPTIONAL_ACCOUNT_RESOURCES,
    isArray: true,
    example: [],
    description:
      'Optional resources the bank refused for this account at the latest sync that asked for them; what is stored of them is from before. A sync the bank serves one again takes it off.',
  })
  unavailable!: string[];
}

export class AccountPageView {
  @ApiProperty({ type: [AccountView] }) data!: AccountView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class CreditLineView {
  @ApiProperty() included!: boolean;
  @ApiProperty({ nullable: true, type: String }) type!: string | null;
  @ApiProperty({ nullable: true, type: MoneyView }) amount!: MoneyView | null;
}

export class BalanceView {
  @ApiProperty({ example: 'closingBooked', description: 'Normalised to the ISO 20022 set of both standards.' })
  type!: string;
  @ApiProperty({ example: 'ClosingBooked', description: 'The bank’s own balance type.' }) originalType!: string;
  @ApiProperty({ type: MoneyView }) amount!: MoneyView;
  @ApiProperty({ type: [CreditLineView] }) creditLines!: CreditLineView[];
  @ApiProperty({ nullable: true, type: String, format: 'date' }) referenceDate!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) referenceAt!: string | null;
}

export class BalancePageView {
  @ApiProperty({ type: [BalanceView] }) data!: BalanceView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}

export class MerchantView {
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'ISO 18245 merchant category code.' })
  categoryCode!: string | null;
}

export class CounterpartyView {
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ type: [AccountIdentifierView] }) identifiers!: AccountIdentifierView[];
  @ApiPropertyOptional({ nullable: true, type: String, description: 'BIC or other id of the counterparty’s bank.' })
  agent?: string | null;
}

export class BankTransactionCodeView {
  @ApiProperty({ nullable: true, type: String }) code!: string | null;
  @ApiProperty({ nullable: true, type: String }) subCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) proprietaryCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) proprietaryIssuer!: string | null;
}

export class RunningBalanceView {
  @ApiProperty({ type: MoneyView }) amount!: MoneyView;
  @ApiProperty({ nullable: true, type: String }) type!: string | null;
  @ApiProperty({ nullable: true, type: String }) originalType!: string | null;
}

export class CurrencyExchangeView {
  @ApiProperty() sourceCurrency!: string;
  @ApiProperty({ nullable: true, type: String }) targetCurrency!: string | null;
  @ApiProperty({ nullable: true, type: String }) unitCurrency!: string | null;
  @ApiProperty({ description: 'Decimal string.' }) exchangeRate!: string;
  @ApiProperty({ nullable: true, type: MoneyView }) instructedAmount!: MoneyView | null;
  @ApiProperty({ nullable: true, type: String }) quotationDate!: string | null;
  @ApiProperty({ nullable: true, type: String }) contractIdentification!: string | null;
}

export class TransactionView {
  @ApiProperty({ example: 'txn_01JD8Z3R6X9Q2W5K7M1N4P8T0V' }) id!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ enum: ['bank', 'fingerprint'] }) idSource!: string;
  @ApiProperty({ enum: ['booked', 'pending'] }) status!: string;
  @ApiProperty({ format: 'date', description: 'The bank’s local calendar date.' }) bookingDate!: string;
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
  @ApiProperty({ nullable: true, type: String, description: 'The pending transaction this booked one replaced.' })
  pendingTransactionId!: string | null;
  @ApiProperty({
    enum: CATEGORIES,
    nullable: true,
    description:
      'From the bank’s proprietary code, the merchant category code and the ISO 20022 bank transaction code (docs/api.md); null when nothing is known.',
  })
  category!: Category | null;
  @ApiPropertyOptional({ description: 'The bank’s item as received; only with include=raw.' }) raw?: unknown;
}

export class RemovedTransactionView {
  @ApiProperty({ example: 'txn_01JD8Z3R6X9Q2W5K7M1N4P8T0V' }) id!: string;
}

/** One page of the change feed (GET /v1/transactions/sync). */
export class ChangeFeedPageView {
  @ApiProperty({ type: [TransactionView], description: 'New transactions, in commit order.' })
  added!: TransactionView[];
  @ApiProperty({ type: [TransactionView], description: 'Transactions whose content changed (e.g. pending → booked).' })
  modified!: TransactionView[];
  @ApiProperty({ type: [RemovedTransactionView], description: 'Transactions the bank no longer lists.' })
  removed!: RemovedTransactionView[];
  @ApiProperty({ description: 'Keep it: the next call starts here (replaying a cursor returns the same page).' })
  nextCursor!: string;
  @ApiProperty({ description: 'More changes are ready now: call again with nextCursor.' }) hasMore!: boolean;
}

export class TransactionPageView {
  @ApiProperty({ type: [TransactionView] }) data!: TransactionView[];
  @ApiProperty(NEXT_CURSOR) nextCursor!: string | null;
}
