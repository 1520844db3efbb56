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
      update: {
        keyId: data.keyId,
        ciphertext: data.ciphertext,
        accessTokenExpiresAt: data.accessTokenExpiresAt,
        refreshTokenExpiresAt: data.refreshTokenExpiresAt,
        version: { increment: 1 },
      },
    });
  }

  async find(consentId: string, tx: Prisma.TransactionClient = this.prisma): Promise<TokenSetRecord | null> {
    return tx.consentTokenSet.findUnique({ where: { consentId } });
  }

  async delete(tx: Prisma.TransactionClient, consentId: string): Promise<void> {
    await tx.consentTokenSet.deleteMany({ where: { consentId } });
  }
}
