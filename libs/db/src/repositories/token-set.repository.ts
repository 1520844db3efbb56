import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient, Prisma } from '../prisma.js';
import { PRISMA } from '../tokens.js';

export interface TokenSetRecord {
  consentId: string;
  keyId: string;
  ciphertext: string;
  accessTokenExpiresAt: Date | null;
  refreshTokenExpiresAt: Date | null;
  version: number;
}

/** Encrypted bank token sets (the consent-service's vault; only it reads them). */
@Injectable()
export class TokenSetRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async upsert(tx: Prisma.TransactionClient, data: Omit<TokenSetRecord, 'version'>): Promise<void> {
    await tx.consentTokenSet.upsert({
      where: { consentId: data.consentId },
      create: data,
      update: { keyId: data.keyId, ciphertext: data.ciphertext, accessTokenExpiresAt: data.accessTokenExpiresAt, refreshTokenExpiresAt: data.refreshTokenExpiresAt, version: { increment: 1 } },
    });
  }

  async find(consentId: string, tx: Prisma.TransactionClient = this.prisma): Promise<TokenSetRecord | null> {
    return tx.consentTokenSet.findUnique({ where: { consentId } });
  }

  async delete(tx: Prisma.TransactionClient, consentId: string): Promise<void> {
    await tx.consentTokenSet.deleteMany({ where: { consentId } });
  }

  /** Rotation: token sets still under an old key, a batch at a time. */
  async notUnderKey(keyId: string, limit: number): Promise<TokenSetRecord[]> {
    return this.prisma.consentTokenSet.findMany({ where: { keyId: { not: keyId } }, take: limit });
  }

  async replaceCiphertext(consentId: string, expectedVersion: number, keyId: string, ciphertext: string): Promise<boolean> {
    const { count } = await this.prisma.consentTokenSet.updateMany({
      where: { consentId, version: expectedVersion },
      data: { keyId, ciphertext, version: { increment: 1 } },
    });
    return count === 1;
  }
}
