import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditLogRepository } from '@ais/db';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage } from '@ais/http-kit';
import { AdminAuth } from '../../auth/decorators.js';
import { AuditLogQueryDto, AuditPageView, type AuditEntryView } from './dto/audit-log.dto.js';

const CURSOR = defineCursor('admin-audit-log', { i: cursorFields.bigint });

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
  constructor(
    private readonly audit: AuditLogRepository,
    private readonly cursors: CursorCodec,
  ) {}

  @Get()
  @ApiOperation({ summary: 'What operators did (tenants, credentials, queues, jobs, onboarding), newest first.' })
  @ApiOkResponse({ type: AuditPageView })
  async list(@Query() query: AuditLogQueryDto): Promise<AuditPageView> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const before = this.cursors.decode(CURSOR, query.cursor);
    const rows = await this.audit.list({
      tenantId: query.tenantId,
      beforeId: before?.i,
      limit: limit + 1,
    });
    return toPage(rows, limit, view, (e) => this.cursors.encode(CURSOR, { i: e.id }));
  }
}
