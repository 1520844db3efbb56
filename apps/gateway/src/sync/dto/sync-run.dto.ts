import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIP } from 'class-validator';
import { OPTIONAL_ACCOUNT_RESOURCES } from '@ais/domain';
import { IsOptional, PageQueryDto } from '@ais/http-kit';

export class RefreshConsentDto {
  @ApiPropertyOptional({
    example: '203.0.113.7',
    description:
      'The end user’s IP address when the user is in your app now: the refresh is PSU-present and does not use the unattended budget. Without it the refresh uses the budget (429 budget_exhausted when none is left).',
  })
  @IsOptional()
  @IsIP(undefined, { message: 'psuIpAddress must be an IPv4 or IPv6 address' })
  psuIpAddress?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Read the whole transaction history the consent allows again, as the first sync did, instead of only what can have changed (from the provider’s syncLookBackDays before the newest booked transaction stored). Without psuIpAddress it uses the unattended budget: the history is read newest first in chunks, and what the budget does not allow today follows in the next scheduled syncs. A sync already queued or running is joined; if it started before this request, the full read follows with the next sync.',
  })
  @IsOptional()
  @IsBoolean({ message: 'full must be a boolean' })
  full?: boolean;
}

export class SyncRunListQueryDto extends PageQueryDto {}

export class RefreshAcceptedView {
  @ApiProperty({
    example: 'sr_01JD8Z3R6X9Q2W5K7M1N4P8T0V',
    description: 'The run that will refresh the consent (the one already in flight, if any).',
  })
  syncRunId!: string;
}

class SyncRunCountsView {
  @ApiProperty() accounts!: number;
  @ApiProperty() transactionsAdded!: number;
  @ApiProperty() transactionsModified!: number;
  @ApiProperty() transactionsRemoved!: number;
}

class SyncRunErrorView {
  @ApiProperty({ example: 'budget_exhausted' }) code!: string;
  @ApiProperty() detail!: string;
}

export class SyncRunView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['initial', 'scheduled', 'psu_present', 'manual'] }) trigger!: string;
  @ApiProperty({
    enum: ['queued', 'running', 'succeeded', 'failed', 'deferred'],
    description: 'deferred: the bank’s limits allowed no call now; the consent’s nextSyncAt says when.',
  })
  status!: string;
  @ApiProperty() queuedAt!: string;
  @ApiProperty({ nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ type: SyncRunCountsView }) counts!: SyncRunCountsView;
  @ApiProperty({
    enum: OPTIONAL_ACCOUNT_RESOURCES,
    isArray: true,
    example: ['party'],
    description:
      'Optional resources the bank refused during the run (HTTP 403 / 404 for that resource). They do not fail the run: everything else is stored; each account’s `unavailable` says which of its resources.',
  })
  unavailable!: string[];
  @ApiPropertyOptional({
    type: SyncRunErrorView,
    description: 'Why the run failed or was deferred; while queued, the last transient error before a retry.',
  })
  error?: SyncRunErrorView;
}
