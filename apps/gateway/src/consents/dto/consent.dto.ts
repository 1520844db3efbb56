import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIBAN,
  IsIn,
  IsInt,
  IsIP,
  IsISO8601,
  IsNotEmpty,
  IsString,
  MaxLength,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { IsCalendarDate, IsOptional, PageQueryDto } from '@ais/http-kit';
import { CONSENT_ACCOUNT_SCHEMES, CONSENT_STATUSES, PERMISSIONS } from '@ais/domain';

/** A flat map of string to string: at most 50 keys of ≤ 40 characters, values ≤ 500. */
function IsStringMap(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isStringMap',
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.keys(value).length <= 50 &&
          Object.entries(value as Record<string, unknown>).every(
            ([k, v]) => k.length > 0 && k.length <= 40 && typeof v === 'string' && v.length <= 500,
          ),
        defaultMessage: () =>
          'metadata must map at most 50 keys (1-40 characters) to strings of at most 500 characters',
      },
    });
}

/** An account the tenant names for a dedicated-account consent. */
export class ConsentAccountDto {
  @ApiProperty({ enum: CONSENT_ACCOUNT_SCHEMES, example: 'iban' })
  @IsIn(CONSENT_ACCOUNT_SCHEMES)
  scheme!: (typeof CONSENT_ACCOUNT_SCHEMES)[number];

  @ApiProperty({ example: 'DE89370400440532013000', description: 'An IBAN (spaces allowed).', maxLength: 42 })
  @IsString()
  @MaxLength(42)
  @IsIBAN(undefined, { message: 'identification must be a valid IBAN' })
  identification!: string;
}

