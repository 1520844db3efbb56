import { randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/**
 * A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes (the HMAC-SHA256 key
 * size; the spec asks for 24 to 64). Standard base64, as the spec's verifiers decode it.
 */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}
