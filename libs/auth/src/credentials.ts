import { generateSecret, hashSecret } from '@ais/crypto';
import { ulid } from '@ais/domain';

/** API keys: `sk_<43 chars>`; the first 11 characters are kept as a display prefix. */
export const API_KEY_PREFIX = 'sk_';
export const CLIENT_ID_PREFIX = 'cli_';
export const CLIENT_SECRET_PREFIX = 'cs_';

export interface IssuedSecret {
  publicId: string;
  secret: string;
  secretHash: string;
}

export function issueApiKey(): IssuedSecret {
  const secret = generateSecret(API_KEY_PREFIX);
  return { publicId: `${secret.slice(0, 11)}…`, secret, secretHash: hashSecret(secret) };
}

export function issueOAuthClient(): IssuedSecret {
  const secret = generateSecret(CLIENT_SECRET_PREFIX);
  return { publicId: `${CLIENT_ID_PREFIX}${ulid().toLowerCase()}`, secret, secretHash: hashSecret(secret) };
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX) && token.length > 20;
