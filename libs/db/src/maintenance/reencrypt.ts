import { KeyRing } from '@ais/crypto';
import type { PrismaClient } from '../prisma.js';

/**
 * Every column sealed with the key ring, with the id it is bound to (AAD). A rotation re-encrypts all
 * of them under the active key; afterwards the old key can leave ENCRYPTION_KEYS.
 */
export const SEALED_COLUMNS = [
  {
    table: 'consent_token_sets',
    idColumn: 'consent_id',
    column: 'ciphertext',
    keyIdColumn: 'key_id',
    aad: (id: string) => id,
  },
  { table: 'authorisation_sessions', idColumn: 'id', column: 'secrets_encrypted', aad: (id: string) => id },
  { table: 'provider_registrations', idColumn: 'provider_id', column: 'secrets_encrypted', aad: (id: string) => id },
  { table: 'webhook_endpoints', idColumn: 'id', column: 'secret_encrypted', aad: (id: string) => id },
  { table: 'webhook_endpoints', idColumn: 'id', column: 'previous_secret_encrypted', aad: (id: string) => id },
  { table: 'signing_keys', idColumn: 'kid', column: 'private_jwk_encrypted', aad: (id: string) => `signing-key:${id}` },
] as const;

export interface ReencryptReport {
  reencrypted: Record<string, number>;
  failed: Array<{ table: string; column: string; id: string; error: string }>;
  remaining: number;
}

/**
 * Re-encrypts sealed values that are not under the active key, a batch at a time. Each update is
 * conditional on the old ciphertext (a value changed meanwhile is left to the next pass), so it is
 * safe while the services run.
 */
export async function reencryptAll(prisma: PrismaClient, keyRing: KeyRing, batchSize = 500): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: {}, failed: [], remaining: 0 };
  const active = keyRing.activeKeyId;
  for (const target of SEALED_COLUMNS) {
    const label = `${target.table}.${target.column}`;
    report.reencrypted[label] = 0;
    const skip = new Set<string>();
    for (;;) {
      const rows = await prisma.$queryRawUnsafe<Array<{ id: string; sealed: string }>>(
        `SELECT ${target.idColumn} AS id, ${target.column} AS sealed FROM ${target.table}
          WHERE ${target.column} IS NOT NULL AND split_part(${target.column}, '.', 2) <> $1
            AND NOT (${target.idColumn} = ANY($2::text[]))
          LIMIT ${batchSize}`,
        active,
        [...skip],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        try {
          const plain = keyRing.open(row.sealed, target.aad(row.id));
          const resealed = keyRing.seal(plain, target.aad(row.id));
          const keyIdUpdate = 'keyIdColumn' in target ? `, ${target.keyIdColumn} = $4` : '';
          const updated = await prisma.$executeRawUnsafe(
            `UPDATE ${target.table} SET ${target.column} = $1${keyIdUpdate} WHERE ${target.idColumn} = $2 AND ${target.column} = $3`,
            resealed,
            row.id,
            row.sealed,
            ...('keyIdColumn' in target ? [active] : []),
          );
          if (updated === 1) report.reencrypted[label]++;
        } catch (error) {
          skip.add(row.id);
          report.failed.push({
            table: target.table,
            column: target.column,
            id: row.id,
            error: (error as Error).message,
          });
        }
      }
    }
  }
  for (const target of SEALED_COLUMNS) {
    const [{ n }] = await prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ${target.table} WHERE ${target.column} IS NOT NULL AND split_part(${target.column}, '.', 2) <> $1`,
      active,
    );
    report.remaining += n;
  }
  return report;
}
