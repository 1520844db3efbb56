import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminSyncRunRepository, type AdminSyncRunRecord } from '@ais/db';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage } from '@ais/http-kit';
import { AdminAuth } from '../../auth/decorators.js';
import { syncRunView } from '../../sync/sync-runs.service.js';
import { AdminSyncRunListQueryDto, AdminSyncRunPageView, type AdminSyncRunView } from './dto/admin-sync-run.dto.js';

const CURSOR = defineCursor('admin-sync-runs', { q: cursorFields.instant, i: cursorFields.id('sr') });

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
  constructor(
    private readonly runs: AdminSyncRunRepository,
    private readonly cursors: CursorCodec,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Sync runs across tenants, newest first (keyset on queued time and id); e.g. ?status=failed&providerId=allstar.',
  })
  @ApiOkResponse({ type: AdminSyncRunPageView })
  async list(@Query() query: AdminSyncRunListQueryDto): Promise<AdminSyncRunPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(CURSOR, query.cursor);
    const rows = await this.runs.list({
      status: query.status,
      providerId: query.providerId,
      tenantId: query.tenantId,
      before: before && { queuedAt: before.q, id: before.i },
      limit: limit + 1,
    });
    return toPage(rows, limit, view, (r) => this.cursors.encode(CURSOR, { q: r.queuedAt, i: r.id }));
  }
}
