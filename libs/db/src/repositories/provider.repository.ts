import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type PrismaClient } from '../prisma.js';
import { PRISMA } from '../tokens.js';
import { PgReader } from '../pg-reader.js';

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

/** A provider as GET /v1/providers/{id} shows it (PgReader: the view's columns only). */
export interface ProviderViewRow {
  id: string;
  name: string;
  country: string;
  standard: string;
  status: 'active' | 'inactive';
  capabilities: Record<string, unknown>;
  sortCodeRanges: string[];
}

/** A position in the catalogue's order: active first, then by name, then id. */
export interface ProviderPosition {
  status: 'active' | 'inactive';
  name: string;
  id: string;
}

@Injectable()
export class ProviderRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(PgReader) private readonly reader: PgReader,
  ) {}

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

  /**
   * One provider as the public API shows it, through PgReader: the most frequent tenant request that
   * reads no tenant data, where Prisma's findUnique (its query compiler and row mapping) was a fifth of
   * the route's CPU in bench/read's profile. The lookups made in one tick share one statement, as
   * Prisma's findUnique batching did: under load a statement per request cost more in socket writes
   * than Prisma did in CPU.
   */
  findView(id: string): Promise<ProviderViewRow | null> {
    return new Promise((resolve, reject) => {
      if (this.viewBatch.length === 0) process.nextTick(() => this.sendViewBatch());
      this.viewBatch.push({ id, resolve, reject });
    });
  }

  private viewBatch: {
    id: string;
    resolve: (row: ProviderViewRow | null) => void;
    reject: (error: unknown) => void;
  }[] = [];

  private sendViewBatch(): void {
    const batch = this.viewBatch;
    this.viewBatch = [];
    this.reader
      .rows<ProviderViewRow>(
        `SELECT id, name, country, standard, status::text AS status, capabilities, sort_code_ranges AS "sortCodeRanges"
           FROM providers WHERE id = ANY($1::text[])`,
        [[...new Set(batch.map((b) => b.id))]],
      )
      .then(
        (rows) => {
          const byId = new Map(rows.map((row) => [row.id, row]));
          for (const b of batch) b.resolve(byId.get(b.id) ?? null);
        },
        (error: unknown) => {
          for (const b of batch) b.reject(error);
        },
      );
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
