import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { IsCalendarDate, IsOptional, PageQueryDto } from '@ais/http-kit';

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