export class CreateConsentDto {
  @ApiProperty({ example: 'allstar', description: 'From GET /v1/providers.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  providerId!: string;

  @ApiProperty({
    example: 'https://app.example.com/bank/callback',
    description: 'Must be on the tenant’s allow-list (exact match).',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  redirectUri!: string;

  @ApiPropertyOptional({ description: 'Your own reference for the end user.', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endUserId?: string;

  @ApiPropertyOptional({ enum: PERMISSIONS, isArray: true, default: ['accounts', 'balances', 'transactions'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PERMISSIONS.length)
  @IsIn(PERMISSIONS, { each: true })
  permissions?: string[];

  @ApiPropertyOptional({
    example: '2025-01-01',
    description: 'First transaction date (default and cap: the provider’s history).',
  })
  @IsOptional()
  @IsCalendarDate()
  transactionsFrom?: string;

  @ApiPropertyOptional({
    example: '2027-02-01T00:00:00Z',
    description:
      'Default and cap: the provider’s maximum (capabilities.maxConsentDays); where that is null the bank sets none: no cap, and 90 days by default.',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expiresAt must be an ISO-8601 date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({
    minimum: 1,
    description: 'Unattended accesses per day (default and cap: the provider’s maximum).',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  frequencyPerDay?: number;

  @ApiPropertyOptional({ description: 'Opaque; echoed on the final redirect.', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  state?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;

  @ApiPropertyOptional({
    type: [ConsentAccountDto],
    maxItems: 20,
    description:
      'A dedicated-account consent: the accounts the end user shares, by IBAN, at providers whose capabilities.dedicatedAccountConsents is true (elsewhere a 400 naming this field). The bank asks the end user about these accounts only, and only they are synced. Left out: the end user picks the accounts at the bank.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ConsentAccountDto)
  accounts?: ConsentAccountDto[];

  @ApiPropertyOptional({
    example: '203.0.113.7',
    description:
      'The end user’s IP address, when the user is in your app now: forwarded to banks that ask for it (Berlin Group PSU-IP-Address, OBIE x-fapi-customer-ip-address).',
  })
  @IsOptional()
  @IsIP(undefined, { message: 'psuIpAddress must be an IPv4 or IPv6 address' })
  psuIpAddress?: string;

  @ApiPropertyOptional({
    description: 'The end user’s browser user agent, forwarded where banks accept it.',
    maxLength: 300,
  })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  psuUserAgent?: string;

  @ApiPropertyOptional({
    example: 'https://hooks.app.example.com/ais/consents',
    maxLength: 2048,
    description:
      'Creates a webhook endpoint scoped to this consent (every event type; the same rules as POST /v1/webhooks `url`): it receives only this consent’s events. Its signing secret is returned once, as `webhookSecret`.',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  webhookUrl?: string;
}

export class ReauthoriseConsentDto {
  @ApiPropertyOptional({ description: 'Defaults to the consent’s redirectUri; must be on the allow-list.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  redirectUri?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  state?: string;

  @ApiPropertyOptional({ description: 'The end user’s IP address (see POST /v1/consents).' })
  @IsOptional()
  @IsIP(undefined, { message: 'psuIpAddress must be an IPv4 or IPv6 address' })
  psuIpAddress?: string;
}

export class ConsentListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: CONSENT_STATUSES })
  @IsOptional()
  @IsIn(CONSENT_STATUSES)
  status?: (typeof CONSENT_STATUSES)[number];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  providerId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  endUserId?: string;
}

export class DeleteConsentQueryDto {
  @ApiPropertyOptional({ description: 'Also delete the consent’s accounts, balances and transactions.' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsIn([true, false], { message: 'purge must be true or false' })
  purge?: boolean;
}

export class BudgetScopeView {
  @ApiProperty({ description: 'The bank account id, or * for consent-level calls.' }) scope!: string;
  @ApiProperty() resource!: string;
  @ApiProperty({ description: 'Unattended calls made in the bank’s current window.' }) used!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty({ nullable: true, type: String }) nextAllowedAt!: string | null;
}

export class BudgetView {
  @ApiProperty() unattendedPerDay!: number;
  @ApiProperty({ description: 'The most any scope has used in the bank’s current window.' }) usedInWindow!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the next unattended sync (every call it makes) is possible; null = now.',
  })
  nextAllowedAt!: string | null;
  @ApiProperty({ enum: ['rolling24h', 'calendarDay'] }) window!: string;
  @ApiProperty({ type: [BudgetScopeView] }) scopes!: BudgetScopeView[];
}

export class ConsentView {
  @ApiProperty() id!: string;
  @ApiProperty() providerId!: string;
  @ApiProperty({ nullable: true, type: String }) endUserId!: string | null;
  @ApiProperty({ enum: CONSENT_STATUSES }) status!: string;
  @ApiProperty({ enum: PERMISSIONS, isArray: true }) permissions!: string[];
  @ApiProperty({ nullable: true, type: String, example: '2025-01-01' }) transactionsFrom!: string | null;
  @ApiProperty() expiresAt!: string;
  @ApiProperty() frequencyPerDay!: number;
  @ApiProperty({ nullable: true, type: String }) authorisedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastSyncedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextSyncAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<string, string>;
  @ApiProperty({
    type: [ConsentAccountDto],
    nullable: true,
    description:
      'A dedicated-account consent: the accounts named at creation (IBANs compact, upper case); null: the end user picked the accounts at the bank.',
  })
  accounts!: ConsentAccountDto[] | null;
  @ApiProperty({ type: BudgetView }) budget!: BudgetView;
  @ApiPropertyOptional({ description: 'While an authorisation is open: the URL to send the end user to.' })
  authorisationUrl?: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the consent failed, was rejected or was revoked by the bank.',
  })
  failureReason!: string | null;
}

/** POST /v1/consents: the consent, and the endpoint `webhookUrl` created with it. */
export class CreatedConsentView extends ConsentView {
  @ApiPropertyOptional({
    example: 'we_01JD8Z…',
    description: 'With `webhookUrl`: the endpoint scoped to this consent.',
  })
  webhookId?: string;
  @ApiPropertyOptional({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'With `webhookUrl`: the endpoint’s signing secret, shown only now.',
  })
  webhookSecret?: string;
}
