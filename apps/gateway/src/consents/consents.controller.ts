import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { TenantPrincipal } from '@ais/auth';
import type { RpcClient } from '@ais/rpc';
import { Principal, TenantAuth } from '../auth/decorators.js';
import { tenantContext } from '../auth/request-context.js';
import { WebhooksService } from '../webhooks/webhooks.service.js';
import { CONSENT_RPC } from '../tokens.js';
import {
  ConsentListQueryDto,
  ConsentView,
  CreateConsentDto,
  CreatedConsentView,
  DeleteConsentQueryDto,
  ReauthoriseConsentDto,
} from './dto/consent.dto.js';
import { PageView } from '@ais/http-kit';
import { ConsentQueryService } from './consent-query.service.js';

@ApiTags('Consents')
@TenantAuth()
@Controller('v1/consents')
export class ConsentsController {
  constructor(
    @Inject(CONSENT_RPC) private readonly consentService: RpcClient,
    private readonly query: ConsentQueryService,
    private readonly webhooks: WebhooksService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a consent at the bank; send the end user to authorisationUrl.' })
  @ApiCreatedResponse({ type: CreatedConsentView })
  async create(
    @Principal() principal: TenantPrincipal,
    @Body() body: CreateConsentDto,
    @Req() req: FastifyRequest,
  ): Promise<CreatedConsentView> {
    const { psuIpAddress, psuUserAgent, webhookUrl, ...terms } = body;
    const psu = psuIpAddress
      ? { ipAddress: psuIpAddress, ...(psuUserAgent ? { userAgent: psuUserAgent } : {}) }
      : undefined;
    // The webhook URL is checked before the bank is asked for anything: a bad one is a 400 that
    // leaves no consent behind.
    const hookUrl = webhookUrl === undefined ? undefined : await this.webhooks.checkUrl(webhookUrl, 'webhookUrl');
    const { consentId } = await this.consentService.send(
      'consent-service.createConsent',
      { tenantId: principal.tenantId, ...terms, ...(psu ? { psu } : {}) },
      60_000,
    );
    if (hookUrl === undefined) return this.query.get(principal.tenantId, consentId);
    const hook = await this.webhooks.createChecked(tenantContext(principal, req), {
      url: hookUrl,
      events: ['*'],
      description: 'Created with the consent (webhookUrl)',
      consentId,
    });
    return { ...(await this.query.get(principal.tenantId, consentId)), webhookId: hook.id, webhookSecret: hook.secret };
  }

  @Get()
  @ApiOkResponse({ description: 'Newest first.', type: PageView(ConsentView) })
  list(@Principal() principal: TenantPrincipal, @Query() query: ConsentListQueryDto) {
    return this.query.list(principal.tenantId, query);
  }

  @Get(':consentId')
  @ApiOkResponse({ type: ConsentView })
  get(@Principal() principal: TenantPrincipal, @Param('consentId') id: string): Promise<ConsentView> {
    return this.query.get(principal.tenantId, id);
  }

  @Delete(':consentId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke at the bank and stop syncing; ?purge=true also deletes the consent’s data.' })
  @ApiNoContentResponse()
  async revoke(
    @Principal() principal: TenantPrincipal,
    @Param('consentId') id: string,
    @Query() query: DeleteConsentQueryDto,
  ): Promise<void> {
    await this.consentService.send(
      'consent-service.revokeConsent',
      { tenantId: principal.tenantId, consentId: id, purge: query.purge ?? false },
      30_000,
    );
  }

  @Post(':consentId/reauthorise')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A fresh authorisationUrl for an expiring, expired, failed or rejected consent; ids and data are kept.',
  })
  @ApiOkResponse({ type: ConsentView })
  async reauthorise(
    @Principal() principal: TenantPrincipal,
    @Param('consentId') id: string,
    @Body() body: ReauthoriseConsentDto,
  ): Promise<ConsentView> {
    const { psuIpAddress, ...rest } = body;
    await this.consentService.send(
      'consent-service.reauthorise',
      {
        tenantId: principal.tenantId,
        consentId: id,
        ...rest,
        ...(psuIpAddress ? { psu: { ipAddress: psuIpAddress } } : {}),
      },
      60_000,
    );
    return this.query.get(principal.tenantId, id);
  }
}
