import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { keysetAfter } from '../keyset.js';

export interface TenantRecord {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  rateLimitPerMinute: number;
  redirectUris: string[];
  createdAt: Date;
  updatedAt: Date;
}

const include = { redirectUris: { orderBy: { createdAt: 'asc' } } } as const satisfies Prisma.TenantInclude;
type Row = Prisma.TenantGetPayload<{ include: typeof include }>;
const toRecord = (row: Row): TenantRecord => ({
  id: row.id,
  name: row.name,
  status: row.status,
  rateLimitPerMinute: row.rateLimitPerMinute,
  redirectUris: row.redirectUris.map((r) => r.uri),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Tenants are the root aggregate (operators' view), so these methods take the tenant id itself. */
@Injectable()
export class TenantRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async create(
    tx: Prisma.TransactionClient,
    data: { id: string; name: string; rateLimitPerMinute: number; redirectUris: string[] },
  ): Promise<TenantRecord> {
    const row = await tx.tenant.create({
      data: {
        id: data.id,
        name: data.name,
        rateLimitPerMinute: data.rateLimitPerMinute,
        redirectUris: { create: data.redirectUris.map((uri) => ({ uri })) },
      },
      include,
    });
    return toRecord(row);
  }

  async findById(id: string, tx: Prisma.TransactionClient = this.prisma): Promise<TenantRecord | null> {
    const row = await tx.tenant.findUnique({ where: { id }, include });
    return row ? toRecord(row) : null;
  }

  /** Keyset page ordered by (createdAt, id). */
  async list(page: {
    after?: { createdAt: Date; id: string };
    limit: number;
    status?: 'active' | 'suspended';
  }): Promise<TenantRecord[]> {
    const rows = await this.prisma.tenant.findMany({
      where: {
        ...(page.status ? { status: page.status } : {}),
        ...(page.after ? keysetAfter('createdAt', page.after.createdAt, 'id', page.after.id, 'asc') : {}),
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: page.limit,
      include,
    });
    return rows.map(toRecord);
  }

  async update(
    tx: Prisma.TransactionClient,
    id: string,
    patch: { status?: 'active' | 'suspended'; rateLimitPerMinute?: number; redirectUris?: string[] },
  ): Promise<TenantRecord> {
    if (patch.redirectUris) {
      // The tenant's row lock first: two PATCHes at once would otherwise both delete the old list and
      // both insert, and the second insert break the primary key (a 500).
      await tx.$queryRaw`SELECT 1 FROM tenants WHERE id = ${id} FOR UPDATE`;
      await tx.tenantRedirectUri.deleteMany({ where: { tenantId: id } });
      await tx.tenantRedirectUri.createMany({ data: patch.redirectUris.map((uri) => ({ tenantId: id, uri })) });
    }
    const row = await tx.tenant.update({
      where: { id },
      data: {
        ...(patch.status ? { status: patch.status } : {}),
        ...(patch.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: patch.rateLimitPerMinute } : {}),
        ...(patch.redirectUris ? { updatedAt: new Date() } : {}),
      },
      include,
    });
    return toRecord(row);
  }

  async isRedirectUriAllowed(tenantId: string, uri: string): Promise<boolean> {
    return (await this.prisma.tenantRedirectUri.count({ where: { tenantId, uri } })) > 0;
  }
}
