import { providerCatalogue, type CatalogueConfig } from '@ais/connectors';
import type { PrismaClient } from '@ais/db';

/**
 * Upserts the provider catalogue into `providers` (connector-service calls it on every start).
 * Idempotent: the rows follow the catalogue and the configuration (sandbox URLs, endpoint overrides,
 * CONNECTOR_ACTIVE_PROVIDERS); registrations and consents are untouched.
 */
export async function seedProviders(prisma: PrismaClient, config: CatalogueConfig): Promise<number> {
  const rows = providerCatalogue(config);
  for (const p of rows) {
    const data = {
      name: p.name,
      country: p.country,
      standard: p.standard,
      profile: p.profile,
      status: p.status,
      endpoints: p.endpoints as object,
      capabilities: p.capabilities as unknown as object,
      sortCodeRanges: p.sortCodeRanges,
    };
    await prisma.provider.upsert({ where: { id: p.id }, create: { id: p.id, ...data }, update: data });
  }
  return rows.length;
}
