import { keysetAfter } from '../keyset.js';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export type CredentialKind = 'api_key' | 'oauth_client';

export interface CredentialRecord {
  id: string;
  tenantId: string;
  kind: CredentialKind;
  status: 'active' | 'revoked';
  publicId: string;
  label: string | null;
  expiresAt: Date | null;
  replacedBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

/** A credential found by its secret, with what auth needs of its tenant. */
export interface AuthenticatedCredential extends CredentialRecord {
  tenant: { id: string; status: 'active' | 'suspended'; rateLimitPerMinute: number };
}

const select = {
  id: true,
  tenantId: true,
  kind: true,
  status: true,
  publicId: true,
  label: true,
  expiresAt: true,
  replacedBy: true,
  lastUsedAt: true,
  revokedAt: true,
  createdAt: true,
} as const satisfies Prisma.CredentialSelect;

@Injectable()
export class CredentialRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(
    tx: Prisma.TransactionClient,
    data: {
      id: string;
      tenantId: string;
      kind: CredentialKind;
      publicId: string;
      secretHash: string;
      label?: string | null;
    },
  ): Promise<CredentialRecord> {
    return tx.credential.create({ data: { ...data, label: data.label ?? null }, select });
  }

  /** In creation order; a page of `limit` after a keyset position when given. */
  async listForTenant(
    tenantId: string,
    page: { limit?: number; after?: { createdAt: Date; id: string } } = {},
  ): Promise<CredentialRecord[]> {
    return this.prisma.credential.findMany({
      where: {
        tenantId,
        ...(page.after ? keysetAfter('createdAt', page.after.createdAt, 'id', page.after.id, 'asc') : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      ...(page.limit ? { take: page.limit } : {}),
      select,
    });
  }

  async findForTenant(
    tenantId: string,
    id: string,
    tx: Prisma.TransactionClient = this.prisma,
  ): Promise<CredentialRecord | null> {
    return tx.credential.findFirst({ where: { id, tenantId }, select });
  }

  /** Auth hot path: one indexed lookup by secret hash, joined to the tenant. */
  async findBySecretHash(kind: CredentialKind, secretHash: string): Promise<AuthenticatedCredential | null> {
    return this.prisma.credential.findFirst({
      where: { secretHash, kind },
      select: { ...select, tenant: { select: { id: true, status: true, rateLimitPerMinute: true } } },
    });
  }

  async findByPublicId(
    kind: CredentialKind,
    publicId: string,
  ): Promise<(AuthenticatedCredential & { secretHash: string }) | null> {
    return this.prisma.credential.findFirst({
      where: { publicId, kind },
      select: { ...select, secretHash: true, tenant: { select: { id: true, status: true, rateLimitPerMinute: true } } },
    });
  }

  async findById(id: string): Promise<AuthenticatedCredential | null> {
    return this.prisma.credential.findUnique({
      where: { id },
      select: { ...select, tenant: { select: { id: true, status: true, rateLimitPerMinute: true } } },
    });
  }

  async revoke(tx: Prisma.TransactionClient, tenantId: string, id: string, at: Date): Promise<void> {
    await tx.credential.updateMany({
      where: { id, tenantId, status: 'active' },
      data: { status: 'revoked', revokedAt: at },
    });
  }

  /** Rotation: the old credential keeps working until `expiresAt`, then stops. */
  async scheduleExpiry(
    tx: Prisma.TransactionClient,
    tenantId: string,
    id: string,
    expiresAt: Date,
    replacedBy: string,
  ): Promise<void> {
    await tx.credential.updateMany({ where: { id, tenantId }, data: { expiresAt, replacedBy } });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.credential.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
