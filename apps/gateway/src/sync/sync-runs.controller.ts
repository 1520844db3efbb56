import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { TenantPrincipal } from '@ais/auth';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { PageView } from '@ais/http-kit';
import { RefreshAcceptedView, RefreshConsentDto, SyncRunListQueryDto, SyncRunView } from './dto/sync-run.dto.js';
import { SyncRunsService } from './sync-runs.service.js';

/** The longest a refresh waits for its run (Prefer: wait=N, RFC 7240). */
export const MAX_REFRESH_WAIT_SECONDS = 30;

/** `wait=N` of a Prefer header, capped at MAX_REFRESH_WAIT_SECONDS; 0 without one (preferences are hints). */
export function preferredWaitSeconds(prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer ?? '');
  return match ? Math.min(Number(match[1]), MAX_REFRESH_WAIT_SECONDS) : 0;
}

@ApiTags('Sync')
@TenantAuth()
@Controller('v1/consents/:consentId')
export class SyncRunsController {
  constructor(private readonly syncRuns: SyncRunsService) {}

  @Post('refresh')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Sync the consent now: PSU-present with psuIpAddress, else within the unattended budget. It reads what can have changed (from the provider’s syncLookBackDays before the newest booked transaction stored); with `full: true`, the whole history again. Never two syncs of a consent at once: a sync already queued or running is joined. With `Prefer: wait=N` (N ≤ 30) the answer waits for the run: 200 with the finished run when it ends within N seconds, else 202.',
  })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description: '`wait=N` (seconds, at most 30): wait for the run to end (RFC 7240).',
    example: 'wait=20',
  })
  @ApiOkResponse({ type: SyncRunView, description: 'With Prefer: wait=N, the run ended within N seconds.' })
  @ApiAcceptedResponse({ type: RefreshAcceptedView, description: 'The run is queued or running.' })
  @ApiTooManyRequestsResponse({
    description: 'budget_exhausted: no unattended call left; Retry-After and retryAt (nextAllowedAt) say when.',
  })
  async refresh(
    @Principal() principal: TenantPrincipal,
    @Param('consentId') consentId: string,
    @Body() body: RefreshConsentDto,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RefreshAcceptedView | SyncRunView> {
    const accepted = await this.syncRuns.refresh(principal.tenantId, consentId, {
      psuIpAddress: body.psuIpAddress,
      full: body.full === true,
    });
    const wait = preferredWaitSeconds(prefer);
    if (wait === 0) return accepted;
    void reply.header('preference-applied', `wait=${wait}`);
    const ended = await this.syncRuns.waitForEnd(principal.tenantId, accepted.syncRunId, wait * 1000);
    if (!ended) return accepted;
    void reply.status(200);
    return ended;
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
