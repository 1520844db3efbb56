import { Injectable } from '@nestjs/common';
import type { JobHandler } from '../queues/job-handler.js';
import { SchedulerService } from '../scheduler/scheduler.service.js';

/** `schedule-due-syncs`: one tick of the scheduler (BullMQ's job scheduler fires it). */
@Injectable()
export class ScheduleDueSyncsJob implements JobHandler<'schedule-due-syncs'> {
  readonly jobName = 'schedule-due-syncs' as const;

  constructor(private readonly scheduler: SchedulerService) {}

  async handle(): Promise<{ claimed: number; started: number }> {
    return this.scheduler.tick();
  }
}
