import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches, MaxLength } from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';
import { AUTHORISATION_FLOWS, PERMISSIONS, STANDARDS } from '@ais/domain';

const BULK_ENDPOINTS = [
  'balances',
  'transactions',
  'beneficiaries',
  'standingOrders',
  'directDebits',
  'scheduledPayments',
  'statements',
  'party',
];

/** `GET /v1/providers?country=&standard=&q=&limit=&cursor=` */
export class ProviderListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'GB', description: 'ISO 3166-1 alpha-2' })
  @IsOptional()
  @Length(2, 2)
  @Matches(/^[A-Za-z]{2}$/, { message: 'country must be a two-letter ISO code' })
  country?: string;

  @ApiPropertyOptional({ example: 'obie_3_1', description: `One of ${STANDARDS.join(', ')}.` })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  standard?: string;

  @ApiPropertyOptional({ description: 'Text in the name or id (case-insensitive).' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class AccessWindowView {
  @ApiProperty({ enum: ['rolling24h', 'calendarDay'] }) kind!: string;
  @ApiPropertyOptional({ description: 'IANA time zone of the calendar day (calendarDay only).' }) timeZone?: string;
}

export class ProviderCapabilitiesView {
  @ApiProperty({ enum: PERMISSIONS, isArray: true }) supportedPermissions!: string[];
  @ApiProperty({ description: 'How far back transactions can be read (days).' }) maxHistoryDays!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'The longest consent the bank grants (days), the cap and default of a consent’s expiresAt; null: the bank sets no maximum (any future expiresAt; without one a consent lasts 90 days).',
  })
  maxConsentDays!: number | null;
  @ApiProperty({ description: 'Unattended accesses per day the bank allows.' }) maxFrequencyPerDay!: number;
  @ApiProperty({ enum: BULK_ENDPOINTS, isArray: true, description: 'Resources served for all accounts in one call.' })
  bulkEndpoints!: string[];
  @ApiProperty({ description: 'A refresh with the end user present does not use the budget.' })
  psuPresentRefresh!: boolean;
  @ApiProperty({ type: AccessWindowView }) accessWindow!: AccessWindowView;
  @ApiProperty({ nullable: true, type: Number }) transactionHistoryLimitDays!: number | null;
  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'How often the consent’s status is read at the bank (seconds): a revocation or expiry made at the bank becomes consent.revoked / consent.expired within this interval. null: not polled; the next sync notices.',
    example: 900,
  })
  consentStatusCheckSeconds!: number | null;
  @ApiProperty({ nullable: true, type: Number }) firstAccessWindowMinutes!: number | null;
  @ApiProperty({
    description:
      'How far a scheduled sync reaches back (days) before the newest booked transaction already stored, so late bookings and pending items that settle later are caught; older history is not read again. The first sync, the first sync after a re-authorisation and a full refresh (POST /v1/consents/{id}/refresh with full: true) read the whole history.',
    example: 30,
  })
  syncLookBackDays!: number;
  @ApiProperty() supportsRevocation!: boolean;
  @ApiProperty() refreshTokens!: boolean;
  @ApiProperty({
    enum: AUTHORISATION_FLOWS,
    description:
      'How the end user authorises at the bank: oidc_hybrid_request_object (OBIE / FAPI hybrid flow with a signed request object), oauth_code (the bank’s own authorisation page and a code, no PKCE), oauth_code_pkce (authorization code with PKCE S256).',
  })
  authorisationFlow!: string;
  @ApiProperty({ example: 'Europe/London' }) timeZone!: string;
  @ApiProperty({ type: [String], example: ['GBP'] }) currencies!: string[];
  @ApiProperty({
    description:
      'A consent may name its accounts (POST /v1/consents `accounts`, by IBAN): a dedicated-account consent. false: the end user picks the accounts at the bank.',
  })
  dedicatedAccountConsents!: boolean;
  @ApiProperty({
    description:
      'The bank serves card accounts: they are listed as accounts with subtype creditCard (or card) and a masked `pan` identifier, with their balances and transactions.',
  })
  cardAccounts!: boolean;
}

export class ProviderView {
  @ApiProperty({ example: 'allstar' }) id!: string;
  @ApiProperty({ example: 'Allstar Bank' }) name!: string;
  @ApiProperty({ example: 'GB' }) country!: string;
  @ApiProperty({ enum: STANDARDS }) standard!: string;
  @ApiProperty({ enum: ['active', 'inactive'], description: 'Consents can be created only at active providers.' })
  status!: string;
  @ApiProperty({ type: ProviderCapabilitiesView }) capabilities!: ProviderCapabilitiesView;
  @ApiProperty({ type: [String], example: ['[400000,490000)'], description: 'Sort-code ranges the bank owns.' })
  sortCodeRanges!: string[];
}

export class ProviderPageView {
  @ApiProperty({ type: [ProviderView] }) data!: ProviderView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last.' })
  nextCursor!: string | null;
}
