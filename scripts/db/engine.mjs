// Prisma's schema engine as WebAssembly (see docs/prisma-offline.md): the same engine
// `prisma migrate deploy` runs, usable on machines that cannot download Prisma's native binaries.
// Needs node --experimental-wasm-modules (the package imports its .wasm file).
import { readFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaEngine } from '@prisma/schema-engine-wasm';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCHEMA_PATH = path.join(ROOT, 'prisma/schema.prisma');
export const MIGRATIONS_DIR = path.join(ROOT, 'prisma/migrations');
/** The schema as it stood after the newest migration; new migrations are the diff from it. */
export const SNAPSHOT_PATH = path.join(MIGRATIONS_DIR, '.schema-at-last-migration');
const NO_FILTER = { externalTables: [], externalEnums: [] };

export async function withEngine(url, schemaText, fn) {
  const log = () => {};
  const factory = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: url }));
  const engine = await SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schemaText]] }, log, factory);
  try {
    return await fn(engine);
  } finally {
    engine.free?.();
  }
}

export async function loadMigrationsList() {
  const lockPath = path.join(MIGRATIONS_DIR, 'migration_lock.toml');
  const dirs = existsSync(MIGRATIONS_DIR)
    ? (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const migrationDirectories = [];
  for (const name of dirs) {
    const sql = await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');
    migrationDirectories.push({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: sql } },
    });
  }
  const lockContent = existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null;
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url) {
  const target = new URL(url);
  const dbName = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (rowCount === 0) await client.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
    return rowCount === 0;
  } finally {
    await client.end();
  }
}

export async function applyMigrations(url) {
  const schemaText = await readFile(SCHEMA_PATH, 'utf8');
  const migrationsList = await loadMigrationsList();
  return withEngine(url, schemaText, (engine) => engine.applyMigrations({ migrationsList, filters: NO_FILTER }));
}

/** SQL that turns `fromText` (null = empty database) into `toText`. Needs no database. */
export async function diffSchemas(fromText, toText, url) {
  return withEngine(url, toText, async (engine) => {
    const target = (text) =>
      text === null ? { tag: 'empty' } : { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: text }] };
    const result = await engine.diff({
      from: target(fromText),
      to: target(toText),
      script: true,
      exitCode: null,
      filters: NO_FILTER,
      shadowDatabaseUrl: null,
    });
    return (result.stdout ?? '').trim();
  });
}
