import { randomBytes } from 'node:crypto';
import { adminQuery, databaseUrl, templateName } from './global-setup.js';

export { TEST_PG_BASE, ensureTemplateDatabase } from './global-setup.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file, cloned from the template (global setup builds it). */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `ais_t_${label
    .replace(/[^a-z0-9]/gi, '')
    .slice(0, 20)
    .toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`);
  return {
    url: databaseUrl(name),
    name,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}
