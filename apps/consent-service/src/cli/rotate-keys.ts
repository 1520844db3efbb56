// `npm run keys:rotate`: re-encrypts every sealed value (bank tokens, authorisation sessions, bank
// registrations, webhook secrets, JWT signing keys) under ENCRYPTION_ACTIVE_KEY.
// Rotation: add the new key to ENCRYPTION_KEYS and make it active, restart the services (new values
// use it; old ones still open), run this, then remove the old key from ENCRYPTION_KEYS.
import { ConfigError, cryptoSection, databaseSection, loadConfig } from '@ais/config';
import { KeyRing } from '@ais/crypto';
import { createPrismaClient, reencryptAll } from '@ais/db';

try {
  const config = loadConfig({ database: databaseSection, crypto: cryptoSection });
  const prisma = createPrismaClient(config.database);
  const ring = new KeyRing(config.crypto.keys, config.crypto.activeKeyId);
  const report = await reencryptAll(prisma, ring);
  await prisma.$disconnect();
  console.log(`Active key: ${ring.activeKeyId}`);
  for (const [column, n] of Object.entries(report.reencrypted)) console.log(`  ${column}: ${n} re-encrypted`);
  for (const f of report.failed) console.error(`  could not re-encrypt ${f.table}.${f.column} ${f.id}: ${f.error}`);
  console.log(
    report.remaining === 0
      ? 'Every sealed value is under the active key: older keys can be removed.'
      : `${report.remaining} value(s) remain under other keys.`,
  );
  process.exit(report.failed.length === 0 && report.remaining === 0 ? 0 : 1);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78);
  }
  throw error;
}
