import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class CountFigureView {
  @ApiProperty() count!: number;
  @ApiProperty({
    description:
      'true: the planner’s estimate (pg_class.reltuples, summed over partitions), used above 100 000 rows; false: an exact count.',
  })
  estimated!: boolean;
}

export class TenantCountsView {
  @ApiProperty() active!: number;
  @ApiProperty() suspended!: number;
  @ApiProperty() total!: number;
}

export class ConsentCountsView {
  @ApiProperty() total!: number;
  @ApiProperty({
    description: 'Every consent status, zero included.',
    example: { awaiting_authorisation: 3, authorised: 120, rejected: 1, revoked: 4, expired: 9, failed: 0 },
  })
  byStatus!: Record<string, number>;
}

export class ProviderCountsView {
  @ApiProperty() active!: number;
  @ApiProperty() inactive!: number;
  @ApiProperty() total!: number;
}

export class SyncRunStatusCountsView {
  @ApiProperty() queued!: number;
  @ApiProperty() running!: number;
  @ApiProperty() succeeded!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() deferred!: number;
  @ApiProperty() total!: number;
}

export class SyncRunWindowsView {
  @ApiProperty({ type: SyncRunStatusCountsView, description: 'Runs queued in the last hour, by their current status.' })
  lastHour!: SyncRunStatusCountsView;
  @ApiProperty({
    type: SyncRunStatusCountsView,
    description: 'Runs queued in the last 24 hours, by their current status.',
  })
  last24h!: SyncRunStatusCountsView;
}

export class DataCountsView {
  @ApiProperty({ type: CountFigureView }) accounts!: CountFigureView;
  @ApiProperty({ type: CountFigureView, description: 'Rows stored, removed ones included.' })
  transactions!: CountFigureView;
}

export class EventCountsView {
  @ApiProperty({ description: 'Events written in the last 24 hours (the outbox and the tenants’ event log).' })
  last24h!: number;
}

export class DeliveryBacklogView {
  @ApiProperty({ description: 'Deliveries still to make or retry.' }) pending!: number;
  @ApiProperty({ description: 'Deliveries that gave up (retries exhausted).' }) failed!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) oldestPendingAt!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    description: 'Age of the oldest pending delivery: how far behind subscribers are.',
  })
  oldestPendingAgeSeconds!: number | null;
}

export class EndpointCountsView {
  @ApiProperty() enabled!: number;
  @ApiProperty({ description: 'Disabled after failing for days, or by the tenant.' }) disabled!: number;
  @ApiProperty({ description: 'Enabled but failing now (failing_since set).' }) failing!: number;
}

export class WebhookCountsView {
  @ApiProperty({ type: DeliveryBacklogView }) deliveries!: DeliveryBacklogView;
  @ApiProperty({ type: EndpointCountsView }) endpoints!: EndpointCountsView;
}

export class QueueTotalsView {
  @ApiProperty({ description: 'Jobs waiting to start (prioritized included), over every queue.' }) waiting!: number;
  @ApiProperty() active!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ type: [String], description: 'Queues an operator paused.' }) paused!: string[];
  @ApiProperty({
    type: [String],
    description: 'Queues the sync-worker holds back (a bank’s 429 / 503 / open circuit).',
  })
  backingOff!: string[];
}

export class StatsView {
  @ApiProperty() generatedAt!: string;
  @ApiProperty({ type: TenantCountsView }) tenants!: TenantCountsView;
  @ApiProperty({ type: ConsentCountsView }) consents!: ConsentCountsView;
  @ApiProperty({ type: ProviderCountsView }) providers!: ProviderCountsView;
  @ApiProperty({ type: SyncRunWindowsView }) syncRuns!: SyncRunWindowsView;
  @ApiProperty({ type: DataCountsView }) data!: DataCountsView;
  @ApiProperty({ type: EventCountsView }) events!: EventCountsView;
  @ApiProperty({ type: WebhookCountsView }) webhooks!: WebhookCountsView;
  @ApiProperty({ type: QueueTotalsView }) queues!: QueueTotalsView;
}
