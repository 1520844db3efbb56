import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { trackPoolConnections } from './copy.js';
import { PrismaClient } from './generated/prisma/client.js';

export { PrismaClient, Prisma } from './generated/prisma/client.js';
export type * from './generated/prisma/models.js';
export * as $Enums from './generated/prisma/enums.js';

export interface DatabaseSettings {
  url: string;
  poolSize: number;
}

/**
 * Prisma 7 over node-postgres (driver adapter: no native engine needed). The pool is ours so that
 * bulk loads can COPY on a transaction's own connection (see copy.ts); the adapter ends it on
 * `$disconnect`.
 */
export function createPrismaClient(settings: DatabaseSettings): PrismaClient {
  const pool = new pg.Pool({ connectionString: settings.url, max: settings.poolSize });
  trackPoolConnections(pool);
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const prisma = new PrismaClient({ adapter });
  pools.set(prisma, pool);
  return prisma;
}

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** The pg pool under a client made by `createPrismaClient` (for PgReader: same connections, same limit). */
export function poolOf(prisma: PrismaClient): pg.Pool {
  const pool = pools.get(prisma);
  if (!pool) throw new Error('poolOf: this PrismaClient was not made by createPrismaClient');
  return pool;
}
