import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { dashboardAsset } from './dashboard.assets.js';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard.page.js';

/**
 * GET /admin: the operators' dashboard. The page and its assets carry no data and need no token; the
 * page asks for the admin token and calls the admin API with it (browser/api.ts). The assets are a
 * fixed list (dashboard.assets.ts): the page's compiled modules, its stylesheet and the chart library.
 */
@ApiTags('Admin: operations')
@Controller('admin')
export class DashboardController {
  @Get()
  @ApiOperation({
    summary:
      'The operators’ dashboard (HTML): stats, charts over time, provider health, queues with retry / pause / resume, failed sync runs and deliveries, tenants.',
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
    send(reply, 'dashboard.js');
  }

  @Get('assets/api.js')
  @ApiExcludeEndpoint()
  apiModule(@Res() reply: FastifyReply): void {
    send(reply, 'api.js');
  }

  @Get('assets/charts.js')
  @ApiExcludeEndpoint()
  chartsModule(@Res() reply: FastifyReply): void {
    send(reply, 'charts.js');
  }

  @Get('assets/dom.js')
  @ApiExcludeEndpoint()
  domModule(@Res() reply: FastifyReply): void {
    send(reply, 'dom.js');
  }

  @Get('assets/dashboard.css')
  @ApiExcludeEndpoint()
  style(@Res() reply: FastifyReply): void {
    send(reply, 'dashboard.css');
  }

  @Get('assets/uplot.js')
  @ApiExcludeEndpoint()
  chartLibrary(@Res() reply: FastifyReply): void {
    send(reply, 'uplot.js');
  }

  @Get('assets/uplot.css')
  @ApiExcludeEndpoint()
  chartStyle(@Res() reply: FastifyReply): void {
    send(reply, 'uplot.css');
  }
}

function send(reply: FastifyReply, name: string): void {
  const { contentType, body } = dashboardAsset(name);
  void reply
    .headers({ ...DASHBOARD_HEADERS, 'cache-control': 'no-cache' })
    .type(contentType)
    .send(body);
}
