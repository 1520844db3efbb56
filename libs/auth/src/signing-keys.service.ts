import { Injectable } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { SigningKeyRepository } from '@ais/db';
import type { KeyRing } from '@ais/crypto';
import { newId } from '@ais/domain';

export const ACCESS_TOKEN_ALG = 'ES256';

interface ActiveKey {
  kid: string;
  key: CryptoKey;
}

export interface SigningKeySettings {
  rotationDays: number;
  /** Retiring keys stay published at least this long (covers every token they signed). */
  retireAfterSeconds: number;
}

/**
 * The gateway's JWT signing keys: ES256, private halves sealed with the key ring, rotated every
 * `rotationDays`. The previous key stays in the JWKS while tokens it signed can still be valid.
 */
@Injectable()
export class SigningKeysService {
  private active: ActiveKey | null = null;
  private activeLoadedAt = 0;

  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly keyRing: KeyRing,
    private readonly settings: SigningKeySettings,
  ) {}

  /** Rotates when there is no key or the active one is too old; safe to call from many instances. */
  async ensureCurrentKey(now = new Date()): Promise<void> {
    const cutoff = new Date(now.getTime() - this.settings.rotationDays * 86_400_000);
    const keys = await this.repository.listPublishable();
    const active = keys.find((k) => k.status === 'active');
    if (!active || active.createdAt < cutoff) await this.rotate(active ? cutoff : null);
    await this.repository.retireOlderThan(new Date(now.getTime() - this.settings.retireAfterSeconds * 1000));
    this.active = null;
  }

  /** Forces a new active key (operators: `POST /admin/signing-keys/rotate`). */
  async rotate(onlyIfOlderThan: Date | null = null): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair(ACCESS_TOKEN_ALG, { extractable: true });
    const kid = newId('signingKey');
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ACCESS_TOKEN_ALG, use: 'sig' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ACCESS_TOKEN_ALG };
    await this.repository.rotate(
      {
        kid,
        alg: ACCESS_TOKEN_ALG,
        publicJwk,
        privateJwkEncrypted: this.keyRing.sealJson(privateJwk, `signing-key:${kid}`),
      },
      onlyIfOlderThan,
    );
    this.active = null;
  }

  async activeKey(): Promise<ActiveKey> {
    if (this.active && Date.now() - this.activeLoadedAt < 60_000) return this.active;
    const keys = await this.repository.listPublishable();
    let record = keys.find((k) => k.status === 'active');
    if (!record) {
      await this.ensureCurrentKey();
      record = (await this.repository.listPublishable()).find((k) => k.status === 'active');
      if (!record) throw new Error('no active signing key');
    }
    const jwk = this.keyRing.openJson<JWK>(record.privateJwkEncrypted, `signing-key:${record.kid}`);
    this.active = { kid: record.kid, key: (await importJWK(jwk, ACCESS_TOKEN_ALG)) as CryptoKey };
    this.activeLoadedAt = Date.now();
    return this.active;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = await this.repository.listPublishable();
    return { keys: keys.map((k) => k.publicJwk as JWK) };
  }
}
