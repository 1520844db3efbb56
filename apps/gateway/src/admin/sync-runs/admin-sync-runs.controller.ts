import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminSyncRunRepository, type AdminSyncRunRecord } from '@ais/db';
import { DEFAULT_PAGE_LIMIT, decodeCursor, encodeCursor, toPage } from '@ais/http-kit';
import { AdminAuth } from '../../auth/decorators.js';
import { syncRunView } from '../../sync/sync-runs.service.js';
import { AdminSyncRunListQueryDto, AdminSyncRunPageView, type AdminSyncRunView } from './dto/admin-sync-run.dto.js';

const CURSOR = 'admin-sync-runs';

const view = (r: AdminSyncRunRecord): AdminSyncRunView => ({
  ...syncRunView(r),
  tenantId: r.tenantId,
  consentId: r.consentId,
  providerId: r.providerId,
  attempts: r.attempts,
});

@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/sync-runs')
export class AdminSyncRunsController {
  constructor(private readonly runs: AdminSyncRunRepository) {}

  @Get()
  @ApiOperation({
    summary:
      'Sync runs across tenants, newest first (keyset on queued time and id); e.g. ?status=failed&providerId=allstar.',
  })
  @ApiOkResponse({ type: AdminSyncRunPageView })
  async list(@Query() query: AdminSyncRunListQueryDto): Promise<AdminSyncRunPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = decodeCursor<{ q: string; i: string }>(CURSOR, query.cursor, ['q', 'i']);
    const rows = await this.runs.list({
      status: query.status,
      providerId: query.providerId,
      tenantId: query.tenantId,
      before: before && { queuedAt: new Date(before.q), id: before.i },
      limit: limit + 1,
    });
    return toPage(rows, limit, view, (r) => encodeCursor(CURSOR, { q: r.queuedAt.toISOString(), i: r.id }));
  }
}
