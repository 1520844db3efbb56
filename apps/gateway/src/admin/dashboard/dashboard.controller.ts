import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard.page.js';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';
import { DASHBOARD_STYLE } from './dashboard.style.js';

/**
 * GET /admin: the operators' dashboard. The page and its assets carry no data and need no token; the
 * page asks for the admin token and calls the admin API with it (see dashboard.script.ts).
 */
@ApiTags('Admin: operations')
@Controller('admin')
export class DashboardController {
  @Get()
  @ApiOperation({
    summary:
      'The operators’ dashboard (HTML): stats, provider health, queues with retry / pause / resume, failed sync runs and deliveries, tenants.',
    description:
      'The page holds no data: it asks for the admin token, keeps it in the tab’s session storage and sends it as a Bearer header to the admin API.',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } })
  page(@Res() reply: FastifyReply): void {
    void reply.headers(DASHBOARD_HEADERS).type('text/html; charset=utf-8').send(DASHBOARD_HTML);
  }

  @Get('assets/dashboard.js')
  @ApiExcludeEndpoint()
  script(@Res() reply: FastifyReply): void {
    void reply
      .headers({ ...DASHBOARD_HEADERS, 'cache-control': 'no-cache' })
      .type('text/javascript; charset=utf-8')
      .send(DASHBOARD_SCRIPT);
  }

  @Get('assets/dashboard.css')
  @ApiExcludeEndpoint()
  style(@Res() reply: FastifyReply): void {
    void reply
      .headers({ ...DASHBOARD_HEADERS, 'cache-control': 'no-cache' })
      .type('text/css; charset=utf-8')
      .send(DASHBOARD_STYLE);
  }
}
