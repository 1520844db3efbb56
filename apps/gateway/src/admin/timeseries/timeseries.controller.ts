import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../../auth/decorators.js';
import {
  ApiTrafficTimeseriesView,
  HistoryWindowQueryDto,
  MinuteWindowQueryDto,
  QueueTimeseriesView,
  SyncRunTimeseriesView,
  WebhookTimeseriesView,
} from './dto/timeseries.dto.js';
import { TimeseriesService } from './timeseries.service.js';

const BAD_WINDOW = { description: 'An unknown window or query field (problem+json, code validation_failed).' };

/** The dashboard's charts: figures over time in buckets, each array one entry per bucket, oldest first. */
@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/timeseries')
export class TimeseriesController {
  constructor(private readonly series: TimeseriesService) {}

  @Get('sync-runs')
  @ApiOperation({
    summary:
      'Per bank, sync runs by outcome, bank 429s, spent budgets and unattended bank calls, over the last 24 hours (hourly) or 7 days (6-hourly).',
  })
  @ApiOkResponse({ type: SyncRunTimeseriesView })
  @ApiBadRequestResponse(BAD_WINDOW)
  syncRuns(@Query() query: HistoryWindowQueryDto): Promise<SyncRunTimeseriesView> {
    return this.series.syncRuns(query.window ?? '24h');
  }

  @Get('webhooks')
  @ApiOperation({
    summary:
      'Webhook deliveries that succeeded or were given up, failed attempts, and commit→delivery latency p50 / p99, over the last 24 hours or 7 days.',
  })
  @ApiOkResponse({ type: WebhookTimeseriesView })
  @ApiBadRequestResponse(BAD_WINDOW)
  webhooks(@Query() query: HistoryWindowQueryDto): Promise<WebhookTimeseriesView> {
    return this.series.webhooks(query.window ?? '24h');
  }

  @Get('api-requests')
  @ApiOperation({
    summary: 'API requests, 4xx and 5xx per minute across every gateway instance, over the last hour or 24 hours.',
  })
  @ApiOkResponse({ type: ApiTrafficTimeseriesView })
  @ApiBadRequestResponse(BAD_WINDOW)
  apiRequests(@Query() query: MinuteWindowQueryDto): Promise<ApiTrafficTimeseriesView> {
    return this.series.apiTraffic(query.window ?? '1h');
  }

  @Get('queues')
  @ApiOperation({
    summary: 'Depth of every BullMQ queue (waiting, active, delayed, failed), now and sampled once a minute.',
  })
  @ApiOkResponse({ type: QueueTimeseriesView })
  @ApiBadRequestResponse(BAD_WINDOW)
  queues(@Query() query: MinuteWindowQueryDto): Promise<QueueTimeseriesView> {
    return this.series.queueDepths(query.window ?? '1h');
  }
}
