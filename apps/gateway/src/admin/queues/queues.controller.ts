import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { PageQueryDto } from '@ais/http-kit';
import { AdminAuth } from '../../auth/decorators.js';
import { adminContext } from '../../auth/request-context.js';
import { JobPageView, JobView, NoFieldsDto, QueueJobsQueryDto, QueueListView, QueueView } from './dto/queue.dto.js';
import { QueuesService } from './queues.service.js';

@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Get()
  @ApiOperation({
    summary:
      'Every BullMQ queue: one sync queue per provider, the scheduler, consents; job counts per state, paused, backoff, rate limit.',
  })
  @ApiOkResponse({ type: QueueListView })
  list(@Query() query: PageQueryDto): Promise<QueueListView> {
    return this.queues.list(query);
  }

  @Get(':queue')
  @ApiOkResponse({ type: QueueView })
  @ApiNotFoundResponse({ description: 'No such queue.' })
  get(@Param('queue') queue: string) {
    return this.queues.get(queue);
  }

  @Get(':queue/jobs')
  @ApiOperation({ summary: 'Jobs in one state (default failed), newest first.' })
  @ApiOkResponse({ type: JobPageView })
  @ApiNotFoundResponse({ description: 'No such queue.' })
  jobs(@Param('queue') queue: string, @Query() query: QueueJobsQueryDto) {
    return this.queues.jobs(queue, query);
  }

  @Post(':queue/jobs/:jobId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move a failed job back to waiting, with its attempts counted afresh. Audited.' })
  @ApiOkResponse({ type: JobView })
  @ApiNotFoundResponse({ description: 'No such queue or job.' })
  @ApiConflictResponse({ description: 'The job is not failed (waiting, active, completed…).' })
  retry(
    @Param('queue') queue: string,
    @Param('jobId') jobId: string,
    @Body() _body: NoFieldsDto,
    @Req() req: FastifyRequest,
  ) {
    return this.queues.retry(queue, jobId, adminContext(req));
  }

  @Post(':queue/pause')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Pause a queue (e.g. a bank’s sync queue during its incident): no job starts, running ones finish. Audited.',
  })
  @ApiOkResponse({ type: QueueView })
  @ApiNotFoundResponse({ description: 'No such queue.' })
  pause(@Param('queue') queue: string, @Body() _body: NoFieldsDto, @Req() req: FastifyRequest) {
    return this.queues.setPaused(queue, true, adminContext(req));
  }

  @Post(':queue/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused queue. Audited.' })
  @ApiOkResponse({ type: QueueView })
  @ApiNotFoundResponse({ description: 'No such queue.' })
  resume(@Param('queue') queue: string, @Body() _body: NoFieldsDto, @Req() req: FastifyRequest) {
    return this.queues.setPaused(queue, false, adminContext(req));
  }
}
