/**
 * Opaque, prefixed, time-sortable ids (ULID body): `cons_01JD8Z…`. The prefix tells a developer what an
 * id is; the body sorts by creation time, which keeps B-tree inserts local.
 */
export const ID_PREFIXES = {
  tenant: 'ten',
  credential: 'cred',
  consent: 'cons',
  authSession: 'auth',
  account: 'acc',
  transaction: 'txn',
  resource: 'res',
  event: 'evt',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  syncRun: 'sr',
  signingKey: 'key',
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
const lastRandom = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** Monotonic ULID: within one millisecond the random part increments, so ids still sort. */
export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    for (let i = lastRandom.length - 1; i >= 0; i--) {
      if (lastRandom[i] === 255) {
        lastRandom[i] = 0;
      } else {
        lastRandom[i]++;
        break;
      }
    }
    now = lastTime;
  } else {
    lastTime = now;
    globalThis.crypto.getRandomValues(lastRandom);
  }
  return encodeTime(now) + encodeRandom(lastRandom);
}

export function newId(kind: IdKind, now?: number): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}
