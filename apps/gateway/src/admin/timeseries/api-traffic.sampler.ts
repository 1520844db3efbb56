import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MinuteSeriesRepository } from '@ais/db';
import { Metrics, type Logger } from '@ais/observability';
import { LOGGER } from '../../tokens.js';
import { trafficSince, type RequestCountSample } from './api-traffic.js';

/** The Redis series the gateway instances add their API traffic to, minute by minute. */
export const API_TRAFFIC_SERIES = 'api';
/** How often an instance adds what its request counters grew by (a minute's figure may land in the next minute by this much). */
export const API_TRAFFIC_FLUSH_MS = 5_000;

/**
 * API requests and errors per minute, across every gateway instance: each instance reads its own
 * request histogram (http_request_duration_seconds, counted by libs/http-kit for every response) and
 * adds what it grew by to the minute in Redis (MinuteSeriesRepository). No extra work per request, one
 * Redis transaction per instance every few seconds (none while idle), and a day of minutes kept.
 */
@Injectable()
export class ApiTrafficSampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private recorded = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly series: MinuteSeriesRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), API_TRAFFIC_FLUSH_MS);
    this.timer.unref();
  }

  /** Adds the requests answered since the last flush to the current minute (one at a time). */
  flush(now = new Date()): Promise<void> {
    this.running ??= this.record(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async record(now: Date): Promise<void> {
    try {
      const { values } = await this.metrics.httpDuration.get();
      const samples: RequestCountSample[] = values.filter(
        (v) => v.metricName === 'http_request_duration_seconds_count',
      );
      const { figures, counts } = trafficSince(this.recorded, samples);
      await this.series.add(API_TRAFFIC_SERIES, now, { ...figures });
      // Only once Redis has them: a failed write is added again with the next flush.
      this.recorded = counts;
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record the API traffic of the last seconds');
    }
  }
}
