// Applies prisma/migrations to DATABASE_URL (creating the database if needed). Idempotent.
import { applyMigrations, ensureDatabase } from './engine.mjs';

const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ais_gateway';
const created = await ensureDatabase(url);
const { appliedMigrationNames } = await applyMigrations(url);
const where = new URL(url);
where.password = '';
console.log(
  `[db] ${where.host}${where.pathname}: ${created ? 'database created; ' : ''}` +
    (appliedMigrationNames.length ? `applied ${appliedMigrationNames.join(', ')}` : 'migrations up to date'),
);
