import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptional } from '@ais/http-kit';
import { HISTORY_WINDOWS, MINUTE_WINDOWS, type HistoryWindow, type MinuteWindow } from '../timeseries-window.js';

const HISTORY = Object.keys(HISTORY_WINDOWS) as HistoryWindow[];
const MINUTES = Object.keys(MINUTE_WINDOWS) as MinuteWindow[];

const counts = (description: string): ApiPropertyOptions => ({ type: [Number], description, example: [0, 3, 1] });
const optionalFigures = (description: string): ApiPropertyOptions => ({
  type: 'array',
  items: { type: 'number', nullable: true },
  description,
  example: [null, 120.5, 98],
});

export class HistoryWindowQueryDto {
  @ApiPropertyOptional({
    enum: HISTORY,
    default: '24h',
    description: '24h: the last 24 hours by the hour; 7d: the last 7 days by 6 hours.',
  })
  @IsOptional()
  @IsIn(HISTORY, { message: `window must be one of ${HISTORY.join(', ')}` })
  window?: HistoryWindow;
}

export class MinuteWindowQueryDto {
  @ApiPropertyOptional({
    enum: MINUTES,
    default: '1h',
    description: 'The last hour or the last 24 hours, minute by minute.',
  })
  @IsOptional()
  @IsIn(MINUTES, { message: `window must be one of ${MINUTES.join(', ')}` })
  window?: MinuteWindow;
}

/** What every series answer says about its buckets; each figure array has one entry per bucket, oldest first. */
export class BucketsView {
  @ApiProperty({ example: '2026-12-04T14:00:00.000Z', description: 'Start of the first bucket.' }) from!: string;
  @ApiProperty({
    example: '2026-12-05T14:00:00.000Z',
    description: 'End of the last bucket (exclusive); the last bucket holds now and is still filling.',
  })
  to!: string;
  @ApiProperty({ example: 3600, description: 'Length of a bucket.' }) bucketSeconds!: number;
  @ApiProperty({
    type: [String],
    description: 'Start of every bucket, oldest first (UTC, aligned on multiples of the bucket length).',
    example: ['2026-12-04T14:00:00.000Z', '2026-12-04T15:00:00.000Z'],
  })
  buckets!: string[];
  @ApiProperty({ example: '2026-12-05T13:21:07.118Z' }) generatedAt!: string;
}

export class ProviderSyncSeriesView {
  @ApiProperty({ example: 'allstar' }) providerId!: string;
  @ApiProperty({ example: 'Allstar Bank' }) name!: string;
  @ApiProperty({ enum: ['active', 'inactive'] }) status!: string;
  @ApiProperty(counts('Sync runs queued in the bucket.')) runs!: number[];
  @ApiProperty(counts('Of those, succeeded.')) succeeded!: number[];
  @ApiProperty(counts('Of those, failed.')) failed!: number[];
  @ApiProperty(counts('Of those, deferred (the bank asked us to wait, or the consent’s budget was spent).'))
  deferred!: number[];
  @ApiProperty(counts('Of those, still queued or running.')) inFlight!: number[];
  @ApiProperty(counts('Of those, answered HTTP 429 by the bank (bank_rate_limited). Should stay 0.'))
  bankRateLimited!: number[];
  @ApiProperty(counts('Of those, deferred because the consent’s unattended budget was spent (budget_exhausted).'))
  budgetExhausted!: number[];
  @ApiProperty(
    counts(
      'Unattended calls (PSU not present) made to the bank in the bucket, from the access ledger: what the consents’ budgets count.',
    ),
  )
  unattendedCalls!: number[];
}

export class SyncRunTimeseriesView extends BucketsView {
  @ApiProperty({ enum: HISTORY }) window!: string;
  @ApiProperty({
    type: [ProviderSyncSeriesView],
    description: 'Every active provider, and inactive ones with runs or calls in the window; by name.',
  })
  providers!: ProviderSyncSeriesView[];
}

export class WebhookTimeseriesView extends BucketsView {
  @ApiProperty({ enum: HISTORY }) window!: string;
  @ApiProperty(counts('Deliveries that succeeded, by the time of their last attempt.')) delivered!: number[];
  @ApiProperty(counts('Deliveries given up (failed for good), by the time of their last attempt.')) failed!: number[];
  @ApiProperty(counts('Attempts that got no 2xx (an HTTP error, a timeout, a refused connection): retries ahead.'))
  failedAttempts!: number[];
  @ApiProperty(
    optionalFigures(
      'Median commit→delivery latency of the bucket’s successful deliveries, in ms: from the event being written (its transaction’s time) to the subscriber’s 2xx; null without any.',
    ),
  )
  latencyP50Ms!: (number | null)[];
  @ApiProperty(optionalFigures('99th percentile of the same, in ms; null without any.'))
  latencyP99Ms!: (number | null)[];
}

export class ApiTrafficTimeseriesView extends BucketsView {
  @ApiProperty({ enum: MINUTES }) window!: string;
  @ApiProperty(
    counts(
      'Requests answered per minute by every gateway instance together (/admin, /metrics and /health are not counted).',
    ),
  )
  requests!: number[];
  @ApiProperty(counts('Of those, answered 4xx.')) clientErrors!: number[];
  @ApiProperty(counts('Of those, answered 5xx.')) serverErrors!: number[];
}

export class QueueDepthsView {
  @ApiProperty({ example: 3 }) waiting!: number;
  @ApiProperty({ example: 1 }) active!: number;
  @ApiProperty({ example: 0 }) delayed!: number;
  @ApiProperty({ example: 0 }) failed!: number;
}

export class QueueSeriesView {
  @ApiProperty({ example: 'sync.allstar' }) name!: string;
  @ApiProperty({ enum: ['sync', 'scheduler', 'consents'] }) kind!: string;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'allstar' }) providerId!: string | null;
  @ApiProperty({ type: QueueDepthsView, description: 'The depths now (read at this request).' })
  current!: QueueDepthsView;
  @ApiProperty(optionalFigures('Jobs waiting for a worker (prioritized ones included); null: no sample that minute.'))
  waiting!: (number | null)[];
  @ApiProperty(optionalFigures('Jobs being processed.')) active!: (number | null)[];
  @ApiProperty(optionalFigures('Jobs delayed (retries after a backoff, deferred syncs).')) delayed!: (number | null)[];
  @ApiProperty(optionalFigures('Failed jobs kept for inspection.')) failed!: (number | null)[];
}

export class QueueTimeseriesView extends BucketsView {
  @ApiProperty({ enum: MINUTES }) window!: string;
  @ApiProperty({
    type: [QueueSeriesView],
    description:
      'Every queue: one sync queue per provider, the scheduler, consents. Sampled once a minute; the last minute is the live count.',
  })
  queues!: QueueSeriesView[];
}
