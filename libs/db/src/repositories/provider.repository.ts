import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface ProviderRecord {
  id: string;
  name: string;
  country: string;
  standard: string;
  profile: string;
  status: 'active' | 'inactive';
  endpoints: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  sortCodeRanges: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderUpsert {
  id: string;
  name: string;
  country: string;
  standard: string;
  profile: string;
  status: 'active' | 'inactive';
  endpoints: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  sortCodeRanges: string[];
}

@Injectable()
export class ProviderRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async list(filter: {
    country?: string;
    standard?: string;
    q?: string;
    status?: 'active' | 'inactive';
  }): Promise<ProviderRecord[]> {
    const rows = await this.prisma.provider.findMany({
      where: {
        ...(filter.country ? { country: filter.country.toUpperCase() } : {}),
        ...(filter.standard ? { standard: filter.standard } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.q
          ? {
              OR: [
                { name: { contains: filter.q, mode: 'insensitive' } },
                { id: { contains: filter.q, mode: 'insensitive' } },
              ],
            }
          : {}),
      },
      orderBy: [{ status: 'asc' }, { name: 'asc' }],
    });
    return rows as unknown as ProviderRecord[];
  }

  async findById(id: string): Promise<ProviderRecord | null> {
    return (await this.prisma.provider.findUnique({ where: { id } })) as unknown as ProviderRecord | null;
  }

  /** Catalogue seeding: inserts new providers; refreshes catalogue fields of existing ones. */
  async upsertMany(rows: ProviderUpsert[]): Promise<void> {
    for (const row of rows) {
      const data = {
        name: row.name,
        country: row.country,
        standard: row.standard,
        profile: row.profile,
        endpoints: row.endpoints as Prisma.InputJsonValue,
        capabilities: row.capabilities as Prisma.InputJsonValue,
        sortCodeRanges: row.sortCodeRanges,
      };
      await this.prisma.provider.upsert({
        where: { id: row.id },
        create: { id: row.id, status: row.status, ...data },
        update: data,
      });
    }
  }
}
