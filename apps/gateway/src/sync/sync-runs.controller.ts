import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { TenantPrincipal } from '@ais/auth';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { PageView } from '@ais/http-kit';
import { RefreshAcceptedView, RefreshConsentDto, SyncRunListQueryDto, SyncRunView } from './dto/sync-run.dto.js';
import { SyncRunsService } from './sync-runs.service.js';

@ApiTags('Sync')
@TenantAuth()
@Controller('v1/consents/:consentId')
export class SyncRunsController {
  constructor(private readonly syncRuns: SyncRunsService) {}

  @Post('refresh')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Sync the consent now: PSU-present with psuIpAddress, else within the unattended budget. Never two syncs of a consent at once.',
  })
  @ApiAcceptedResponse({ type: RefreshAcceptedView })
  @ApiTooManyRequestsResponse({
    description: 'budget_exhausted: no unattended call left; Retry-After and nextAllowedAt say when.',
  })
  refresh(
    @Principal() principal: TenantPrincipal,
    @Param('consentId') consentId: string,
    @Body() body: RefreshConsentDto,
  ): Promise<RefreshAcceptedView> {
    return this.syncRuns.refresh(principal.tenantId, consentId, body.psuIpAddress);
  }

  @Get('sync-runs')
  @ApiOkResponse({ description: 'Newest first.', type: PageView(SyncRunView) })
  list(
    @Principal() principal: TenantPrincipal,
    @Param('consentId') consentId: string,
    @Query() query: SyncRunListQueryDto,
  ) {
    return this.syncRuns.list(principal.tenantId, consentId, query);
  }
}
