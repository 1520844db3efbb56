import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { IsOptional, PageQueryDto } from '@ais/http-kit';

export class AuditLogQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only entries about this tenant.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'tenantId must be an id' })
  tenantId?: string;
}

export class AuditEntryView {
  @ApiProperty({ description: 'Increasing with time.' }) id!: string;
  @ApiProperty({ example: 'admin' }) actor!: string;
  @ApiProperty({ example: 'queue.paused' }) action!: string;
  @ApiProperty({ example: 'queue' }) targetType!: string;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'sync.allstar' }) targetId!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) tenantId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details!: unknown;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The x-request-id of the request that did it.' })
  requestId!: string | null;
  @ApiProperty() createdAt!: string;
}

export class AuditPageView {
  @ApiProperty({ type: [AuditEntryView] }) data!: AuditEntryView[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
}
