import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminAuth } from '../../auth/decorators.js';
import { adminContext } from '../../auth/request-context.js';
import {
  CreateTenantDto,
  CreatedTenantView,
  CredentialView,
  IssueCredentialDto,
  IssuedCredentialView,
  TenantListQueryDto,
  TenantView,
  UpdateTenantDto,
} from './dto/tenant.dto.js';
import { PageQueryDto, PageView } from '@ais/http-kit';
import { TenantsService } from './tenants.service.js';

@ApiTags('Admin: tenants')
@AdminAuth()
@Controller('admin/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant; its API key and OAuth client secret are shown once.' })
  @ApiCreatedResponse({ type: CreatedTenantView })
  create(@Body() body: CreateTenantDto, @Req() req: FastifyRequest) {
    return this.tenants.create(body, adminContext(req));
  }

  @Get()
  @ApiOkResponse({ description: 'In creation order.', type: PageView(TenantView) })
  list(@Query() query: TenantListQueryDto) {
    return this.tenants.list(query);
  }

  @Get(':tenantId')
  @ApiOkResponse({ type: TenantView })
  get(@Param('tenantId') id: string) {
    return this.tenants.get(id);
  }

  @Patch(':tenantId')
  @ApiOperation({ summary: 'Suspend / reactivate, replace the redirect-URI allow-list, change the rate limit.' })
  @ApiOkResponse({ type: TenantView })
  update(@Param('tenantId') id: string, @Body() body: UpdateTenantDto, @Req() req: FastifyRequest) {
    return this.tenants.update(id, body, adminContext(req));
  }

  @Get(':tenantId/credentials')
  @ApiOkResponse({ description: 'In creation order.', type: PageView(CredentialView) })
  listCredentials(@Param('tenantId') id: string, @Query() query: PageQueryDto) {
    return this.tenants.listCredentials(id, query);
  }

  @Post(':tenantId/credentials')
  @ApiOperation({ summary: 'Issue or rotate a credential; the secret is shown once.' })
  @ApiCreatedResponse({ type: IssuedCredentialView })
  issue(@Param('tenantId') id: string, @Body() body: IssueCredentialDto, @Req() req: FastifyRequest) {
    return this.tenants.issueCredential(id, body, adminContext(req));
  }

  @Delete(':tenantId/credentials/:credentialId')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Revoked.' })
  async revoke(@Param('tenantId') id: string, @Param('credentialId') credentialId: string, @Req() req: FastifyRequest) {
    await this.tenants.revokeCredential(id, credentialId, adminContext(req));
  }
}
