import { z } from 'zod';
import { defineSection } from '../define-section.js';

/**
 * Key ring for encryption at rest (bank tokens, registrations, webhook secrets, signing keys).
 * ENCRYPTION_KEYS="k2026a:<base64 32 bytes>,k2026b:<base64 32 bytes>"; ENCRYPTION_ACTIVE_KEY picks the
 * key new ciphertexts use. Old keys stay in the ring until `npm run keys:rotate` has re-encrypted.
 */
export const cryptoSection = defineSection(
  'crypto',
  {
    ENCRYPTION_KEYS: z.string({ message: 'required: comma-separated keyId:base64(32 bytes) entries' }),
    ENCRYPTION_ACTIVE_KEY: z.string().optional(),
  },
  (v) => {
    const keys = parseKeyRing(v.ENCRYPTION_KEYS);
    return { keys, activeKeyId: v.ENCRYPTION_ACTIVE_KEY ?? [...keys.keys()].at(-1)! };
  },
  (v) => {
    const issues: string[] = [];
    let keys: Map<string, Buffer>;
    try {
      keys = parseKeyRing(v.ENCRYPTION_KEYS);
    } catch (error) {
      return [`ENCRYPTION_KEYS: ${(error as Error).message}`];
    }
    if (v.ENCRYPTION_ACTIVE_KEY !== undefined && !keys.has(v.ENCRYPTION_ACTIVE_KEY)) {
      issues.push(`ENCRYPTION_ACTIVE_KEY: "${v.ENCRYPTION_ACTIVE_KEY}" is not a key id in ENCRYPTION_KEYS`);
    }
    return issues;
  },
);

export function parseKeyRing(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const idx = entry.indexOf(':');
    if (idx <= 0) throw new Error('each entry must be keyId:base64key');
    const id = entry.slice(0, idx);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`key id "${id}" must be 1-32 letters, digits, - or _`);
    const key = Buffer.from(entry.slice(idx + 1), 'base64');
    if (key.length !== 32) throw new Error(`key "${id}" must decode to exactly 32 bytes (got ${key.length})`);
    if (keys.has(id)) throw new Error(`key id "${id}" appears twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new Error('at least one key is required');
  return keys;
}
