// Prisma 7 configuration: the schema lives in prisma/, the datasource URL comes from DATABASE_URL.
// Migrations are applied by scripts/db/migrate.mjs (Prisma's own schema engine, as WebAssembly), which
// works on machines that cannot download Prisma's native engines; `prisma migrate deploy` reads the
// same folder and table where the native engine is available.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ais_gateway' },
});
