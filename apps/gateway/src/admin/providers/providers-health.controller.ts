import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { PageQueryDto } from '@ais/http-kit';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../../auth/decorators.js';
import { adminContext } from '../../auth/request-context.js';
import { OnboardProviderDto, OnboardedView, ProviderHealthListView } from './dto/provider-health.dto.js';
import { ProviderHealthService } from './provider-health.service.js';

@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/providers')
export class ProvidersHealthController {
  constructor(private readonly health: ProviderHealthService) {}

  @Get('health')
  @ApiOperation({
    summary:
      'Per bank: registration, last successful / failed sync, error codes and failure rates, 429s, circuit and queue state, and a verdict with reasons.',
  })
  @ApiOkResponse({ type: ProviderHealthListView })
  list(@Query() query: PageQueryDto): Promise<ProviderHealthListView> {
    return this.health.health(query);
  }

  @Post(':providerId/onboard')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Register the gateway at the bank (connector.onboard: DCR, developer portal or configuration). Audited, failures included.',
  })
  @ApiOkResponse({ type: OnboardedView })
  @ApiNotFoundResponse({ description: 'No such provider.' })
  @ApiServiceUnavailableResponse({ description: 'The connector-service or the bank did not answer.' })
  onboard(
    @Param('providerId') providerId: string,
    @Body() body: OnboardProviderDto,
    @Req() req: FastifyRequest,
  ): Promise<OnboardedView> {
    return this.health.onboard(providerId, body, adminContext(req));
  }
}
