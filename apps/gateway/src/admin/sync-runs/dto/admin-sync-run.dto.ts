import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';
import type { SyncRunStatus } from '@ais/db';
import { SyncRunView } from '../../../sync/dto/sync-run.dto.js';

const STATUSES: SyncRunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'deferred'];
const ID = /^[A-Za-z0-9_-]+$/;

export class AdminSyncRunListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: SyncRunStatus;

  @ApiPropertyOptional({ example: 'allstar' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(ID, { message: 'providerId must be an id' })
  providerId?: string;

  @ApiPropertyOptional({ example: 'ten_01JD8Z3R6X9Q2W5K7M1N4P8T0V' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(ID, { message: 'tenantId must be an id' })
  tenantId?: string;
}

export class AdminSyncRunView extends SyncRunView {
  @ApiProperty() tenantId!: string;
  @ApiProperty() consentId!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) providerId!: string | null;
  @ApiProperty({ description: 'Attempts the sync-worker made.' }) attempts!: number;
}

export class AdminSyncRunPageView {
  @ApiProperty({ type: [AdminSyncRunView] }) data!: AdminSyncRunView[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
}
