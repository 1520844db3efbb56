import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MinuteSeriesRepository } from '@ais/db';
import type { Logger } from '@ais/observability';
import { LOGGER } from '../../tokens.js';
import { QueueInspector, type QueueSnapshot } from '../queues/queue-inspector.js';

/** The Redis series of queue depths, one sample per minute for every queue. */
export const QUEUE_DEPTH_SERIES = 'queues';
/** How often each instance offers to take the minute's sample (the first to ask in a minute takes it). */
export const QUEUE_SAMPLE_EVERY_MS = 20_000;

/** The depths charted per queue. `waiting` counts prioritized jobs too (both wait for a worker). */
export const DEPTH_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type DepthState = (typeof DEPTH_STATES)[number];

export const depthsOf = (s: QueueSnapshot): Record<DepthState, number> => ({
  waiting: s.counts.waiting + s.counts.prioritized,
  active: s.counts.active,
  delayed: s.counts.delayed,
  failed: s.counts.failed,
});

/** The field of one queue's depth in a minute's sample. */
export const depthField = (queue: string, state: DepthState): string => `${queue}|${state}`;

/**
 * Queue depths over time. BullMQ keeps only the current counts, so the gateway samples them: once a
 * minute for all instances together (MinuteSeriesRepository.claim elects the instance that takes the
 * minute's sample), into Redis, kept a day. The current depths are read live at each request.
 */
@Injectable()
export class QueueDepthSampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly queues: QueueInspector,
    private readonly series: MinuteSeriesRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), QUEUE_SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  /** Takes the sample of the minute `now` falls in, unless an instance already has. */
  sample(now = new Date()): Promise<void> {
    this.running ??= this.take(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async take(now: Date): Promise<void> {
    try {
      if (!(await this.series.claim(QUEUE_DEPTH_SERIES, now))) return;
      const refs = await this.queues.refs();
      const snapshots = await Promise.all(refs.map((ref) => this.queues.snapshot(ref, { workers: false })));
      const values: Record<string, number> = {};
      for (const s of snapshots) {
        const depths = depthsOf(s);
        for (const state of DEPTH_STATES) values[depthField(s.name, state)] = depths[state];
      }
      await this.series.set(QUEUE_DEPTH_SERIES, now, values);
    } catch (error) {
      this.logger.warn({ err: error }, 'could not sample the queue depths');
    }
  }
}
