import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLogRepository } from '@ais/db';
import { AppError } from '@ais/domain';
import { DEFAULT_PAGE_LIMIT, decodeCursor, encodeCursor, toPage } from '@ais/http-kit';
import { AdminAuth } from '../../auth/decorators.js';
import { AuditLogQueryDto, AuditPageView, type AuditEntryView } from './dto/audit-log.dto.js';

const CURSOR = 'admin-audit-log';

type AuditRow = Awaited<ReturnType<AuditLogRepository['list']>>[number];

const view = (e: AuditRow): AuditEntryView => ({
  id: e.id.toString(),
  actor: e.actor,
  action: e.action,
  targetType: e.targetType,
  targetId: e.targetId,
  tenantId: e.tenantId,
  details: e.details,
  requestId: e.requestId,
  createdAt: e.createdAt.toISOString(),
});

@ApiTags('Admin: operations')
@AdminAuth()
@Controller('admin/audit-log')
export class AuditLogController {
  constructor(private readonly audit: AuditLogRepository) {}

  @Get()
  @ApiOperation({ summary: 'What operators did (tenants, credentials, queues, jobs, onboarding), newest first.' })
  @ApiOkResponse({ type: AuditPageView })
  async list(@Query() query: AuditLogQueryDto): Promise<AuditPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = decodeCursor<{ i: string }>(CURSOR, query.cursor, ['i']);
    if (before && !/^[1-9][0-9]{0,18}$/.test(before.i))
      throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid for this list' }]);
    const rows = await this.audit.list({
      tenantId: query.tenantId,
      beforeId: before && BigInt(before.i),
      limit: limit + 1,
    });
    return toPage(rows, limit, view, (e) => encodeCursor(CURSOR, { i: e.id.toString() }));
  }
}
