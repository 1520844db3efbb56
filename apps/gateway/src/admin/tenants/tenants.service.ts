import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  CredentialRepository,
  PRISMA,
  TenantRepository,
  type CredentialRecord,
  type PrismaClient,
  type TenantRecord,
} from '@ais/db';
import { AppError, newId } from '@ais/domain';
import { issueApiKey, issueOAuthClient } from '@ais/auth';
import { CursorCodec, DEFAULT_PAGE_LIMIT, cursorFields, defineCursor, toPage, type Page } from '@ais/http-kit';
import type { AdminContext } from '../../auth/request-context.js';
import { CredentialNotices } from '../../auth/credential-notices.js';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../gateway.config.js';
import type { CreateTenantDto, IssueCredentialDto, UpdateTenantDto } from './dto/tenant.dto.js';

export interface TenantView {
  id: string;
  name: string;
  status: string;
  redirectUris: string[];
  rateLimitPerMinute: number;
  createdAt: string;
  updatedAt: string;
}

export const tenantView = (t: TenantRecord): TenantView => ({
  id: t.id,
  name: t.name,
  status: t.status,
  redirectUris: t.redirectUris,
  rateLimitPerMinute: t.rateLimitPerMinute,
  createdAt: t.createdAt.toISOString(),
  updatedAt: t.updatedAt.toISOString(),
});

export const credentialView = (c: CredentialRecord) => ({
  id: c.id,
  kind: c.kind,
  status: c.status,
  publicId: c.publicId,
  label: c.label,
  expiresAt: c.expiresAt?.toISOString() ?? null,
  lastUsedAt: c.lastUsedAt?.toISOString() ?? null,
  revokedAt: c.revokedAt?.toISOString() ?? null,
  createdAt: c.createdAt.toISOString(),
});

const TENANTS = defineCursor('tenants', { c: cursorFields.instant, i: cursorFields.id('ten') });
const CREDENTIALS = defineCursor('credentials', { c: cursorFields.instant, i: cursorFields.id('cred') });

