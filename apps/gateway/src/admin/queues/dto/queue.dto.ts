import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOptional } from '@ais/http-kit';
import { JOB_STATES, type ListableJobState } from '../queue-inspector.js';

export class QueueJobsQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATES, default: 'failed' })
  @IsOptional()
  @IsIn(JOB_STATES)
  state?: ListableJobState;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page’s nextCursor.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

/** POST bodies that take no fields: anything sent is an unknown field (400). */
export class NoFieldsDto {}

export class QueueCountsView {
  @ApiProperty() waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() prioritized!: number;
  @ApiProperty() waitingChildren!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({
    description: 'Kept finished jobs (sync jobs are removed when they finish; their outcome is the sync run).',
  })
  completed!: number;
  @ApiProperty({ description: 'Of the waiting and prioritized jobs, those held by the pause (0 unless paused).' })
  paused!: number;
}

export class RateLimitView {
  @ApiProperty() max!: number;
  @ApiProperty() durationMs!: number;
}

export class QueueView {
  @ApiProperty({ example: 'sync.allstar' }) name!: string;
  @ApiProperty({ enum: ['sync', 'scheduler', 'consents'] }) kind!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'The bank of a sync queue.' }) providerId!:
    string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    enum: ['active', 'inactive'],
    description: 'That bank’s status (an inactive bank’s queue may still hold jobs).',
  })
  providerStatus!: string | null;
  @ApiProperty({ type: QueueCountsView }) counts!: QueueCountsView;
  @ApiProperty({ description: 'Paused by an operator: no job starts, running ones finish.' }) paused!: boolean;
  @ApiProperty({
    description:
      'How long the sync-worker still holds the queue back (after a 429 or 503 with Retry-After, or an open circuit); 0 = not.',
  })
  backoffMs!: number;
  @ApiPropertyOptional({
    type: RateLimitView,
    nullable: true,
    description:
      'The queue-wide rate limit stored in Redis: for a sync queue, the bank’s limit (SYNC_QUEUE_LIMIT_*, SYNC_QUEUE_LIMITS) as the sync-worker set it when it started on the queue.',
  })
  globalRateLimit!: RateLimitView | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) globalConcurrency!: number | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'Worker connections on the queue; null when Redis does not allow CLIENT LIST.',
  })
  workers!: number | null;
}

export class JobView {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'sync-consent' }) name!: string;
  @ApiProperty({ enum: [...JOB_STATES, 'unknown'] }) state!: string;
  @ApiProperty() attemptsMade!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) failedReason!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) processedAt!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({
    description: 'The payload’s ids only (tenant, consent, provider, sync run, trigger); never a PSU’s IP address.',
    example: { consentId: 'cons_…', tenantId: 'ten_…' },
  })
  data!: Record<string, string>;
}

export class JobPageView {
  @ApiProperty({ type: [JobView] }) data!: JobView[];
  @ApiPropertyOptional({ nullable: true, type: String }) nextCursor!: string | null;
}

export class QueueListView {
  @ApiProperty({ type: [QueueView] }) data!: QueueView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last.' })
  nextCursor!: string | null;
}
