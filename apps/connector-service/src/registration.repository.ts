import type { ProviderRegistration } from '@ais/connectors';
import type { KeyRing } from '@ais/crypto';
import type { PrismaClient } from '@ais/db';

/**
 * The gateway's registration at each bank, in provider_registrations: the whole registration
 * (secret, keys, transport certificate, the bank's response) sealed with the key ring, AAD =
 * provider id, so a ciphertext moved to another row does not open.
 */
export class RegistrationRepository {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly keys: KeyRing,
  ) {}

  async find(providerId: string): Promise<ProviderRegistration | undefined> {
    return (await this.findStamped(providerId)).registration;
  }

  /** The registration with its stamp (when the row last changed): tells a stale copy from the stored one. */
  async findStamped(
    providerId: string,
  ): Promise<{ registration: ProviderRegistration | undefined; stamp: string | null }> {
    const row = await this.prisma.providerRegistration.findUnique({ where: { providerId } });
    return row
      ? {
          registration: this.keys.openJson<ProviderRegistration>(row.secretsEncrypted, providerId),
          stamp: row.updatedAt.toISOString(),
        }
      : { registration: undefined, stamp: null };
  }

  /** The stored registration's stamp only (no decryption): has another instance registered again? */
  async stamp(providerId: string): Promise<string | null> {
    const row = await this.prisma.providerRegistration.findUnique({
      where: { providerId },
      select: { updatedAt: true },
    });
    return row?.updatedAt.toISOString() ?? null;
  }

  async save(registration: ProviderRegistration): Promise<void> {
    const data = {
      clientId: registration.clientId,
      tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
      secretsEncrypted: this.keys.sealJson(registration, registration.providerId),
      metadata: {
        source: registration.source,
        redirectUris: registration.redirectUris,
        mtls: Boolean(registration.transport),
      },
    };
    await this.prisma.providerRegistration.upsert({
      where: { providerId: registration.providerId },
      create: { providerId: registration.providerId, ...data },
      update: data,
    });
  }
}