/** Operators' tenant management. Every change and its audit entry commit in one transaction. */
@Injectable()
export class TenantsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly tenants: TenantRepository,
    private readonly credentials: CredentialRepository,
    private readonly audit: AuditLogRepository,
    private readonly cursors: CursorCodec,
    private readonly credentialNotices: CredentialNotices,
  ) {}

  async create(input: CreateTenantDto, ctx: AdminContext) {
    const apiKey = issueApiKey();
    const client = issueOAuthClient();
    const apiKeyId = newId('credential');
    const clientCredentialId = newId('credential');
    const tenant = await this.prisma.$transaction(async (tx) => {
      const created = await this.tenants.create(tx, {
        id: newId('tenant'),
        name: input.name.trim(),
        rateLimitPerMinute: input.rateLimitPerMinute ?? this.config.gateway.defaultRateLimitPerMinute,
        redirectUris: input.redirectUris,
      });
      await this.credentials.create(tx, {
        id: apiKeyId,
        tenantId: created.id,
        kind: 'api_key',
        publicId: apiKey.publicId,
        secretHash: apiKey.secretHash,
        label: 'initial',
      });
      await this.credentials.create(tx, {
        id: clientCredentialId,
        tenantId: created.id,
        kind: 'oauth_client',
        publicId: client.publicId,
        secretHash: client.secretHash,
        label: 'initial',
      });
      await this.audit.record(tx, {
        actor: 'admin',
        action: 'tenant.created',
        targetType: 'tenant',
        targetId: created.id,
        tenantId: created.id,
        details: {
          name: created.name,
          redirectUris: created.redirectUris,
          credentials: [apiKeyId, clientCredentialId],
        },
        requestId: ctx.requestId,
      });
      return created;
    });
    return {
      ...tenantView(tenant),
      apiKey: apiKey.secret,
      apiKeyId,
      clientId: client.publicId,
      clientSecret: client.secret,
      oauthClientCredentialId: clientCredentialId,
    };
  }

  async list(query: { status?: 'active' | 'suspended'; limit?: number; cursor?: string }): Promise<Page<TenantView>> {
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(TENANTS, query.cursor);
    const rows = await this.tenants.list({
      status: query.status,
      limit: limit + 1,
      after: after && { createdAt: after.c, id: after.i },
    });
    return toPage(rows, limit, tenantView, (t) => this.cursors.encode(TENANTS, { c: t.createdAt, i: t.id }));
  }

  async get(id: string): Promise<TenantView> {
    return tenantView(await this.require(id));
  }

  async update(id: string, patch: UpdateTenantDto, ctx: AdminContext): Promise<TenantView> {
    const before = await this.require(id);
    const updated = await this.prisma.$transaction(async (tx) => {
      const after = await this.tenants.update(tx, id, patch);
      await this.audit.record(tx, {
        actor: 'admin',
        action:
          patch.status && patch.status !== before.status
            ? `tenant.${patch.status === 'suspended' ? 'suspended' : 'reactivated'}`
            : 'tenant.updated',
        targetType: 'tenant',
        targetId: id,
        tenantId: id,
        details: { before: tenantView(before), after: tenantView(after) },
        requestId: ctx.requestId,
      });
      return after;
    });
    // Suspension and a new rate limit reach every instance's cached credentials now.
    await this.credentialNotices.announce();
    return tenantView(updated);
  }

  async listCredentials(tenantId: string, query: { limit?: number; cursor?: string } = {}) {
    await this.require(tenantId);
    const limit = query.limit ?? DEFAULT_PAGE_LIMIT;
    const after = this.cursors.decode(CREDENTIALS, query.cursor);
    const rows = await this.credentials.listForTenant(tenantId, {
      limit: limit + 1,
      after: after && { createdAt: after.c, id: after.i },
    });
    return toPage(rows, limit, credentialView, (c) => this.cursors.encode(CREDENTIALS, { c: c.createdAt, i: c.id }));
  }

  /** Issues a credential; with `rotates`, the old one stops after the grace period (0 = now). */
  async issueCredential(tenantId: string, input: IssueCredentialDto, ctx: AdminContext) {
    await this.require(tenantId);
    const issued = input.kind === 'api_key' ? issueApiKey() : issueOAuthClient();
    const id = newId('credential');
    const now = new Date();
    const record = await this.prisma.$transaction(async (tx) => {
      if (input.rotates) {
        const old = await this.credentials.findForTenant(tenantId, input.rotates, tx);
        if (!old) throw AppError.notFound('Credential');
        if (old.kind !== input.kind)
          throw AppError.validation([
            { field: 'rotates', message: `credential ${old.id} is a ${old.kind}, not a ${input.kind}` },
          ]);
        if (old.status !== 'active') throw new AppError('conflict', `Credential ${old.id} is already revoked.`);
        const grace = input.gracePeriodSeconds ?? 0;
        if (grace === 0) await this.credentials.revoke(tx, tenantId, old.id, now);
        else await this.credentials.scheduleExpiry(tx, tenantId, old.id, new Date(now.getTime() + grace * 1000), id);
      }
      const created = await this.credentials.create(tx, {
        id,
        tenantId,
        kind: input.kind,
        publicId: issued.publicId,
        secretHash: issued.secretHash,
        label: input.label ?? null,
      });
      await this.audit.record(tx, {
        actor: 'admin',
        action: input.rotates ? 'credential.rotated' : 'credential.issued',
        targetType: 'credential',
        targetId: id,
        tenantId,
        details: {
          kind: input.kind,
          rotates: input.rotates ?? null,
          gracePeriodSeconds: input.gracePeriodSeconds ?? 0,
        },
        requestId: ctx.requestId,
      });
      return created;
    });
    if (input.rotates) await this.credentialNotices.announce();
    return {
      ...credentialView(record),
      ...(input.kind === 'api_key'
        ? { apiKey: issued.secret }
        : { clientId: issued.publicId, clientSecret: issued.secret }),
    };
  }

  async revokeCredential(tenantId: string, credentialId: string, ctx: AdminContext): Promise<void> {
    await this.require(tenantId);
    await this.prisma.$transaction(async (tx) => {
      const credential = await this.credentials.findForTenant(tenantId, credentialId, tx);
      if (!credential) throw AppError.notFound('Credential');
      await this.credentials.revoke(tx, tenantId, credentialId, new Date());
      await this.audit.record(tx, {
        actor: 'admin',
        action: 'credential.revoked',
        targetType: 'credential',
        targetId: credentialId,
        tenantId,
        details: { kind: credential.kind, wasStatus: credential.status },
        requestId: ctx.requestId,
      });
    });
    await this.credentialNotices.announce();
  }

  private async require(id: string): Promise<TenantRecord> {
    const tenant = await this.tenants.findById(id);
    if (!tenant) throw AppError.notFound('Tenant');
    return tenant;
  }
}
