import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
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

export interface ProviderFilter {
  country?: string;
  standard?: string;
  /** Text in the name or id (case-insensitive; `%` and `_` match themselves). */
  q?: string;
  status?: 'active' | 'inactive';
}

/** A position in the catalogue's order: active first, then by name, then id. */
export interface ProviderPosition {
  status: 'active' | 'inactive';
  name: string;
  id: string;
}

@Injectable()
export class ProviderRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  /**
   * One page of the catalogue for GET /v1/providers, after `after`: active first (the enum's order),
   * then by name, then id, on providers_status_name_id_idx. The row comparison is one index range, and
   * a provider added while a client pages lands before or after the cursor, never inside a served page.
   */
  async page(filter: ProviderFilter & { after?: ProviderPosition; limit: number }): Promise<ProviderRecord[]> {
    const conditions = [
      filter.country ? Prisma.sql`country = ${filter.country.toUpperCase()}::bpchar` : null,
      filter.standard ? Prisma.sql`standard = ${filter.standard}` : null,
      filter.status ? Prisma.sql`status = ${filter.status}::"ProviderStatus"` : null,
      filter.q ? Prisma.sql`(name ILIKE ${likePattern(filter.q)} OR id ILIKE ${likePattern(filter.q)})` : null,
      filter.after
        ? Prisma.sql`(status, name, id) > (${filter.after.status}::"ProviderStatus", ${filter.after.name}, ${filter.after.id})`
        : null,
    ].filter((c): c is Prisma.Sql => c !== null);
    // ORDER BY names the table's columns: the output column `status` is the enum cast to text.
    return this.prisma.$queryRaw<ProviderRecord[]>`
      SELECT id, name, country, standard, profile, status::text AS status, endpoints, capabilities,
             sort_code_ranges AS "sortCodeRanges", created_at AS "createdAt", updated_at AS "updatedAt"
        FROM providers
       ${conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty}
       ORDER BY providers.status, providers.name, providers.id
       LIMIT ${filter.limit}`;
  }

  /** Every provider matching the filter (for the workers and operators: the catalogue is small). */
  async list(filter: ProviderFilter): Promise<ProviderRecord[]> {
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

/** `%text%` for ILIKE, with the pattern characters in the text escaped (backslash is ILIKE's escape). */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
