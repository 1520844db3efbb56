import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

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
  @Matches(DATE, { message: 'from must be a date (YYYY-MM-DD)' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-01-31', description: 'Latest booking date (inclusive).' })
  @IsOptional()
  @Matches(DATE, { message: 'to must be a date (YYYY-MM-DD)' })
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
