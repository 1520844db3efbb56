import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Metrics } from '@ais/observability';
import { AdminAuth } from '../auth/decorators.js';

/** Prometheus text; on the public port, so it takes the admin token (Prometheus supports bearer). */
@ApiExcludeController()
@AdminAuth()
@Controller('metrics')
export class MetricsController {
  constructor(@Inject(Metrics) private readonly metrics: Metrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
