import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** Keys for one purpose, derived from the ring: new values use `active`; values made under any of `all` are accepted. */
export interface DerivedKeys {
  active: Buffer;
  /** The active key first, then the older keys still in the ring. */
  all: readonly Buffer[];
}

/**
 * AES-256-GCM envelope under a key ring: `v1.<keyId>.<iv b64url>.<ciphertext b64url>.<tag b64url>`.
 * The key id travels with the ciphertext, so rotation adds a key, re-encrypts, then retires the old one.
 * `aad` binds a ciphertext to its owner (e.g. a consent id): moved to another row it will not open.
 */
export class KeyRing {
  constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {
    if (!keys.has(activeKeyId)) throw new Error(`active key "${activeKeyId}" is not in the key ring`);
    for (const [id, key] of keys) if (key.length !== 32) throw new Error(`key "${id}" is not 32 bytes`);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(plaintext: string | Buffer, aad?: string): string {
    const key = this.keys.get(this.activeKeyId)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [
      'v1',
      this.activeKeyId,
      iv.toString('base64url'),
      ct.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  open(sealed: string, aad?: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Error('not a sealed value');
    const [, keyId, iv, ct, tag] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`sealed with key "${keyId}", which is not in the key ring`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
  }

  openText(sealed: string, aad?: string): string {
    return this.open(sealed, aad).toString('utf8');
  }

  sealJson(value: unknown, aad?: string): string {
    return this.seal(JSON.stringify(value), aad);
  }

  openJson<T>(sealed: string, aad?: string): T {
    return JSON.parse(this.openText(sealed, aad)) as T;
  }

  /**
   * A separate key per ring key for another purpose (e.g. `cursor` for signing list cursors), by
   * HKDF-SHA256 with the purpose as `info`: the encryption keys themselves never sign anything, and
   * a value made under a key still in the ring keeps verifying while a rotation is under way.
   */
  derive(purpose: string): DerivedKeys {
    const derive = (key: Buffer) =>
      Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `ais-gateway/${purpose}/v1`, 32));
    const active = derive(this.keys.get(this.activeKeyId)!);
    const older = [...this.keys].filter(([id]) => id !== this.activeKeyId).map(([, key]) => derive(key));
    return { active, all: [active, ...older] };
  }

  /** The key id a sealed value was encrypted under. */
  static keyIdOf(sealed: string): string {
    return sealed.split('.')[1] ?? '';
  }

  /** True when `sealed` is not under the active key (a rotation should re-encrypt it). */
  needsRotation(sealed: string): boolean {
    return KeyRing.keyIdOf(sealed) !== this.activeKeyId;
  }
}

export function generateKeySpec(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
