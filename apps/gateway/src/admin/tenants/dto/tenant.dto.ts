import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';
import { IsRedirectUri } from './redirect-uri.validator.js';

export class CreateTenantDto {
  @ApiProperty({ example: 'Acme Budgeting Ltd', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['https://app.acme.example/bank/callback'],
    description: 'Exact-match allow-list.',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsRedirectUri()
  redirectUris!: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100000, description: 'Requests per minute; default from configuration.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rateLimitPerMinute?: number;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsRedirectUri()
  redirectUris?: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  rateLimitPerMinute?: number;
}

export class IssueCredentialDto {
  @ApiProperty({ enum: ['api_key', 'oauth_client'] })
  @IsIn(['api_key', 'oauth_client'])
  kind!: 'api_key' | 'oauth_client';

  @ApiPropertyOptional({ description: 'Rotate: the credential this one replaces (same kind).' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  rotates?: string;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 604800,
    default: 0,
    description: 'Seconds the rotated credential keeps working (max 7 days).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604_800)
  gracePeriodSeconds?: number;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  label?: string;
}

export class TenantListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: 'active' | 'suspended';
}

export class TenantView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiProperty({ type: [String] }) redirectUris!: string[];
  @ApiProperty() rateLimitPerMinute!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class CreatedTenantView extends TenantView {
  @ApiProperty({ description: 'Shown once.' }) apiKey!: string;
  @ApiProperty() apiKeyId!: string;
  @ApiProperty() clientId!: string;
  @ApiProperty({ description: 'Shown once.' }) clientSecret!: string;
  @ApiProperty() oauthClientCredentialId!: string;
}

export class CredentialView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['api_key', 'oauth_client'] }) kind!: string;
  @ApiProperty({ enum: ['active', 'revoked'] }) status!: string;
  @ApiProperty({ description: 'API key prefix or OAuth client_id.' }) publicId!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiPropertyOptional({ nullable: true }) expiresAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) lastUsedAt!: string | null;
  @ApiPropertyOptional({ nullable: true }) revokedAt!: string | null;
  @ApiProperty() createdAt!: string;
}

export class IssuedCredentialView extends CredentialView {
  @ApiPropertyOptional({ description: 'The API key (kind api_key), shown once.' }) apiKey?: string;
  @ApiPropertyOptional({ description: 'OAuth client id (kind oauth_client).' }) clientId?: string;
  @ApiPropertyOptional({ description: 'OAuth client secret, shown once.' }) clientSecret?: string;
}
