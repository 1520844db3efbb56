import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminAuth } from '../../auth/decorators.js';
import { StatsView } from './dto/stats.dto.js';
import { StatsService } from './stats.service.js';

@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @ApiOperation({
    summary:
      'How the system is: tenants, consents, providers, sync runs (last hour / 24 h), data stored, events, webhook backlog, queue depths.',
    description:
      'Every figure comes from an index or a bounded query; accounts and transactions are estimated above 100 000 rows (see `estimated`).',
  })
  @ApiOkResponse({ type: StatsView })
  get(): Promise<StatsView> {
    return this.stats.overview();
  }
}
