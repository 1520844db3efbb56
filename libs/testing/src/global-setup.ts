// Jest global setup for the integration and e2e projects. Jest loads this file outside its module
// mapper, so it has no relative imports; database.ts reuses these functions.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const TEST_PG_BASE =
  process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const databaseUrl = (name: string) => Object.assign(new URL(TEST_PG_BASE), { pathname: `/${name}` }).toString();

/** The template's name changes whenever a migration changes, so a stale template is never reused. */
export function templateName(): string {
  const dir = path.join(root, 'prisma/migrations');
  const hash = createHash('sha256');
  for (const entry of readdirSync(dir).sort()) {
    const file = path.join(dir, entry, 'migration.sql');
    if (existsSync(file)) hash.update(entry).update(readFileSync(file));
  }
  return `ais_test_tpl_${hash.digest('hex').slice(0, 12)}`;
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
): Promise<pg.QueryResult<T>> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * Builds the migrated template database once per migration set. Concurrent test runs (several Jest
 * processes, or CI beside a developer) serialise on an advisory lock and build it only once.
 */
export async function ensureTemplateDatabase(): Promise<string> {
  const name = templateName();
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [name]);
    if (rowCount === 0) {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      execFileSync(
        process.execPath,
        ['--experimental-wasm-modules', '--no-warnings', path.join(root, 'scripts/db/migrate.mjs')],
        {
          env: { ...process.env, DATABASE_URL: databaseUrl(name) },
          stdio: 'pipe',
        },
      );
      await client.query(`ALTER DATABASE "${name}" WITH is_template true ALLOW_CONNECTIONS false`);
    }
    return name;
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => undefined);
    await client.end();
  }
}

export default async function globalSetup(): Promise<void> {
  await ensureTemplateDatabase();
}
