// Fails when prisma/schema.prisma and prisma/migrations disagree. Builds two scratch databases, one by
// applying every migration and one straight from the schema, and compares their catalogs (tables,
// columns, types, defaults, nullability, indexes, constraints, enums).
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { SCHEMA_PATH, applyMigrations, diffSchemas, ensureDatabase } from './engine.mjs';

const base = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ais_gateway');
const suffix = `${process.pid}_${Date.now()}`;
const urlFor = (name) => Object.assign(new URL(base), { pathname: `/${name}` }).toString();
const fromMigrations = urlFor(`ais_drift_m_${suffix}`);
const fromSchema = urlFor(`ais_drift_s_${suffix}`);

const CATALOG = `
  SELECT 'column' AS kind, table_name || '.' || column_name AS name,
         concat_ws(' ', data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale,
                   is_nullable, column_default) AS def
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
  UNION ALL
  SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
  UNION ALL
  SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
  UNION ALL
  SELECT 'enum', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
  ORDER BY 1, 2`;

async function catalog(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(CATALOG)).rows.map((r) => `${r.kind} ${r.name}: ${r.def}`);
  } finally {
    await client.end();
  }
}

async function drop(url) {
  const admin = new pg.Client({ connectionString: urlFor('postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  await admin.end();
}

try {
  await ensureDatabase(fromMigrations);
  await ensureDatabase(fromSchema);
  await applyMigrations(fromMigrations);
  const sql = await diffSchemas(null, await readFile(SCHEMA_PATH, 'utf8'), fromSchema);
  const client = new pg.Client({ connectionString: fromSchema });
  await client.connect();
  await client.query(sql);
  await client.end();
  const [a, b] = [await catalog(fromMigrations), await catalog(fromSchema)];
  const onlyMigrations = a.filter((x) => !b.includes(x));
  const onlySchema = b.filter((x) => !a.includes(x));
  if (onlyMigrations.length || onlySchema.length) {
    console.error('prisma/schema.prisma and prisma/migrations disagree. Run: npm run db:migration -- <name>');
    for (const x of onlySchema) console.error(`  schema only:     ${x}`);
    for (const x of onlyMigrations) console.error(`  migrations only: ${x}`);
    process.exitCode = 1;
  } else {
    console.log(`[db] schema and migrations agree (${a.length} catalog entries)`);
  }
} finally {
  await drop(fromMigrations);
  await drop(fromSchema);
}
