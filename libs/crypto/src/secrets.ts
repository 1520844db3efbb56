import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random secret with a readable prefix: `sk_live_…`, `whsec_…`. 32 bytes of entropy. */
export function generateSecret(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/**
 * SHA-256 of a high-entropy secret (API keys, client secrets). A slow KDF buys nothing for 256-bit
 * random secrets and would put a CPU cost on every request.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function sha256Hex(value: string | Buffer): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
